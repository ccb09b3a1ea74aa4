// Child-process supervision for the private test network: run a one-shot command (tor-gencert,
// tor --list-fingerprint) with a timeout and AbortSignal, and keep a long-running tor node as a
// child we stop by its own PID (SIGTERM, then SIGKILL after a grace period). Never by name.
import { spawn, type ChildProcess } from 'node:child_process';

/** A command exited non-zero, was killed, or could not be started. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  constructor(
    message: string,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface RunCommandOptions {
  readonly cwd?: string;
  readonly stdin?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

const MAX_CAPTURED_OUTPUT = 64 * 1024;

/** Runs `file args…` to completion; resolves with its stdout + stderr, rejects on failure. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(file, args, {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_CAPTURED_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, options.timeoutMs);
    const onAbort = (): void => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      done();
      reject(new CommandFailedError(`could not run ${file}`, output, { cause: error }));
    });
    child.once('close', (code, signal) => {
      done();
      if (options.signal?.aborted) {
        const reason: unknown = options.signal.reason;
        reject(reason instanceof Error ? reason : new Error('aborted', { cause: reason }));
      } else if (code === 0 && stdinError !== undefined) {
        reject(new CommandFailedError(`could not write to ${file}`, output, { cause: stdinError }));
      } else if (code === 0) {
        resolve(output);
      } else {
        const why = signal === null ? `exit code ${code}` : `signal ${signal} (timeout?)`;
        reject(new CommandFailedError(`${file} ${args.join(' ')} failed: ${why}`, output));
      }
    });
    // A command may exit without reading its stdin (EPIPE): its exit status tells what happened.
    let stdinError: Error | undefined;
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') stdinError = error;
    });
    child.stdin.end(options.stdin ?? '');
  });
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const LOG_LINES_KEPT = 40;

/** A tor node running as our child process (foreground, `Log notice stdout`). */
export class TorNodeProcess {
  readonly pid: number;
  /** Settles when the process has exited, for whatever reason. */
  readonly exited: Promise<ExitStatus>;
  #child: ChildProcess;
  #lines: string[] = [];
  #partial = '';
  #exitStatus: ExitStatus | undefined;

  private constructor(
    child: ChildProcess,
    readonly name: string,
    onLine?: (line: string) => void,
  ) {
    this.#child = child;
    if (child.pid === undefined) throw new CommandFailedError(`could not start tor ${name}`, '');
    this.pid = child.pid;
    const onData = (chunk: Buffer): void => {
      const text = this.#partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.#partial = (parts.pop() ?? '').slice(-4096);
      for (const line of parts) {
        this.#lines.push(line);
        if (this.#lines.length > LOG_LINES_KEPT) this.#lines.shift();
        onLine?.(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitStatus = { code, signal };
        resolve(this.#exitStatus);
      });
    });
  }

  /** Starts `tor -f <torrc>`; rejects if tor cannot be executed at all. */
  static async start(
    torPath: string,
    name: string,
    torrcPath: string,
    onLine?: (line: string) => void,
  ): Promise<TorNodeProcess> {
    const child = spawn(torPath, ['-f', torrcPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(new CommandFailedError(`could not start tor ${name}`, '', { cause: error })),
      );
    });
    return new TorNodeProcess(child, name, onLine);
  }

  /** The last log lines (for error reports). */
  lastLines(): string[] {
    return [...this.#lines];
  }

  get exitStatus(): ExitStatus | undefined {
    return this.#exitStatus;
  }

  /** SIGTERM this PID, SIGKILL it after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (this.#exitStatus !== undefined) return this.#exitStatus;
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killLater = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.#exitStatus === undefined) this.#child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    const status = await Promise.race([this.exited, killLater.then(() => this.exited)]);
    clearTimeout(timer);
    return status;
  }
}
