import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileDirError, VaultLockedError } from '../../src/profile/errors.js';
import { acquireLock, parseLockRecord } from '../../src/profile/lock-file.js';
import {
  defaultProfileDir,
  openProfileDir,
  profileHasVault,
} from '../../src/profile/profile-dir.js';
import { tempDir } from './helpers.js';

/** Run a real second process that holds a lock file with its pid until killed. */
function spawnLockHolder(lockPath: string): Promise<{ pid: number; stop: () => Promise<void> }> {
  const script = `
    const fs = require('node:fs');
    fs.writeFileSync(${JSON.stringify(lockPath)}, process.pid + '\\n', { flag: 'wx', mode: 0o600 });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () =>
      resolve({
        pid: child.pid ?? -1,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      }),
    );
  });
}

/** The pid of a process that has already exited. */
function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', () => resolve(child.pid ?? -1)));
}

describe('default profile directory', () => {
  it('follows XDG_DATA_HOME, else ~/.local/share', () => {
    expect(defaultProfileDir({ XDG_DATA_HOME: '/x/data' }, '/home/u')).toBe('/x/data/sotto');
    expect(defaultProfileDir({}, '/home/u')).toBe('/home/u/.local/share/sotto');
    expect(defaultProfileDir({ XDG_DATA_HOME: '' }, '/home/u')).toBe('/home/u/.local/share/sotto');
    // relative values are invalid per the XDG spec and ignored
    expect(defaultProfileDir({ XDG_DATA_HOME: 'rel' }, '/home/u')).toBe(
      '/home/u/.local/share/sotto',
    );
  });
});

describe('openProfileDir', () => {
  it('creates the layout with 0700 directories', async () => {
    const root = await tempDir();
    const profile = await openProfileDir(join(root, 'a', 'b', 'sotto'));
    for (const dir of [profile.paths.dir, profile.paths.torDataDir, profile.paths.downloadsDir]) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    }
    expect((await stat(profile.paths.lockFile)).mode & 0o777).toBe(0o600);
    expect(parseLockRecord(await readFile(profile.paths.lockFile, 'utf8'))?.pid).toBe(process.pid);
    expect(await profileHasVault(profile.paths)).toBe(false);
    await profile.close();
  });

  it('refuses a group- or world-accessible directory and names the fix', async () => {
    const root = await tempDir();
    const dir = join(root, 'sotto');
    await mkdir(dir);
    for (const mode of [0o750, 0o705, 0o777, 0o710]) {
      await chmod(dir, mode);
      const error = await openProfileDir(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProfileDirError);
      expect((error as Error).message).toContain(`chmod 700 '${dir}'`);
    }
    await chmod(dir, 0o700);
    await (await openProfileDir(dir)).close();
  });

  it('refuses an unsafe tor/ subdirectory', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'tor'), { mode: 0o755 });
    await chmod(join(root, 'tor'), 0o755);
    await chmod(root, 0o700);
    await expect(openProfileDir(root)).rejects.toBeInstanceOf(ProfileDirError);
    // the lock was released on failure
    await chmod(join(root, 'tor'), 0o700);
    await (await openProfileDir(root)).close();
  });

  it('refuses a directory owned by another user', async () => {
    if (process.getuid?.() !== 0) return; // needs root to chown; CI runs as root
    const root = await tempDir();
    const dir = join(root, 'sotto');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    await expect(openProfileDir(dir)).rejects.toBeInstanceOf(ProfileDirError);
  });

  it('refuses a symlinked profile directory and a file in its place', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'real'), { mode: 0o700 });
    await symlink(join(root, 'real'), join(root, 'link'));
    await expect(openProfileDir(join(root, 'link'))).rejects.toBeInstanceOf(ProfileDirError);
    await writeFile(join(root, 'file'), 'x');
    await expect(openProfileDir(join(root, 'file'))).rejects.toBeInstanceOf(ProfileDirError);
  });

  it('removes temp files a crashed vault write left behind', async () => {
    const root = await tempDir();
    await chmod(root, 0o700);
    await writeFile(join(root, 'vault.sotto.tmp-1-aa'), 'partial');
    await writeFile(join(root, 'unrelated.tmp-1-aa'), 'keep');
    const profile = await openProfileDir(root);
    expect(profile.strayTempFilesRemoved).toEqual(['vault.sotto.tmp-1-aa']);
    expect(await readFile(join(root, 'unrelated.tmp-1-aa'), 'utf8')).toBe('keep');
    await profile.close();
  });
});

describe('profile lock', () => {
  it('a second open in the same process is refused until the first closes', async () => {
    const root = await tempDir();
    const first = await openProfileDir(root);
    await expect(openProfileDir(root)).rejects.toBeInstanceOf(VaultLockedError);
    await first.close();
    await (await openProfileDir(root)).close();
  });

  it('a lock held by another live process is refused, with its pid', async () => {
    const root = await tempDir();
    await chmod(root, 0o700);
    const holder = await spawnLockHolder(join(root, 'lock'));
    try {
      const error = await openProfileDir(root).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VaultLockedError);
      expect((error as VaultLockedError).pid).toBe(holder.pid);
    } finally {
      await holder.stop();
    }
    // the holder died without cleaning up: its lock is now stale and is taken over
    const profile = await openProfileDir(root);
    expect(parseLockRecord(await readFile(profile.paths.lockFile, 'utf8'))?.pid).toBe(process.pid);
    await profile.close();
  });

  it('stale locks (dead pid, garbage, empty) are taken over', async () => {
    const root = await tempDir();
    const lockPath = join(root, 'lock');
    for (const content of [`${await deadPid()}\n`, 'garbage', '', '0', '-5', '99999999999999']) {
      await writeFile(lockPath, content);
      const lock = await acquireLock(lockPath);
      expect(parseLockRecord(await readFile(lockPath, 'utf8'))?.pid).toBe(process.pid);
      await lock.release();
    }
  });

  it('a symlink in place of the lock is treated as stale and never followed', async () => {
    const root = await tempDir();
    const target = join(root, 'target');
    await writeFile(target, 'precious');
    await symlink(target, join(root, 'lock'));
    const lock = await acquireLock(join(root, 'lock'));
    expect(await readFile(target, 'utf8')).toBe('precious');
    await lock.release();
  });

  it('release leaves a lock that is no longer ours alone', async () => {
    const root = await tempDir();
    const lockPath = join(root, 'lock');
    const lock = await acquireLock(lockPath);
    await writeFile(lockPath, '1\n'); // someone else's now (pid 1 is alive)
    await lock.release();
    expect(await readFile(lockPath, 'utf8')).toBe('1\n');
    await expect(acquireLock(lockPath)).rejects.toBeInstanceOf(VaultLockedError);
  });
});
