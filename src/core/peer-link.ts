// The thin socket adapter of a Ricochet v3 connection: binds one Duplex (a SOCKS stream we dialled
// or an inbound onion socket) to one sans-IO RicochetConnection, as its header describes: data in,
// a 1 s tick, output drained with backpressure, `closing` → flush + end, `closed` → destroy.
// Input is handled a bounded slice at a time and within the peer's chat budget (the connection's
// inbound limits): while received packets wait, the socket is not read (TCP backpressure) and the
// next slice runs from setImmediate, or from a timer once the budget has a token again.
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RicochetConnection } from '../protocol/connection.js';
import { ConnectionStateError, type ConnectionEvent } from '../protocol/connection-types.js';

export const TICK_INTERVAL_MS = 1_000;
/**
 * Replies and chat frames we hold for a peer that does not read them. Past this we stop reading
 * its input (TCP backpressure) until it has taken them; file chunks are not counted, so two peers
 * sending files to each other never both stop reading.
 */
export const MAX_UNSENT_PRIORITY_BYTES = 1024 * 1024;

/** The input hold taken while received packets wait for their slice or for the chat budget. */
const PACING_HOLD = 'inbound-pacing';

export interface PeerLinkOptions {
  readonly socket: Duplex;
  readonly connection: RicochetConnection;
  /** Every event of the connection, in order. Exceptions thrown here are swallowed. */
  readonly onEvent: (link: PeerLink, event: ConnectionEvent) => void;
  readonly now?: () => number;
  readonly tickIntervalMs?: number;
  /**
   * An endpoint stream: the bytes that followed the Gosling handshake (fed first), on a socket
   * the handshake left paused (resumed here).
   */
  readonly initialInput?: Uint8Array;
}

let nextLinkId = 1;

/** One live transport + connection. Never throws from socket callbacks; see `run` for commands. */
export class PeerLink {
  readonly id = nextLinkId++;
  readonly connection: RicochetConnection;
  readonly #socket: Duplex;
  readonly #onEvent: PeerLinkOptions['onEvent'];
  readonly #now: () => number;
  readonly #timer: NodeJS.Timeout;
  #pumping = false;
  #again = false;
  #ending = false;
  #closed = false;
  #readPaused = false;
  #nextSlice: { immediate: NodeJS.Immediate } | { timer: NodeJS.Timeout } | undefined;
  /** Reasons the owner asked us not to read (e.g. received file data still waiting for the disk). */
  readonly #inputHolds = new Set<string>();
  /** When the connection authenticated (ms), for the duplicate rule. */
  authenticatedAt: number | undefined;

