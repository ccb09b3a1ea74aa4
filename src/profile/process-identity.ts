// Who a pid really is, beyond the number: Linux's boot id (/proc/sys/kernel/random/boot_id, new on
// every boot) and the process start time (/proc/<pid>/stat field 22, clock ticks since boot; see
// proc(5)). Together they tell a pid reused after a reboot, or by a later process, from the process
// that wrote a lock. Where /proc is missing or unreadable (macOS, BSD, hidepid) both are `null` and
// callers fall back to the pid alone.
import { readBounded } from '../fs/read-bounded.js';

export interface ProcessIdentity {
  readonly pid: number;
  /** This boot's id, or null where /proc does not tell. */
  readonly bootId: string | null;
  /** Start time in clock ticks since boot (decimal string), or null where /proc does not tell. */
  readonly startTime: string | null;
}

/** Where the proc file system is mounted (tests point it at a directory without it). */
export const DEFAULT_PROC_ROOT = '/proc';

const MAX_BOOT_ID_BYTES = 64;
const MAX_STAT_BYTES = 4096;
const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** After the `)` that closes field 2 (comm), field 3 comes first: field 22 is at index 19. */
const START_TIME_INDEX_AFTER_COMM = 22 - 3;

async function readSmall(path: string, maxBytes: number): Promise<string | null> {
  try {
    const { bytes, truncated } = await readBounded(path, maxBytes);
    return truncated ? null : bytes.toString('latin1');
  } catch {
    return null; // no /proc, no such pid, or not ours to read: unknown
  }
}

/** This boot's id, or null where it cannot be read. */
export async function readBootId(procRoot = DEFAULT_PROC_ROOT): Promise<string | null> {
  const text = await readSmall(`${procRoot}/sys/kernel/random/boot_id`, MAX_BOOT_ID_BYTES);
  const id = text?.trim() ?? '';
  return BOOT_ID.test(id) ? id : null;
}

/** The start time (field 22) out of a /proc/<pid>/stat line, or null if it is not one. */
export function parseStartTime(statLine: string): string | null {
  const commEnd = statLine.lastIndexOf(')'); // comm may hold spaces and parentheses
  if (commEnd < 0) return null;
  const fields = statLine
    .slice(commEnd + 1)
    .trim()
    .split(/\s+/);
  const value = fields[START_TIME_INDEX_AFTER_COMM];
  return value !== undefined && /^[0-9]{1,20}$/.test(value) ? value : null;
}

/** When `pid` started (clock ticks since boot), or null where it cannot be read. */
export async function readStartTime(
  pid: number,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<string | null> {
  const text = await readSmall(`${procRoot}/${pid}/stat`, MAX_STAT_BYTES);
  return text === null ? null : parseStartTime(text);
}

/** The identity of `pid` as /proc tells it now. */
export async function processIdentity(
  pid: number,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<ProcessIdentity> {
  const [bootId, startTime] = await Promise.all([
    readBootId(procRoot),
    readStartTime(pid, procRoot),
  ]);
  return { pid, bootId, startTime };
}
