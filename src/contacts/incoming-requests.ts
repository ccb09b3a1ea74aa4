// Incoming contact requests from unknown peers and the gate in front of them: a bounded store of
// unanswered requests, bounded rejected/blocked sets, a "block unknown peers" switch and token-bucket
// rate limits (notes "Contact requests"). Pure decisions; memory stays bounded under any flood.

import type { CoreEvent, IncomingRequestView, RicochetId } from '../api/core-api.js';
import { MAX_REQUEST_MESSAGE_UNITS, validateMessageText } from './text-rules.js';
import type { TokenBucket } from '../protocol/token-bucket.js';
import { type RateLimit, rateLimitBucket } from './token-bucket.js';
import { LIMITS } from '../schema/limits.js';
import { ContactsError } from './errors.js';

export type AdmitDecision =
  { readonly allow: true } | { readonly allow: false; readonly reason: RejectReason };

export type RejectReason =
  | 'blocked' // the user blocked this address
  | 'rejected-before' // the user rejected this address; repeats are auto-rejected
  | 'unknown-peers-blocked' // the "block unknown peers" switch is on
  | 'connection-rate' // too many connections from unknown peers per minute
  | 'request-rate' // too many requests per minute overall
  | 'address-rate'; // too many requests from this address

export interface IncomingRequestLimits {
  readonly maxPending: number;
  readonly maxRejected: number;
  readonly maxBlocked: number;
  /** How many per-address buckets are remembered (least recently used are forgotten). */
  readonly maxAddressBuckets: number;
  readonly unknownConnections: RateLimit;
  readonly requests: RateLimit;
  readonly perAddress: RateLimit;
}

export const DEFAULT_INCOMING_LIMITS: IncomingRequestLimits = {
  maxPending: LIMITS.incomingRequests,
  maxRejected: LIMITS.rejected,
  maxBlocked: LIMITS.blocked,
  maxAddressBuckets: 1000,
  unknownConnections: { perMinute: 30, burst: 30 },
  requests: { perMinute: 10, burst: 20 },
  perAddress: { perMinute: 1, burst: 3 },
};

export class IncomingRequestsError extends ContactsError {
  readonly code: string = 'incoming-requests';
  override name = 'IncomingRequestsError';
}
export class UnknownRequestError extends IncomingRequestsError {
  override readonly code: string = 'unknown-request';
  override name = 'UnknownRequestError';
}
export class BlockListFullError extends IncomingRequestsError {
  override readonly code: string = 'block-list-full';
  override name = 'BlockListFullError';
}

export class IncomingRequests {
  readonly limits: IncomingRequestLimits;
  /** Unanswered requests in arrival order (Map keeps insertion order: first = oldest). */
  readonly #pending = new Map<RicochetId, IncomingRequestView>();
  readonly #rejected = new Set<RicochetId>();
  readonly #blocked = new Set<RicochetId>();
  readonly #addressBuckets = new Map<RicochetId, TokenBucket>();
  readonly #connections: TokenBucket;
  readonly #requests: TokenBucket;
  #evicted = 0;
  blockUnknown = false;

  constructor(now: number, limits: Partial<IncomingRequestLimits> = {}) {
    this.limits = { ...DEFAULT_INCOMING_LIMITS, ...limits };
    this.#connections = rateLimitBucket(this.limits.unknownConnections, now);
    this.#requests = rateLimitBucket(this.limits.requests, now);
  }

  /** How many unanswered requests were dropped to make room for newer ones. */
  get evictedCount(): number {
    return this.#evicted;
  }

  get sizes(): { pending: number; rejected: number; blocked: number; addressBuckets: number } {
    return {
      pending: this.#pending.size,
      rejected: this.#rejected.size,
      blocked: this.#blocked.size,
      addressBuckets: this.#addressBuckets.size,
    };
  }

