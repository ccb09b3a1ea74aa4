// Sans-IO inbound pacing of one Ricochet v3 connection (docs/PROTOCOL.md "Inbound budget"): the
// packets a peer sent wait here, in order, and are handled a bounded slice at a time; packets on
// the peer's chat channel also spend a per-connection token budget. When the budget is spent the
// queue stops at that packet (nothing is dropped or reordered) until a token returns, and the
// socket adapter stops reading the peer meanwhile (TCP backpressure).
import type { Packet } from './packet-codec.js';
import { TokenBucket, type TokenBucketConfig } from './token-bucket.js';

export interface InboundLimits {
  /** Packets handled per receive() / continueInput() call at most; the rest waits its turn. */
  readonly packetsPerSlice: number;
  /** Budget of packets on the peer's chat channel (its messages); null: unlimited. */
  readonly chatMessages: TokenBucketConfig | null;
}

/** No slicing and no budget: every packet of a chunk is handled in the call that received it. */
export const UNLIMITED_INBOUND: InboundLimits = {
  packetsPerSlice: Number.POSITIVE_INFINITY,
  chatMessages: null,
};

/**
 * What Sotto's links use. A slice of 32 packets is at most ~2 MB of input and, for chat, a few
 * ms of work before another contact's packet gets its turn. The chat budget is far above a human
 * (a burst of 500 messages = one full Sotto offline queue, then 50 messages a second): a Ricochet
 * Refresh peer's queued messages after a reconnect or a Sotto peer's offline queue go through at
 * once or, past 500, only slower; a flooder gets 50 a second instead of the whole event loop.
 */
export const SOTTO_INBOUND_LIMITS: InboundLimits = {
  packetsPerSlice: 32,
  chatMessages: { capacity: 500, refillPerSecond: 50 },
};

/** Compact the queue's array once this many handled packets sit at its head. */
const COMPACT_AFTER = 1024;

export class InboundPackets {
  readonly #packetsPerSlice: number;
  readonly #chatBudget: TokenBucket | undefined;
  #queue: Packet[] = [];
  #head = 0;
  #blockedUntil: number | undefined;

  /** Throws RangeError for limits it cannot honour (a slice below 1, a bad bucket). */
  constructor(limits: InboundLimits, nowMs: number) {
    const perSlice = limits.packetsPerSlice;
    if (!(perSlice >= 1) || (Number.isFinite(perSlice) && !Number.isSafeInteger(perSlice))) {
      throw new RangeError(`packetsPerSlice ${perSlice} is not an integer ≥ 1 or Infinity`);
    }
    this.#packetsPerSlice = perSlice;
    this.#chatBudget =
      limits.chatMessages === null ? undefined : new TokenBucket(limits.chatMessages, nowMs);
  }

  /** Packets received and not yet handled. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** When the chat budget has a token again (ms), if the queue waits for one; else undefined. */
  get blockedUntil(): number | undefined {
    return this.#blockedUntil;
  }

  push(packets: readonly Packet[]): void {
    for (const packet of packets) this.#queue.push(packet);
  }

  /** Forgets every waiting packet (the connection is closing). */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#blockedUntil = undefined;
  }

  /**
   * Yields the packets of one slice, in order, one at a time: `isChat` is asked just before each
   * packet is yielded (an earlier packet may have opened the chat channel). Stops early when the
   * chat budget is spent (see `blockedUntil`) or the queue is empty.
   */
  *slice(nowMs: number, isChat: (channel: number) => boolean): Generator<Packet, void, undefined> {
    this.#blockedUntil = undefined;
    for (let handled = 0; handled < this.#packetsPerSlice && this.pending > 0; handled++) {
      const packet = this.#queue[this.#head] as Packet;
      const budget = this.#chatBudget;
      if (budget !== undefined && isChat(packet.channel) && !budget.take(nowMs)) {
        this.#blockedUntil = budget.readyAt(nowMs);
        return;
      }
      this.#head++;
      this.#compact();
      yield packet;
    }
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
