// KeepAlive timing of a sans-IO Ricochet v3 connection (doc/protocol-v3.md "KeepAlive"; 3.0.41
// answers KeepAlive{response_requested} at once): the idle KeepAlive sent after a quiet interval
// and the deadline for its answer, and round-trip probes timed by their answers, which come back
// in order. Only the clock: the connection (connection.ts) writes the packets.
import { KEEPALIVE_RESPONSE_TIMEOUT_MS } from './connection-types.js';

/** KeepAlives awaiting their answer that we time (probes and the idle one). */
export const MAX_PROBES_IN_FLIGHT = 4;

export class KeepAliveClock {
  #lastInputAt: number;
  /** When the idle KeepAlive went out, while no input came since. */
  #idleSentAt: number | undefined;
  /** When each timed KeepAlive awaiting its answer went out. */
  readonly #sentAt: number[] = [];

  constructor(nowMs: number) {
    this.#lastInputAt = nowMs;
  }

  /** Input from the peer: it is alive, the idle KeepAlive is answered enough. */
  heard(nowMs: number): void {
    this.#lastInputAt = nowMs;
    this.#idleSentAt = undefined;
  }

  get canProbe(): boolean {
    return this.#sentAt.length < MAX_PROBES_IN_FLIGHT;
  }

  /** A KeepAlive{response_requested} goes out at `nowMs` (timed while there is room). */
  sent(nowMs: number): void {
    if (this.canProbe) this.#sentAt.push(nowMs);
  }

  /** The peer answered a KeepAlive: the round trip of the oldest timed one, if any. */
  answered(nowMs: number): number | undefined {
    this.#idleSentAt = undefined;
    const sentAt = this.#sentAt.shift();
    return sentAt === undefined ? undefined : nowMs - sentAt;
  }

  /**
   * The idle policy at `nowMs`: 'timeout' when the idle KeepAlive went unanswered too long,
   * 'send' when the peer was quiet for `intervalMs` (the KeepAlive is then awaited), else 'wait'.
   */
  due(nowMs: number, intervalMs: number): 'timeout' | 'send' | 'wait' {
    if (this.#idleSentAt !== undefined) {
      return nowMs - this.#idleSentAt >= KEEPALIVE_RESPONSE_TIMEOUT_MS ? 'timeout' : 'wait';
    }
    if (nowMs - this.#lastInputAt < intervalMs) return 'wait';
    this.#idleSentAt = nowMs;
    return 'send';
  }
}
