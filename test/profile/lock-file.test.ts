// The profile lock tells a stale lock by more than its pid: a lock written in another boot, or by a
// process that started at another time than the live process now holding that pid, is stale; a
// lock that another real Sotto process (the same lock code, in its own node process) holds is
// honoured; without /proc only the pid counts.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultLockedError } from '../../src/profile/errors.js';
import { acquireLock, formatLockRecord, parseLockRecord } from '../../src/profile/lock-file.js';
import { parseStartTime, processIdentity, readBootId } from '../../src/profile/process-identity.js';
import { tempDir } from './helpers.js';

const SRC = new URL('../../src/', import.meta.url).pathname;
const OTHER_BOOT = '00000000-1111-4222-8333-444444444444';
const HAS_PROC = (await readBootId()) !== null;

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A real, live process that is not us (and holds nothing). */
function spawnSleeper(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid ?? -1));
  });
}

/** Another node process that takes the lock with Sotto's own lock code and holds it. */
async function spawnLockHolder(lockPath: string): Promise<{ pid: number; kill: () => void }> {
  const dir = await tempDir();
  await mkdir(join(dir, 'profile'));
  await mkdir(join(dir, 'fs'));
  for (const name of [
    'profile/lock-file',
    'profile/errors',
    'profile/process-identity',
    'fs/read-bounded',
  ]) {
    const source = await readFile(join(SRC, `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(dir, `${name}.js`), outputText);
  }
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  const script = join(dir, 'holder.js');
  await writeFile(
    script,
    `import { acquireLock } from './profile/lock-file.js';
     await acquireLock(${JSON.stringify(lockPath)});
     process.stdout.write('locked\\n');
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, [script]);
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return {
    pid: child.pid ?? -1,
    kill: () => child.kill('SIGKILL'),
  };
}

async function waitForExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.runIf(HAS_PROC)('profile lock with /proc (boot id and start time)', () => {
  it('writes pid, boot id and start time, and /proc/<pid>/stat agrees', async () => {
    const lockPath = join(await tempDir(), 'lock');
    const lock = await acquireLock(lockPath);
    const record = parseLockRecord(await readFile(lockPath, 'utf8'));
    expect(record).toEqual(await processIdentity(process.pid));
    expect(record?.bootId).toBe(await readBootId());
    expect(record?.startTime).toMatch(/^[0-9]+$/);
    await lock.release();
  });

  it('a lock written in another boot is stale, though a live process has its pid now', async () => {
    const lockPath = join(await tempDir(), 'lock');
    const live = await processIdentity(await spawnSleeper());
    await writeFile(lockPath, formatLockRecord({ ...live, bootId: OTHER_BOOT }));
    const lock = await acquireLock(lockPath);
    expect(parseLockRecord(await readFile(lockPath, 'utf8'))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('a lock whose pid is alive but started at another time is stale (pid reused)', async () => {
    const lockPath = join(await tempDir(), 'lock');
    const live = await processIdentity(await spawnSleeper());
    const earlier = String(BigInt(live.startTime ?? '1') - 1n);
    await writeFile(lockPath, formatLockRecord({ ...live, startTime: earlier }));
    const lock = await acquireLock(lockPath);
    expect(parseLockRecord(await readFile(lockPath, 'utf8'))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('the lock of another running Sotto process is honoured, and taken over once it died', async () => {
    const lockPath = join(await tempDir(), 'lock');
    const holder = await spawnLockHolder(lockPath);
    const error = await acquireLock(lockPath).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultLockedError);
    expect((error as VaultLockedError).pid).toBe(holder.pid);
    holder.kill(); // SIGKILL: the lock file stays behind
    await waitForExit(holder.pid);
    const lock = await acquireLock(lockPath);
    expect(parseLockRecord(await readFile(lockPath, 'utf8'))?.pid).toBe(process.pid);
    await lock.release();
  });
});

describe('profile lock without /proc (pid only, documented fallback)', () => {
  it('a live pid holds the lock whatever boot id it names; a dead one does not', async () => {
    const noProc = await tempDir();
    const lockPath = join(await tempDir(), 'lock');
    const pid = await spawnSleeper();
    await writeFile(lockPath, formatLockRecord({ pid, bootId: OTHER_BOOT, startTime: '1' }));
    const error = await acquireLock(lockPath, { procRoot: noProc }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultLockedError);
    expect((error as VaultLockedError).pid).toBe(pid);
    children.splice(0).forEach((child) => child.kill('SIGKILL'));
    await waitForExit(pid);
    const lock = await acquireLock(lockPath, { procRoot: noProc });
    expect(await readFile(lockPath, 'utf8')).toBe(`pid ${process.pid}\n`);
    await lock.release();
  });

  it('a bare-pid lock (older Sotto) of a live process is honoured', async () => {
    const lockPath = join(await tempDir(), 'lock');
    const pid = await spawnSleeper();
    await writeFile(lockPath, `${pid}\n`);
    await expect(acquireLock(lockPath)).rejects.toBeInstanceOf(VaultLockedError);
  });
});

describe('lock records and /proc/<pid>/stat', () => {
  it('reads field 22 even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const line = `4242 (evil) 1 2 (x) ${fields.join(' ')}\n`;
    expect(parseStartTime(line)).toBe('22');
    expect(parseStartTime('4242 (short) S 1')).toBeNull();
    expect(parseStartTime('garbage')).toBeNull();
  });

  it('refuses malformed lock records (they count as stale)', () => {
    for (const text of ['', 'garbage', 'pid 0', 'pid 12\npid 13', 'pid 12\nboot x y', 'boot a']) {
      expect(parseLockRecord(text)).toBeNull();
    }
    expect(parseLockRecord('77\n')).toEqual({ pid: 77, bootId: null, startTime: null });
  });
});
