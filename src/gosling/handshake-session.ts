// The sans-IO frame shared by the four Gosling v0.1.0 handshake machines (identity and endpoint,
// client and server): Honk-RPC messages in and out, the deadline, and the one way a session ends
// badly ("Calling these functions out of order MUST result in an error being returned and the
// connection being closed"; Honk-RPC: protocol errors are fatal, and a fatal error section ends
// the session on both sides).
//
// How a socket adapter drives a machine:
//   - on socket data: m.receive(chunk, Date.now()); on a timer: m.tick(Date.now());
//   - on socket end/close: m.transportClosed();
//   - after each call: write every buffer of m.takeOutput(), then handle m.takeEvents():
//     `completed` → the stream is the application's; bytes that followed the last handshake
//     message are in m.takeRemainder(). `failed` → flush the output (it may carry the error
//     section for the peer), then close the socket.
// receive(), tick() and transportClosed() never throw for anything the peer does; a caller calling
// out of order gets a HandshakeOrderError thrown AND the session fails.
import {
  GoslingError,
  HandshakeAbortedError,
  HandshakeOrderError,
  HandshakeTimeoutError,
  PeerErrorError,
} from './errors.js';
import { HonkDecoder } from './honk-decoder.js';
import { encodeHonkMessage, MAX_MESSAGE_SIZE, type Section } from './honk-message.js';

/** The Gosling protocol version this layer speaks. */
export const GOSLING_VERSION = '0.1.0';
/** Default time from the session's start until the handshake must have completed. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

export interface SessionOptions {
  /** The clock at the session's start (ms); the deadline counts from it. */
  readonly now: number;
  readonly timeoutMs?: number;
  readonly maxMessageSize?: number;
  /** CSPRNG for cookies; tests inject fixed bytes. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

export type HandshakeEvent<Result> =
  | { readonly type: 'completed'; readonly result: Result }
  | { readonly type: 'failed'; readonly error: GoslingError };

export type SessionState = 'running' | 'completed' | 'failed';

export function defaultRandomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

export abstract class HandshakeSession<Result> {
  readonly #decoder: HonkDecoder;
  readonly #deadline: number;
  readonly #maxMessageSize: number;
  #output: Uint8Array[] = [];
  #events: HandshakeEvent<Result>[] = [];
  #state: SessionState = 'running';
  protected readonly randomBytes: (length: number) => Uint8Array;

  constructor(options: SessionOptions) {
    this.#maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE_SIZE;
    this.#decoder = new HonkDecoder(this.#maxMessageSize);
    this.#deadline = options.now + (options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    this.randomBytes = options.randomBytes ?? defaultRandomBytes;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** Feeds bytes from the peer. Throws HandshakeOrderError only if called after completion. */
  receive(bytes: Uint8Array, now: number): void {
    if (this.#state === 'completed') {
      throw new HandshakeOrderError('the handshake is over: the stream is the application’s');
    }
    if (this.#state === 'failed') return;
    if (this.tick(now)) return;
    try {
      this.#decoder.push(bytes);
      for (let message = this.#decoder.next(); message; message = this.#decoder.next()) {
        for (const section of message.sections) {
          if (this.#state !== 'running') {
            throw new HandshakeOrderError('a section followed the end of the handshake');
          }
          this.#handle(section);
        }
        if (this.#state !== 'running') break;
      }
    } catch (error) {
      if (!(error instanceof GoslingError)) throw error;
      this.fail(error, true);
    }
  }

  /** Checks the deadline; true if the session is (now) over by timeout. */
  tick(now: number): boolean {
    if (this.#state === 'running' && now >= this.#deadline) {
      this.fail(new HandshakeTimeoutError('the handshake did not complete in time'), true);
      return true;
    }
    return false;
  }

  /** The transport closed: a running handshake fails. */
  transportClosed(): void {
    if (this.#state === 'running') {
      this.fail(new HandshakeAbortedError('the connection closed during the handshake'), false);
    }
  }

  takeOutput(): Uint8Array[] {
    const out = this.#output;
    this.#output = [];
    return out;
  }

  takeEvents(): HandshakeEvent<Result>[] {
    const out = this.#events;
    this.#events = [];
    return out;
  }

  /** After completion: the bytes that followed the last handshake message (the app's data). */
  takeRemainder(): Uint8Array {
    if (this.#state !== 'completed') throw new HandshakeOrderError('the handshake is not complete');
    return this.#decoder.takeRemainder();
  }

  /** Handles one request or response section; throw a GoslingError to fail the session. */
  protected abstract onSection(section: Exclude<Section, { kind: 'error' }>): void;

  protected send(section: Section): void {
    this.#output.push(encodeHonkMessage({ sections: [section] }, this.#maxMessageSize));
  }

  protected complete(result: Result): void {
    this.#state = 'completed';
    this.#events.push({ type: 'completed', result });
  }

  /** Ends the session; with `notifyPeer`, queues an error section for the peer first. */
  protected fail(error: GoslingError, notifyPeer: boolean): void {
    if (this.#state !== 'running') return;
    this.#state = 'failed';
    if (notifyPeer) {
      // Only the stable code goes to the peer: no message text, no detail about our state.
      this.send({ kind: 'error', code: error.honkCode, message: error.code });
    }
    this.#events.push({ type: 'failed', error });
  }

  /** For a caller calling out of order: fail the session and throw the same error. */
  protected callerOutOfOrder(what: string): never {
    const error = new HandshakeOrderError(what);
    this.fail(error, true);
    throw error;
  }

  #handle(section: Section): void {
    if (section.kind === 'error') {
      // The peer ended the session: no reply (it has closed, or will).
      this.fail(new PeerErrorError(section.code, `the peer sent error ${section.code}`), false);
      return;
    }
    this.onSection(section);
  }
}
