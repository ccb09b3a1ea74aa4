// File transfer state: offers, progress (bytes, speed) and outcomes keyed by address, direction
// and file id; file names are sanitised on the way in (and shown by tui/file-name-display.ts).
// Bounded like the core: the core forgets a transfer at its `file-done` (and holds at most 16
// incoming + 8 outgoing per connection), so the list keeps every active transfer and only the
// last FINISHED_TRANSFERS_KEPT finished ones.
import type { FileDirection, RicochetId } from '../../api/core-api.js';
import { fileNameForDisplay } from '../file-name-display.js';
import { sanitizeForTerminal } from '../sanitize.js';
import type { TransferEntry, TransferState } from './types.js';

export const FILE_NAME_MAX = 120;
/** Finished transfers (done, rejected, cancelled, failed) the list still shows; older ones go. */
export const FINISHED_TRANSFERS_KEPT = 50;

export function transferKey(address: RicochetId, direction: FileDirection, fileId: number): string {
  return `${address}|${direction}|${fileId}`;
}

/** Safe to draw, padding made visible, long names cut in the middle so the ending stays. */
export function cleanFileName(name: string): string {
  return fileNameForDisplay(sanitizeForTerminal(name), FILE_NAME_MAX);
}

export function upsertTransfer(
  transfers: readonly TransferEntry[],
  address: RicochetId,
  direction: FileDirection,
  fileId: number,
  change: Partial<Omit<TransferEntry, 'key' | 'address' | 'direction' | 'fileId'>>,
): readonly TransferEntry[] {
  const key = transferKey(address, direction, fileId);
  const index = transfers.findIndex((t) => t.key === key);
  if (index === -1) {
    const fresh: TransferEntry = {
      key,
      address,
      direction,
      fileId,
      name: `file #${fileId}`,
      size: 0,
      transferred: 0,
      bytesPerSecond: 0,
      state: 'offered',
      ...change,
    };
    return withoutOldFinished([...transfers, fresh]);
  }
  return withoutOldFinished(transfers.map((t, i) => (i === index ? { ...t, ...change } : t)));
}

/** Drops the earliest finished transfers beyond FINISHED_TRANSFERS_KEPT; active ones all stay. */
function withoutOldFinished(transfers: readonly TransferEntry[]): readonly TransferEntry[] {
  let excess = transfers.filter((t) => !isActive(t)).length - FINISHED_TRANSFERS_KEPT;
  if (excess <= 0) return transfers;
  return transfers.filter((t) => isActive(t) || excess-- <= 0);
}

export function resultState(
  result: 'success' | 'rejected' | 'cancelled' | 'failed',
): TransferState {
  return result === 'success' ? 'done' : result;
}

export function isActive(t: TransferEntry): boolean {
  return t.state === 'offered' || t.state === 'accepted' || t.state === 'transferring';
}
