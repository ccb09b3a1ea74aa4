// One Sotto profile per directory: default `$XDG_DATA_HOME/sotto` (else ~/.local/share/sotto),
// overridden by `--profile DIR`. Directories are 0700 and must be ours; the profile is locked
// against a second Sotto process. Layout: vault.sotto (+ .prev), tor/, downloads/, lock.

import { chmod, lstat, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { removeStrayTempFiles } from './atomic-write.js';
import { ProfileDirError, shellQuote } from './errors.js';
import { acquireLock, type ProfileLock } from './lock-file.js';

export interface ProfilePaths {
  readonly dir: string;
  readonly vault: string;
  readonly vaultPrevious: string;
  readonly torDataDir: string;
  readonly downloadsDir: string;
  readonly lockFile: string;
}

export interface OpenProfileDir {
  readonly paths: ProfilePaths;
  readonly lock: ProfileLock;
  /** Temp files of a crashed vault write that were removed on open. */
  readonly strayTempFilesRemoved: readonly string[];
  close(): Promise<void>;
}

/** `$XDG_DATA_HOME/sotto` if XDG_DATA_HOME is an absolute path (per the XDG spec), else ~/.local/share/sotto. */
export function defaultProfileDir(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'sotto');
  return join(home, '.local', 'share', 'sotto');
}

export function profilePaths(dir: string): ProfilePaths {
  const abs = resolve(dir);
  return {
    dir: abs,
    vault: join(abs, 'vault.sotto'),
    vaultPrevious: join(abs, 'vault.sotto.prev'),
    torDataDir: join(abs, 'tor'),
    downloadsDir: join(abs, 'downloads'),
    lockFile: join(abs, 'lock'),
  };
}

/**
 * Create `dir` (0700) if missing, or check an existing one: a real directory (not a symlink),
 * owned by us, no group/world permission bits. Unsafe directories are refused, never "fixed".
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700); // mkdir's mode is masked by umask; be exact
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      const reason = (error as Error).message;
      const fix = 'choose a folder you can write with --profile DIR';
      throw new ProfileDirError(dir, `cannot create ${dir}: ${reason}; ${fix}`, {
        cause: error,
      });
    }
  }
  await checkPrivateDir(dir);
}

export async function checkPrivateDir(dir: string): Promise<void> {
  const info = await lstat(dir);
  if (info.isSymbolicLink()) {
    throw new ProfileDirError(dir, `${dir} is a symbolic link; use the real directory path`);
  }
  if (!info.isDirectory()) throw new ProfileDirError(dir, `${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new ProfileDirError(
      dir,
      `${dir} is owned by uid ${info.uid}, not by you (uid ${uid}); use a folder of your own ` +
        'with --profile DIR',
    );
  }
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    throw new ProfileDirError(
      dir,
      `${dir} is accessible by other users (mode ${mode}); run: chmod 700 ${shellQuote(dir)}`,
    );
  }
}

async function ensureParentDirs(dir: string): Promise<void> {
  // Parents (e.g. ~/.local/share) are created with 0700 if missing but not checked: they are the
  // user's own layout. Only the profile directory itself must be private.
  await mkdir(resolve(dir, '..'), { recursive: true, mode: 0o700 });
}

/**
 * Prepare and lock a profile directory. Throws {@link ProfileDirError} for unsafe permissions and
 * VaultLockedError if another live Sotto process has it open.
 */
export async function openProfileDir(dir: string): Promise<OpenProfileDir> {
  const paths = profilePaths(dir);
  await ensureParentDirs(paths.dir);
  await ensurePrivateDir(paths.dir);
  const lock = await acquireLock(paths.lockFile);
  try {
    await ensurePrivateDir(paths.torDataDir);
    await ensurePrivateDir(paths.downloadsDir);
    const strayTempFilesRemoved = [
      ...(await removeStrayTempFiles(paths.vault)),
      ...(await removeStrayTempFiles(paths.vaultPrevious)),
    ];
    return {
      paths,
      lock,
      strayTempFilesRemoved,
      close: () => lock.release(),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** True if the profile already has a vault (or a previous version of one). */
export async function profileHasVault(paths: ProfilePaths): Promise<boolean> {
  for (const file of [paths.vault, paths.vaultPrevious]) {
    try {
      const info = await lstat(file);
      if (info.isFile()) return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return false;
}

export const FILE_MODE_PRIVATE = 0o600;
export const DIR_MODE_PRIVATE = 0o700;
