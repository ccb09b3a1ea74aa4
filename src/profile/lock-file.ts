// The profile lock: an O_EXCL file naming the Sotto process that has the profile open, so two Sotto
// processes never open one profile at once. The file holds the pid, the boot id and the process
// start time (src/profile/process-identity.ts):
//
//   pid 1234
//   boot 5d2f0c3e-…
//   start 987654
//
// A lock is stale — and is taken over (rename-then-verify, so two processes clearing the same stale
// lock cannot both win) — when its pid is dead, when it was written in another boot (a pid reused
// after a reboot), or when the live process with that pid started at another time (a reused pid).
// Where /proc cannot tell (no /proc; a lock of an older Sotto with the pid alone) only the pid
// counts, as before: a live pid holds the lock.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, unlinkSync } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { readBounded } from '../fs/read-bounded.js';
import { VaultLockedError } from './errors.js';
import { DEFAULT_PROC_ROOT, processIdentity, type ProcessIdentity } from './process-identity.js';

const MAX_LOCK_FILE_BYTES = 256;

export interface ProfileLock {
  readonly path: string;
  /** Remove the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Where /proc is (tests point it at a directory without it). */
  readonly procRoot?: string;
}

/** What a lock file says: at least a pid; boot id and start time when its writer knew them. */
export type LockRecord = ProcessIdentity;

function parsePid(text: string): number | null {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const pid = Number(text);
  return Number.isSafeInteger(pid) ? pid : null;
}

/** Parses a lock file: `pid N` / `boot ID` / `start T` lines, or a bare pid (older Sotto). */
export function parseLockRecord(text: string): LockRecord | null {
  const lines = text.trim().split('\n');
  const bare = lines.length === 1 ? parsePid(lines[0]?.trim() ?? '') : null;
  if (bare !== null) return { pid: bare, bootId: null, startTime: null };
  const fields = new Map<string, string>();
  for (const line of lines) {
    const match = /^(pid|boot|start) ([0-9a-f-]{1,40})$/.exec(line.trim());
    if (match === null || fields.has(match[1] as string)) return null;
    fields.set(match[1] as string, match[2] as string);
  }
  const pid = parsePid(fields.get('pid') ?? '');
  if (pid === null) return null;
  return { pid, bootId: fields.get('boot') ?? null, startTime: fields.get('start') ?? null };
}

/** The lock file text for `identity`. */
export function formatLockRecord(identity: LockRecord): string {
  let text = `pid ${identity.pid}\n`;
  if (identity.bootId !== null) text += `boot ${identity.bootId}\n`;
  if (identity.startTime !== null) text += `start ${identity.startTime}\n`;
  return text;
}

/** True if a process with this pid exists (EPERM: exists, belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True if the process that wrote `record` still runs: its pid is alive and, where both sides are
 * known, the boot id and the start time match what /proc says now.
 */
export async function isLockHolderAlive(
  record: LockRecord,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<boolean> {
  if (!isProcessAlive(record.pid)) return false;
  const now = await processIdentity(record.pid, procRoot);
  if (record.bootId === null || now.bootId === null) return true; // cannot tell: the pid decides
  if (record.bootId !== now.bootId) return false; // written in another boot: the pid was reused
  if (record.startTime === null || now.startTime === null) return true;
  return record.startTime === now.startTime; // same boot, another start: the pid was reused
}

type LockContent = { readonly record: LockRecord | null; readonly text: string } | 'missing';

async function readLock(path: string): Promise<LockContent> {
  try {
    const { bytes, truncated } = await readBounded(path, MAX_LOCK_FILE_BYTES, { noFollow: true });
    const text = bytes.toString('utf8');
    return { record: truncated ? null : parseLockRecord(text), text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    // not a lock file we wrote: stale
    if (code === 'ELOOP' || code === 'EISDIR') return { record: null, text: `(${code})` };
    throw error;
  }
}

async function tryCreate(path: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** Move a stale lock aside; if what we moved is not what we judged stale, put it back. */
async function clearStaleLock(path: string, staleText: string, procRoot: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else cleared it
    throw error;
  }
  const moved = await readLock(aside);
  if (moved !== 'missing' && moved.text !== staleText && moved.record !== null) {
    if (await isLockHolderAlive(moved.record, procRoot)) {
      await link(aside, path).catch(() => undefined);
      await unlink(aside).catch(() => undefined);
      throw new VaultLockedError(path, moved.record.pid);
    }
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Take the lock at `path` or throw {@link VaultLockedError}. A lock held by this very process also
 * counts as held (one open per profile). Stale locks (see the module header) are taken over.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<ProfileLock> {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const ours = formatLockRecord(await processIdentity(process.pid, procRoot));
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await tryCreate(path, ours)) return makeLock(path, ours);
    const found = await readLock(path);
    if (found === 'missing') continue;
    if (found.record !== null && (await isLockHolderAlive(found.record, procRoot))) {
      throw new VaultLockedError(path, found.record.pid);
    }
    await clearStaleLock(path, found.text, procRoot);
  }
  throw new VaultLockedError(path, null);
}

/** The lock file's text if it is at most `MAX_LOCK_FILE_BYTES` (one read: we wrote it in one). */
function readOwnLockSync(path: string): string | null {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(MAX_LOCK_FILE_BYTES + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function makeLock(path: string, ours: string): ProfileLock {
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    try {
      if (readOwnLockSync(path) === ours) unlinkSync(path);
    } catch {
      // lock already gone: nothing to release
    }
  };
  process.once('exit', releaseSync);
  return {
    path,
    release: () => {
      process.removeListener('exit', releaseSync);
      releaseSync();
      return Promise.resolve();
    },
  };
}
