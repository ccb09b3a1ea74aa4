// Starts one real, offline tor (DisableNetwork 1, SocksPort 0, ControlPort auto) for control-port
// tests, with cookie, hashed-password or no authentication; stops exactly the process it started.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type TestTorAuth =
  | { readonly kind: 'cookie' }
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'none' };

export interface TestTor {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly cookieFile: string;
  /** Resolves with tor's exit code or signal once the process has exited. */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** Hashes a password with `tor --hash-password` (argv: acceptable in tests only, never in src). */
async function hashPassword(password: string): Promise<string> {
  const { stdout } = await execFileAsync('tor', ['--hash-password', password, '--quiet']);
  const hashed = stdout
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('16:'));
  if (hashed === undefined) throw new Error('tor --hash-password printed no hash');
  return hashed;
}

/** Waits (bounded poll with sleeps, never busy) for tor's ControlPortWriteToFile output. */
async function waitForControlPort(
  file: string,
  child: ChildProcess,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ host: string; port: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`tor exited early with ${child.exitCode}`);
    try {
      const text = await readFile(file, 'utf8');
      const match = /^PORT=([0-9.]+):(\d+)\s*$/m.exec(text);
      if (match !== null) return { host: match[1]!, port: Number(match[2]) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (Date.now() > deadline) throw new Error('tor did not write its control port file in time');
    await sleep(50, undefined, signal !== undefined ? { signal } : {});
  }
}

export async function startTestTor(
  auth: TestTorAuth,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TestTor> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sotto-control-tor-'));
  await chmod(dataDir, 0o700);
  const portFile = join(dataDir, 'control-port');
  const cookieFile = join(dataDir, 'control_auth_cookie');
  const lines = [
    'DisableNetwork 1',
    'SocksPort 0',
    'ControlPort auto',
    `ControlPortWriteToFile ${portFile}`,
    `DataDirectory ${dataDir}`,
    'Log notice stdout',
    'AvoidDiskWrites 1',
    `__OwningControllerProcess ${process.pid}`,
  ];
  if (auth.kind === 'cookie') {
    lines.push('CookieAuthentication 1', `CookieAuthFile ${cookieFile}`);
  } else if (auth.kind === 'password') {
    lines.push(`HashedControlPassword ${await hashPassword(auth.password)}`);
  }
  const torrc = join(dataDir, 'torrc');
  await writeFile(torrc, `${lines.join('\n')}\n`, { mode: 0o600 });
  const child = spawn('tor', ['-f', torrc, '--ignore-missing-torrc'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { host, port } = await waitForControlPort(
      portFile,
      child,
      options.timeoutMs ?? 15_000,
      options.signal,
    );
    return { host, port, dataDir, cookieFile, exited, stop };
  } catch (error) {
    await stop();
    throw new Error(`test tor did not start:\n${log.join('')}`, { cause: error });
  }
}
