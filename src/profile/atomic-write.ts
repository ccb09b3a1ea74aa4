// Crash-safe file replacement for the vault: temp file (0600, O_EXCL) in the same directory,
// fsync, keep the old version as `<target>.prev` by hard link, rename over the target, fsync the
// directory. At every instant a complete target exists (POSIX rename is atomic).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP_MARKER = '.tmp-';

export interface AtomicWriteOptions {
  /** Keep the version being replaced as `<target>.prev` (default true). */
  readonly keepPrevious?: boolean;
}

export function previousVersionPath(target: string): string {
  return `${target}.prev`;
}

function tempPathFor(target: string): string {
  return `${target}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** fsync a directory so a rename/link/unlink in it is durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Atomically replace `target` with `data` (file mode 0600). If the process dies at any point,
 * `target` is either the old complete version or the new complete version; a stray temp file may
 * remain and is removed by {@link removeStrayTempFiles}.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(target);
  const temp = tempPathFor(target);
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.keepPrevious ?? true) await linkAsPrevious(target);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dir);
}

/** Make `<target>.prev` a hard link to the current `target` (if any); `target` is never absent. */
async function linkAsPrevious(target: string): Promise<void> {
  const prev = previousVersionPath(target);
  await unlink(prev).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
  try {
    await link(target, prev);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // first save: nothing to keep
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') {
      throw error;
    }
    // No hard links on this file system: copy to a temp file, then rename it into place.
    const temp = tempPathFor(prev);
    try {
      await copyFile(target, temp, constants.COPYFILE_EXCL);
      await chmod(temp, 0o600);
      await rename(temp, prev);
    } catch (copyError) {
      await unlink(temp).catch(() => undefined);
      throw copyError;
    }
  }
}

/** Remove temp files a crashed writer of `target` left behind. Returns the names removed. */
export async function removeStrayTempFiles(target: string): Promise<string[]> {
  const dir = dirname(target);
  const prefix = `${basename(target)}${TEMP_MARKER}`;
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    await unlink(join(dir, name)).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    removed.push(name);
  }
  if (removed.length > 0) await fsyncDirectory(dir);
  return removed;
}
