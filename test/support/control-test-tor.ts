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

export interface TestTorOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Listen on a unix socket in the data directory instead of a TCP port. */
  readonly unixSocket?: boolean;
  /** Extra torrc lines (e.g. a private test network's client lines). */
  readonly extraTorrc?: readonly string[];
  /** Keep DisableNetwork off (only with a loopback test network in extraTorrc). */
  readonly network?: boolean;
}

export type TestTorControlTarget =
  { readonly host: string; readonly port: number } | { readonly path: string };

export interface TestTor {
  readonly target: TestTorControlTarget;
  readonly pid: number;
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
): Promise<TestTorControlTarget> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`tor exited early with ${child.exitCode}`);
    try {
      const text = await readFile(file, 'utf8');
      const tcp = /^PORT=([0-9.]+):(\d+)\s*$/m.exec(text);
      if (tcp !== null) return { host: tcp[1]!, port: Number(tcp[2]) };
      const unix = /^UNIX_PORT=(\S+)\s*$/m.exec(text);
      if (unix !== null) return { path: unix[1]! };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (Date.now() > deadline) throw new Error('tor did not write its control port file in time');
    await sleep(50, undefined, signal !== undefined ? { signal } : {});
  }
}

export async function startTestTor(
  auth: TestTorAuth,
  options: TestTorOptions = {},
): Promise<TestTor> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sotto-control-tor-'));
  await chmod(dataDir, 0o700);
  const portFile = join(dataDir, 'control-port');
  const cookieFile = join(dataDir, 'control_auth_cookie');
  const lines = [
    `DisableNetwork ${options.network === true ? 0 : 1}`,
    'SocksPort 0',
    options.unixSocket === true
      ? `ControlPort unix:${join(dataDir, 'control.sock')}`
      : 'ControlPort auto',
    `ControlPortWriteToFile ${portFile}`,
    `DataDirectory ${dataDir}`,
    'Log notice stdout',
    'AvoidDiskWrites 1',
    `__OwningControllerProcess ${process.pid}`,
  ];
  lines.push(...(options.extraTorrc ?? []));
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
    const target = await waitForControlPort(
      portFile,
      child,
      options.timeoutMs ?? 15_000,
      options.signal,
    );
    if (child.pid === undefined) throw new Error('tor has no pid');
    return { target, pid: child.pid, dataDir, cookieFile, exited, stop };
  } catch (error) {
    await stop();
    throw new Error(`test tor did not start:\n${log.join('')}`, { cause: error });
  }
}
