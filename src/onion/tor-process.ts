// The tor child process of launch mode: locate the binary, write the torrc (0600) into the data
// directory (0700), spawn tor with `-f` and an empty defaults file, wait for the control port file
// (bounded poll with sleeps, timeout and AbortSignal) and stop exactly this child when asked.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBounded, readTail } from '../fs/read-bounded.js';
import { TorNotFoundError, TorStartError } from './tor-errors.js';
import { generateTorrc, torrcFiles, type TorrcFiles } from './torrc.js';

/** Where tor usually lives when it is not on PATH (Debian installs it in /usr/sbin). */
const WELL_KNOWN_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];
const LOG_TAIL_LINES = 20;
/** How much of the end of tor's log is read for `logTail` (the log itself can grow without bound). */
const LOG_TAIL_BYTES = 64 * 1024;

/** The last non-empty lines of tor's log, each cut to 500 characters; [] when it cannot be read. */
export async function readLogTail(logFile: string): Promise<string[]> {
  const tail = await readTail(logFile, LOG_TAIL_BYTES).catch(() => undefined);
  if (tail === undefined) return [];
  const lines = tail.bytes.toString('utf8').split('\n');
  if (tail.truncated) lines.shift(); // a line cut by where the read began
  return lines
    .filter((line) => line.trim() !== '')
    .slice(-LOG_TAIL_LINES)
    .map((line) => line.slice(0, 500));
}

const MAX_CONTROL_PORT_FILE_BYTES = 4_096;

export interface TorExit {
  readonly code: number | null;
  readonly signal: string | null;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves the tor binary: an explicit path, else PATH, else the usual install directories. */
export async function findTor(
  torPath?: string,
  envPath = process.env['PATH'] ?? '',
): Promise<string> {
  if (torPath !== undefined) {
    if (await isExecutable(torPath)) return path.resolve(torPath);
    throw new TorNotFoundError(`no executable at ${torPath}`);
  }
  const dirs = [
    ...envPath.split(path.delimiter).filter((d) => path.isAbsolute(d)),
    ...WELL_KNOWN_DIRS,
  ];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'tor');
    if (await isExecutable(candidate)) return candidate;
  }
  return Promise.reject(new TorNotFoundError('searched PATH and ' + WELL_KNOWN_DIRS.join(', ')));
}

/** Writes `content` to `file` atomically with the given mode. */
async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

/** Parses `PORT=127.0.0.1:9051` from a ControlPortWriteToFile file (tor's ControlPortWriteToFile). */
export function parseControlPortFile(text: string): { host: string; port: number } | undefined {
  for (const line of text.split('\n')) {
    const match = /^PORT=(127\.0\.0\.1|\[::1\]):(\d{1,5})\r?$/u.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      const port = Number(match[2]);
      if (port >= 1 && port <= 65_535) return { host: match[1].replace(/^\[|\]$/gu, ''), port };
    }
  }
  return undefined;
}

export interface SpawnTorOptions {
  readonly torPath: string;
  readonly dataDir: string;
  readonly extraTorrcLines?: readonly string[];
  readonly startTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/** How long a stopping tor gets (to answer SHUTDOWN, to exit before SIGTERM, then SIGKILL). */
export const TOR_STOP_GRACE_MS = 2_000;

/** One running tor child. `exited` settles when the process is gone. */
export class TorProcess {
  readonly files: TorrcFiles;
  readonly exited: Promise<TorExit>;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  #exit: TorExit | undefined;

  private constructor(child: ChildProcess, files: TorrcFiles) {
    this.#child = child;
    this.files = files;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      child.once('error', () => {
        this.#exit ??= { code: null, signal: null };
        resolve(this.#exit);
      });
    });
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.#output.push(line.slice(0, 500));
        if (this.#output.length > LOG_TAIL_LINES) this.#output.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Spawns tor and waits until it wrote its control port file. */
  static async spawn(
    options: SpawnTorOptions,
  ): Promise<{ process: TorProcess; control: { host: string; port: number } }> {
    const dataDir = path.resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    const files = torrcFiles(dataDir);
    const torrcPath = path.join(dataDir, 'torrc');
    const defaultsPath = path.join(dataDir, 'torrc-defaults');
    const torrc = generateTorrc({
      dataDir,
      ownerPid: process.pid,
      extraLines: options.extraTorrcLines ?? [],
    });
    await writeFileAtomic(torrcPath, torrc, 0o600);
    await writeFileAtomic(defaultsPath, '', 0o600);
    await rm(files.controlPortFile, { force: true });
    options.signal?.throwIfAborted();

    const child = spawn(options.torPath, ['-f', torrcPath, '--defaults-torrc', defaultsPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { HOME: process.env['HOME'] ?? dataDir, PATH: process.env['PATH'] ?? '' },
    });
    const tor = new TorProcess(child, files);
    try {
      const control = await tor.#waitForControlPort(options.startTimeoutMs, options.signal);
      return { process: tor, control };
    } catch (error) {
      await tor.stop();
      throw error;
    }
  }

  async #waitForControlPort(
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ host: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    let delay = 20;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#exit !== undefined) {
        throw new TorStartError(
          `tor exited while starting (code ${this.#exit.code}, signal ${this.#exit.signal})`,
          await this.logTail(),
        );
      }
      const read = await readBounded(this.files.controlPortFile, MAX_CONTROL_PORT_FILE_BYTES).catch(
        () => undefined,
      );
      const endpoint =
        read !== undefined && !read.truncated
          ? parseControlPortFile(read.bytes.toString('utf8'))
          : undefined;
      if (endpoint !== undefined) return endpoint;
      if (Date.now() >= deadline) {
        throw new TorStartError(
          `tor did not open its control port within ${timeoutMs} ms`,
          await this.logTail(),
        );
      }
      await Promise.race([sleep(delay, undefined, { signal }), this.exited]);
      delay = Math.min(delay * 2, 250);
    }
  }

  /** The last lines tor printed or logged (for error messages; tor's SafeLogging is on). */
  async logTail(): Promise<string[]> {
    const lines = await readLogTail(this.files.logFile);
    return lines.length > 0 ? lines : [...this.#output];
  }

  /** SIGTERM, then SIGKILL after `graceMs` — sent to this child only. Resolves once it is gone. */
  async stop(graceMs = TOR_STOP_GRACE_MS): Promise<TorExit> {
    if (this.#exit !== undefined) return this.#exit;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits up to `timeoutMs` for the process to exit on its own, then stops it. */
  async waitForExit(timeoutMs: number): Promise<TorExit> {
    if (this.#exit !== undefined) return this.#exit;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