  /** An unknown peer authenticated (before it has asked anything): may it stay connected? */
  admitUnknownConnection(now: number, address?: RicochetId): AdmitDecision {
    if (address !== undefined && this.#blocked.has(address)) return deny('blocked');
    if (address !== undefined && this.#rejected.has(address)) return deny('rejected-before');
    if (this.blockUnknown) return deny('unknown-peers-blocked');
    if (!this.#connections.take(now)) return deny('connection-rate');
    return ALLOW;
  }

  /** An unknown peer sent a contact request: pass it to the user, or auto-reject it (why). */
  admitRequest(address: RicochetId, now: number): AdmitDecision {
    if (this.#blocked.has(address)) return deny('blocked');
    if (this.#rejected.has(address)) return deny('rejected-before');
    if (this.blockUnknown) return deny('unknown-peers-blocked');
    const bucket = this.#bucketFor(address, now);
    if (bucket.available(now) < 1) return deny('address-rate');
    if (!this.#requests.take(now)) return deny('request-rate');
    bucket.take(now);
    return ALLOW;
  }

  /**
   * Stores an admitted request (a repeat from the same address replaces the text, keeps its place).
   * When full, the oldest unanswered request is evicted and counted: a `request-dropped` event for
   * it comes before the new `request`, so a front end mirrors the store and stays as bounded.
   */
  add(address: RicochetId, nickname: string, message: string, now: number): CoreEvent[] {
    validateMessageText(message, MAX_REQUEST_MESSAGE_UNITS, 0);
    const existing = this.#pending.get(address);
    const request: IncomingRequestView = {
      address,
      nickname,
      message,
      receivedAt: existing?.receivedAt ?? now,
    };
    const events: CoreEvent[] = [];
    if (existing === undefined && this.#pending.size >= this.limits.maxPending) {
      const oldest = this.#pending.keys().next();
      if (oldest.done !== true) {
        this.#pending.delete(oldest.value);
        this.#evicted++;
        events.push({ type: 'request-dropped', address: oldest.value, reason: 'evicted' });
      }
    }
    this.#pending.set(address, request);
    events.push({ type: 'request', address, nickname, message });
    return events;
  }

  has(address: RicochetId): boolean {
    return this.#pending.has(address);
  }

  list(): IncomingRequestView[] {
    return [...this.#pending.values()];
  }

  isBlocked(address: RicochetId): boolean {
    return this.#blocked.has(address);
  }

  isRejected(address: RicochetId): boolean {
    return this.#rejected.has(address);
  }

  /** The pending request from `address`, left in place (UnknownRequestError if there is none). */
  pending(address: RicochetId): IncomingRequestView {
    const request = this.#pending.get(address);
    if (request === undefined)
      throw new UnknownRequestError('no pending request from that address');
    return request;
  }

  /** The user accepted: the request leaves the store; the caller adds the contact. */
  accept(address: RicochetId): IncomingRequestView {
    const request = this.#take(address);
    this.#rejected.delete(address);
    return request;
  }

  /** The user rejected: remembered (bounded, oldest forgotten) so repeats are auto-rejected. */
  reject(address: RicochetId): void {
    this.#take(address);
    this.rememberRejected(address);
  }

  /** Remembers `address` as rejected (most recent last; the oldest beyond the bound is forgotten). */
  rememberRejected(address: RicochetId): void {
    this.#rejected.delete(address);
    this.#rejected.add(address);
    while (this.#rejected.size > this.limits.maxRejected) {
      const oldest = this.#rejected.values().next();
      if (oldest.done === true) break;
      this.#rejected.delete(oldest.value);
    }
  }

  /** Blocks an address (with or without a pending request). Blocks are never silently dropped. */
  block(address: RicochetId): void {
    if (!this.#blocked.has(address) && this.#blocked.size >= this.limits.maxBlocked) {
      throw new BlockListFullError(`cannot block more than ${this.limits.maxBlocked} addresses`);
    }
    this.#pending.delete(address);
    this.#blocked.add(address);
  }

  unblock(address: RicochetId): boolean {
    return this.#blocked.delete(address);
  }

  /** Forgets a rejection so the user can hear from that address again. */
  forgetRejection(address: RicochetId): boolean {
    return this.#rejected.delete(address);
  }

  toState(): IncomingRequestsState {
    return {
      version: 1,
      pending: this.list(),
      rejected: [...this.#rejected],
      blocked: [...this.#blocked],
      blockUnknown: this.blockUnknown,
    };
  }

  #take(address: RicochetId): IncomingRequestView {
    const request = this.pending(address);
    this.#pending.delete(address);
    return request;
  }

  #bucketFor(address: RicochetId, now: number): TokenBucket {
    let bucket = this.#addressBuckets.get(address);
    if (bucket !== undefined) {
      this.#addressBuckets.delete(address); // re-insert: most recently used last
    } else {
      bucket = rateLimitBucket(this.limits.perAddress, now);
      while (this.#addressBuckets.size >= this.limits.maxAddressBuckets) {
        const oldest = this.#addressBuckets.keys().next();
        if (oldest.done === true) break;
        this.#addressBuckets.delete(oldest.value);
      }
    }
    this.#addressBuckets.set(address, bucket);
    return bucket;
  }
}

/** What src/core/vault-mapping.ts saves. Rate-limit buckets are not persisted. */
export interface IncomingRequestsState {
  readonly version: 1;
  readonly pending: readonly IncomingRequestView[];
  readonly rejected: readonly string[];
  readonly blocked: readonly string[];
  readonly blockUnknown: boolean;
}

const ALLOW: AdmitDecision = { allow: true };

function deny(reason: RejectReason): AdmitDecision {
  return { allow: false, reason };
}
