// The profile lock: an O_EXCL file holding our pid, so two Sotto processes never open one profile
// at once. A lock whose pid is dead is stale and is taken over (rename-then-verify, so two
// processes clearing the same stale lock cannot both win).
import { randomBytes } from 'node:crypto';
import { constants, unlinkSync, readFileSync } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { readBounded } from '../fs/read-bounded.js';
import { VaultLockedError } from './errors.js';

const MAX_LOCK_FILE_BYTES = 64;

export interface ProfileLock {
  readonly path: string;
  /** Remove the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

function parsePid(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[1-9][0-9]{0,9}$/.test(trimmed)) return null;
  const pid = Number(trimmed);
  return Number.isSafeInteger(pid) ? pid : null;
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

async function readLockPid(path: string): Promise<number | null | 'missing'> {
  try {
    const { bytes } = await readBounded(path, MAX_LOCK_FILE_BYTES, { noFollow: true });
    return parsePid(bytes.toString('utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ELOOP' || code === 'EISDIR') return null; // not a lock file we wrote: stale
    throw error;
  }
}

async function tryCreate(path: string): Promise<boolean> {
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
    await handle.writeFile(`${process.pid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** Move a stale lock aside; if what we moved turns out to be live, put it back and give up. */
async function clearStaleLock(path: string, stalePid: number | null): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else cleared it
    throw error;
  }
  const moved = await readLockPid(aside);
  if (moved !== 'missing' && moved !== null && moved !== stalePid && isProcessAlive(moved)) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw new VaultLockedError(path, moved);
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Take the lock at `path` or throw {@link VaultLockedError}. A lock held by this very process also
 * counts as held (one open per profile). Stale locks (dead pid, unreadable pid) are taken over.
 */
export async function acquireLock(path: string): Promise<ProfileLock> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await tryCreate(path)) return makeLock(path);
    const pid = await readLockPid(path);
    if (pid === 'missing') continue;
    if (pid !== null && isProcessAlive(pid)) throw new VaultLockedError(path, pid);
    await clearStaleLock(path, pid);
  }
  throw new VaultLockedError(path, null);
}

function makeLock(path: string): ProfileLock {
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    try {
      if (parsePid(readFileSync(path, 'utf8').slice(0, MAX_LOCK_FILE_BYTES)) === process.pid) {
        unlinkSync(path);
      }
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
