// Test helper: a plain client tor (optionally joined to the private test network) with
// `ControlPort auto`, `SocksPort auto`, cookie auth and a temp DataDirectory, plus a minimal raw
// control-port exchange (control-spec §2–4). Stand-in until tests use src/onion's real launcher.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TorNodeProcess } from '../../tor/tor-process.js';

export interface ClientTor {
  readonly dataDir: string;
  readonly pid: number;
  readonly controlPort: number;
  /** 0 when started with `SocksPort 0`. */
  readonly socksPort: number;
  /** Resolves at the log line `Bootstrapped 100%`. */
  waitForBootstrap(signal?: AbortSignal): Promise<void>;
  /** An authenticated control connection. */
  openControl(): Promise<ControlConnection>;
  lastLines(): string[];
  stop(): Promise<void>;
}

export interface ClientTorOptions {
  /** Lines to join a network (from the global setup); omit for a standalone tor. */
  readonly testnetLines?: readonly string[];
  readonly extraLines?: readonly string[];
  readonly socks?: boolean;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

const POLL_MS = 100;

async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  signal: AbortSignal,
  child: TorNodeProcess,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (child.exitStatus !== undefined) {
      throw new Error(`tor exited while waiting for ${what}:\n${child.lastLines().join('\n')}`);
    }
    if (signal.aborted) {
      throw new Error(`timed out waiting for ${what}:\n${child.lastLines().join('\n')}`, {
        cause: signal.reason,
      });
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

export async function startClientTor(options: ClientTorOptions = {}): Promise<ClientTor> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const dataDir = await mkdtemp(join(tmpdir(), 'sotto-client-tor-')); // 0700
  const portFile = join(dataDir, 'control-port');
  const lines: string[] = [];
  const torrc = [
    `DataDirectory ${dataDir}`,
    'ControlPort auto',
    `ControlPortWriteToFile ${portFile}`,
    'CookieAuthentication 1',
    `SocksPort ${options.socks === false ? '0' : 'auto'}`,
    'Log notice stdout',
    `__OwningControllerProcess ${process.pid}`,
    ...(options.testnetLines ?? []),
    ...(options.extraLines ?? []),
  ];
  const torrcPath = join(dataDir, 'torrc');
  await writeFile(torrcPath, torrc.join('\n') + '\n', { mode: 0o600 });
  const child = await TorNodeProcess.start('tor', 'client', torrcPath, (line) => lines.push(line));
  try {
    const controlPort = await waitFor(
      async () => {
        const text = await readFile(portFile, 'utf8').catch(() => '');
        const match = /^PORT=127\.0\.0\.1:(\d+)$/m.exec(text);
        return match?.[1] ? Number(match[1]) : undefined;
      },
      'the control port file',
      signal,
      child,
    );
    const socksPort =
      options.socks === false
        ? 0
        : await waitFor(
            () => {
              for (const line of lines) {
                const match =
                  /Opened Socks listener connection \(ready\) on 127\.0\.0\.1:(\d+)/.exec(line);
                if (match?.[1]) return Number(match[1]);
              }
              return undefined;
            },
            'the SOCKS listener',
            signal,
            child,
          );
    const cookie = await readFile(join(dataDir, 'control_auth_cookie'));
    return {
      dataDir,
      pid: child.pid,
      controlPort,
      socksPort,
      waitForBootstrap: async (waitSignal) => {
        const bootTimeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
        await waitFor(
          () => (lines.some((line) => line.includes('Bootstrapped 100%')) ? true : undefined),
          'Bootstrapped 100%',
          waitSignal ? AbortSignal.any([waitSignal, bootTimeout]) : bootTimeout,
          child,
        );
      },
      openControl: async () => {
        const control = await ControlConnection.open(controlPort);
        const reply = await control.command(`AUTHENTICATE ${cookie.toString('hex')}`);
        if (reply.status !== 250) throw new Error(`AUTHENTICATE failed: ${reply.lines.join(' ')}`);
        return control;
      },
      lastLines: () => child.lastLines(),
      stop: async () => {
        await child.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface ControlReply {
  readonly status: number;
  /** Reply lines without the `NNN-`/`NNN ` prefix. */
  readonly lines: string[];
}

/** Minimal control connection: FIFO replies, `650` events to listeners. Single-line replies only
 * plus `250-` continuation lines (enough for AUTHENTICATE, ADD_ONION, SETEVENTS). */
export class ControlConnection {
  #socket: Socket;
  #buffer = '';
  #pending: {
    lines: string[];
    resolve: (reply: ControlReply) => void;
    reject: (error: Error) => void;
  }[] = [];
  #eventListeners = new Set<(line: string) => void>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let newline: number;
      while ((newline = this.#buffer.indexOf('\r\n')) >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 2);
        this.#onLine(line);
      }
    });
    // A pending command never outlives the connection.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const head of this.#pending.splice(0)) {
        head.reject(new Error('control connection closed before the reply'));
      }
    });
  }

  static open(port: number, timeoutMs = 10_000): Promise<ControlConnection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`control port ${port}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const socket = connect({ host: '127.0.0.1', port }, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new ControlConnection(socket));
      });
      const onError = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', onError);
    });
  }

  #onLine(line: string): void {
    if (line.startsWith('650')) {
      for (const listener of this.#eventListeners) listener(line.slice(4));
      return;
    }
    const head = this.#pending[0];
    if (!head) return;
    head.lines.push(line.slice(4));
    if (line.charAt(3) === ' ') {
      this.#pending.shift();
      head.resolve({ status: Number(line.slice(0, 3)), lines: head.lines });
    }
  }

  /** Sends one command; rejects after `timeoutMs` (and closes: later replies would be misread). */
  command(text: string, timeoutMs = 30_000): Promise<ControlReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no reply to ${text.split(' ')[0] ?? ''} within ${timeoutMs} ms`));
        this.#socket.destroy();
      }, timeoutMs);
      this.#pending.push({
        lines: [],
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#socket.write(`${text}\r\n`);
    });
  }

  onEvent(listener: (line: string) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  close(): void {
    this.#socket.end();
  }
}
