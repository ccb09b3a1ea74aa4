// Thin socket adapter for the Tor control port (torspec control-spec §2, §4.1): writes one-line
// commands, feeds bytes to the sans-IO ControlReplyParser, matches sync replies to commands strictly
// in FIFO order (§1: "Servers respond to messages in the order messages are received") and routes
// 6xx async replies to event listeners. Any doubt about the FIFO (timeout, abort, bad bytes) closes.
import { createConnection, type Socket } from 'node:net';
import {
  ControlAbortedError,
  ControlArgumentError,
  ControlConnectError,
  ControlConnectionClosedError,
  ControlProtocolError,
  ControlTimeoutError,
  TorControlError,
} from './errors.js';
import {
  ControlReplyParser,
  replyText,
  type ControlReply,
  type ControlReplyLine,
  type ControlReplyParserLimits,
} from './reply-parser.js';

export type ControlTarget =
  { readonly host: string; readonly port: number } | { readonly path: string };

export interface ControlConnectOptions {
  readonly signal?: AbortSignal;
  /** Time allowed to establish the connection (default 10 s). */
  readonly timeoutMs?: number;
  /** Default per-command reply timeout (default 30 s). */
  readonly commandTimeoutMs?: number;
  readonly limits?: ControlReplyParserLimits;
  /** Called when an event/close listener throws; default rethrows on a microtask. */
  readonly onListenerError?: (error: unknown) => void;
}

export interface ControlSendOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** An asynchronous (6xx) reply, e.g. `650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 …`. */
export interface TorAsyncEvent {
  /** First word of the first line, e.g. `STATUS_CLIENT`, `HS_DESC`, `NETWORK_LIVENESS`. */
  readonly keyword: string;
  /** The first line's text after the keyword and its space. */
  readonly line: string;
  readonly lines: readonly ControlReplyLine[];
  readonly reply: ControlReply;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

interface PendingCommand {
  readonly keyword: string;
  readonly resolve: (reply: ControlReply) => void;
  readonly reject: (error: Error) => void;
  readonly cleanup: () => void;
}

export class TorControlConnection {
  readonly #socket: Socket;
  readonly #parser: ControlReplyParser;
  readonly #commandTimeoutMs: number;
  readonly #onListenerError: (error: unknown) => void;
  readonly #pending: PendingCommand[] = [];
  readonly #eventListeners = new Set<(event: TorAsyncEvent) => void>();
  readonly #closeListeners = new Set<(error: Error | undefined) => void>();
  #closed = false;
  #closeError: Error | undefined;

  private constructor(socket: Socket, options: ControlConnectOptions) {
    this.#socket = socket;
    this.#parser = new ControlReplyParser(options.limits);
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#onListenerError =
      options.onListenerError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) =>
      this.#fail(new ControlConnectionClosedError('tor control socket error', { cause: error })),
    );
    socket.on('close', () => this.#fail(undefined));
  }

  /** Connects to a control port (TCP) or control socket (Unix path). */
  static async connect(
    target: ControlTarget,
    options: ControlConnectOptions = {},
  ): Promise<TorControlConnection> {
    const { signal } = options;
    if (signal?.aborted === true) throw new ControlAbortedError('connect aborted');
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const socket =
      'path' in target
        ? createConnection({ path: target.path })
        : createConnection({ host: target.host, port: target.port });
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        if (error === undefined) {
          resolve();
        } else {
          socket.destroy();
          reject(error);
        }
      };
      const onConnect = (): void => finish();
      const onError = (error: Error): void =>
        finish(new ControlConnectError('cannot connect to the tor control port', { cause: error }));
      const onAbort = (): void => finish(new ControlAbortedError('connect aborted'));
      const timer = setTimeout(
        () => finish(new ControlTimeoutError('connect', timeoutMs)),
        timeoutMs,
      );
      socket.once('connect', onConnect);
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return new TorControlConnection(socket, options);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one command line (CRLF is added) and resolves with its reply. A 4xx/5xx reply rejects
   * with TorControlError (`.status`). Timeout or abort rejects and closes the connection, because
   * tor's late reply would otherwise be matched to the next command.
   */
  send(command: string, options: ControlSendOptions = {}): Promise<ControlReply> {
    const keyword = (command.split(' ', 1)[0] ?? '').toUpperCase();
    if (this.#closed) {
      return Promise.reject(
        new ControlConnectionClosedError('tor control connection is closed', {
          cause: this.#closeError,
        }),
      );
    }
    if (/[\r\n\0]/.test(command) || keyword === '') {
      return Promise.reject(
        new ControlArgumentError('a control command must be one non-empty line without NUL'),
      );
    }
    const { signal } = options;
    if (signal?.aborted === true) {
      return Promise.reject(new ControlAbortedError(`${keyword} aborted before it was sent`));
    }
    const timeoutMs = options.timeoutMs ?? this.#commandTimeoutMs;
    return new Promise<ControlReply>((resolve, reject) => {
      const onAbort = (): void => {
        const error = new ControlAbortedError(`${keyword} aborted`);
        reject(error);
        this.#fail(error, entry);
      };
      const timer = setTimeout(() => {
        const error = new ControlTimeoutError(keyword, timeoutMs);
        reject(error);
        this.#fail(error, entry);
      }, timeoutMs);
      const entry: PendingCommand = {
        keyword,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.push(entry);
      this.#socket.write(`${command}\r\n`, 'utf8');
    });
  }

  /** Subscribes to 6xx async events (after SETEVENTS). Returns an unsubscribe function. */
  onEvent(listener: (event: TorAsyncEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Called once when the connection closes; `error` says why unless it was a clean close. */
  onClose(listener: (error: Error | undefined) => void): () => void {
    if (this.#closed) {
      queueMicrotask(() => this.#callListener(() => listener(this.#closeError)));
      return () => undefined;
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Closes the connection; pending commands reject with ControlConnectionClosedError. */
  close(): void {
    this.#fail(undefined);
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let replies: ControlReply[];
    try {
      replies = this.#parser.push(chunk);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    for (const reply of replies) {
      if (this.#closed) return;
      if (reply.isAsync) {
        this.#dispatchEvent(reply);
        continue;
      }
      const entry = this.#pending.shift();
      if (entry === undefined) {
        this.#fail(new ControlProtocolError('tor sent a reply to no command'));
        return;
      }
      entry.cleanup();
      if (reply.status >= 400) {
        entry.reject(new TorControlError(reply.status, replyText(reply), entry.keyword));
      } else {
        entry.resolve(reply);
      }
    }
  }

  #dispatchEvent(reply: ControlReply): void {
    const first = reply.lines[0]?.text ?? '';
    const space = first.indexOf(' ');
    const event: TorAsyncEvent = {
      keyword: space === -1 ? first : first.slice(0, space),
      line: space === -1 ? '' : first.slice(space + 1),
      lines: reply.lines,
      reply,
    };
    for (const listener of [...this.#eventListeners]) this.#callListener(() => listener(event));
  }

  #callListener(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#onListenerError(error);
    }
  }

  /** Closes everything once. `origin` (if any) has already been rejected by its caller. */
  #fail(error: Error | undefined, origin?: PendingCommand): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#socket.destroy();
    const pending = this.#pending.splice(0);
    for (const entry of pending) {
      entry.cleanup();
      if (entry === origin) continue;
      entry.reject(
        new ControlConnectionClosedError(
          `tor control connection closed before ${entry.keyword} reply`,
          {
            cause: error,
          },
        ),
      );
    }
    this.#eventListeners.clear();
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    for (const listener of listeners) this.#callListener(() => listener(error));
  }
}
