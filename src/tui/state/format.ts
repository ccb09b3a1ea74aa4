// Pure formatting helpers for the UI: relative times, sizes, speeds, ETAs and short IDs.

const PREFIX = 'ricochet:';

/** `ricochet:abcdefgh…wxyz` → `abcdef…wxyz` style short form for the status bar. */
export function shortenId(address: string, head = 8, tail = 4): string {
  const bare = address.startsWith(PREFIX) ? address.slice(PREFIX.length) : address;
  if (bare.length <= head + tail + 1) return bare;
  return `${bare.slice(0, head)}…${bare.slice(-tail)}`;
}

/** "just now", "5 minutes ago", "2 hours ago", "3 days ago". */
export function formatAgo(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return 'just now';
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours === 1 ? '1 hour ago' : `${hours} hours ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** Local wall-clock time `HH:MM`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? 'B'}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds left at the current speed, or null when unknown (no speed yet). */
export function etaSeconds(
  size: number,
  transferred: number,
  bytesPerSecond: number,
): number | null {
  if (bytesPerSecond <= 0) return null;
  return Math.max(0, Math.ceil((size - transferred) / bytesPerSecond));
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '--:--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A text progress bar of `width` cells, e.g. `[#####.....]` (works without colour). */
export function progressBar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const inner = Math.max(1, width - 2);
  const filled = Math.round(f * inner);
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`;
}