  constructor(options: PeerLinkOptions) {
    this.connection = options.connection;
    this.#socket = options.socket;
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? Date.now;
    const socket = this.#socket;
    // Chat is interactive: no Nagle delay behind a previous unacknowledged segment (a ~40 ms stall
    // per message on loopback to tor). Bursts are still coalesced by cork/uncork in #writeOutput.
    if (socket instanceof Socket) socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.connection.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.pump();
      this.#paceInput();
    });
    socket.on('drain', () => this.pump());
    socket.on('end', () => this.#transportEnded());
    socket.on('close', () => this.#transportEnded());
    socket.on('error', () => this.#transportEnded());
    this.#timer = setInterval(() => {
      this.connection.tick(this.#now());
      this.pump();
    }, options.tickIntervalMs ?? TICK_INTERVAL_MS);
    this.#timer.unref();
    if (options.initialInput !== undefined) {
      if (options.initialInput.length > 0) this.connection.receive(options.initialInput);
      socket.resume();
    }
    this.pump();
    this.#paceInput();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while input is not read: the peer has not taken our replies, or an input hold is on. */
  get readPaused(): boolean {
    return this.#readPaused;
  }

  /**
   * Why received packets wait unhandled (the socket is not read meanwhile): 'budget' while the
   * peer's chat budget is spent, 'slice' until the next slice's turn; undefined when none wait.
   */
  get inputWait(): 'budget' | 'slice' | undefined {
    if (this.#closed || !this.connection.hasPendingInput) return undefined;
    return this.connection.inputBlockedUntil === undefined ? 'slice' : 'budget';
  }

  /** Stops reading this peer until `releaseInput(reason)` (TCP backpressure on its sending). */
  holdInput(reason: string): void {
    this.#inputHolds.add(reason);
    this.#applyBackpressure();
  }

  releaseInput(reason: string): void {
    if (this.#inputHolds.delete(reason)) this.#applyBackpressure();
  }

  /**
   * Runs a command on the connection, then flushes. Returns undefined if the command did not
   * happen because of the connection's state (closed or closing, the channel gone, the transfer
   * or request already ended: a race with the peer, ConnectionStateError): the caller must treat
   * its command as not done. Any other error is the caller's mistake (a bad argument, a bug) and
   * is thrown.
   */
  run<T>(command: (connection: RicochetConnection) => T): T | undefined {
    if (this.#closed) return undefined;
    try {
      return command(this.connection);
    } catch (error) {
      if (error instanceof ConnectionStateError) return undefined;
      throw error;
    } finally {
      this.pump();
    }
  }

  /** Graceful close (Ricochet: close channel 0 is not needed; end the transport after output). */
  close(): void {
    if (this.#closed) return;
    this.connection.close();
    this.pump();
  }

  /** Tear down at once (shutdown, or the connection lost a duplicate contest and must go now). */
  destroy(): void {
    if (this.#closed) return;
    this.connection.close();
    this.connection.transportClosed();
    this.#socket.destroy();
    this.pump();
  }

  /** Writes pending output while the socket accepts it, then delivers events; re-entrant safe. */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#writeOutput();
        for (const event of this.connection.takeEvents()) this.#handle(event);
      } while (this.#again);
      this.#applyBackpressure();
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Stop reading a peer that leaves our replies unread, or while an input hold is on; read again
   * once the replies drained (to half the bound) and no hold is left.
   */
  #applyBackpressure(): void {
    const socket = this.#socket;
    const ending = this.#closed || this.#ending;
    const backlog = this.connection.pendingPriorityBytes;
    const limit = this.#readPaused ? MAX_UNSENT_PRIORITY_BYTES / 2 : MAX_UNSENT_PRIORITY_BYTES;
    const pause = !ending && (backlog > limit || this.#inputHolds.size > 0);
    if (pause && !this.#readPaused) {
      this.#readPaused = true;
      socket.pause();
    } else if (!pause && this.#readPaused) {
      this.#readPaused = false;
      socket.resume();
    }
  }

  /** Holds input while packets wait and schedules their next slice (one at a time). */
  #paceInput(): void {
    if (this.#closed || !this.connection.hasPendingInput) {
      this.#cancelNextSlice();
      this.releaseInput(PACING_HOLD);
      return;
    }
    this.holdInput(PACING_HOLD);
    if (this.#nextSlice !== undefined) return;
    const run = (): void => {
      this.#nextSlice = undefined;
      if (this.#closed) return;
      this.connection.continueInput();
      this.pump();
      this.#paceInput();
    };
    const until = this.connection.inputBlockedUntil;
    if (until === undefined) {
      this.#nextSlice = { immediate: setImmediate(run) };
    } else {
      const timer = setTimeout(run, Math.max(1, until - this.#now()));
      timer.unref();
      this.#nextSlice = { timer };
    }
  }

  #cancelNextSlice(): void {
    const next = this.#nextSlice;
    if (next === undefined) return;
    this.#nextSlice = undefined;
    if ('immediate' in next) clearImmediate(next.immediate);
    else clearTimeout(next.timer);
  }

  #writeOutput(): void {
    const socket = this.#socket;
    if (this.#closed) {
      this.connection.takeOutput();
      return;
    }
    socket.cork();
    try {
      while (!socket.destroyed && !socket.writableEnded && !socket.writableNeedDrain) {
        const frames = this.connection.takeOutput();
        if (frames.length === 0) break;
        for (const frame of frames) socket.write(frame);
      }
    } finally {
      socket.uncork();
    }
    if (this.#ending && !this.connection.hasPendingOutput && !socket.writableEnded) socket.end();
  }

  #handle(event: ConnectionEvent): void {
    if (event.type === 'authenticated') this.authenticatedAt = this.#now();
    if (event.type === 'closing') {
      this.#ending = true;
      this.#again = true; // flush what is left, then end
    }
    if (event.type === 'closed') {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#cancelNextSlice();
      this.#socket.destroy();
    }
    try {
      this.#onEvent(this, event);
    } catch {
      // the owner's bug must not break the transport; it is reported by the owner's own guard
    }
  }

  #transportEnded(): void {
    if (this.#closed) return;
    this.connection.transportClosed();
    this.pump();
  }
}
