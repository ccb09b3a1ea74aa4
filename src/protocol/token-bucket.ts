// A sans-IO token bucket (no timers: the caller passes the time): `capacity` tokens at most,
// refilled continuously at `refillPerSecond`. Used to budget what one peer may make us handle
// (docs/PROTOCOL.md "Inbound budget"); the caller decides what to do while it is spent.

export interface TokenBucketConfig {
  /** Tokens available at once (the largest burst taken without waiting); an integer ≥ 1. */
  readonly capacity: number;
  /** Tokens added per second; finite and > 0. */
  readonly refillPerSecond: number;
}

/** Rounding slack: readyAt() rounds up to whole ms, and the refill there must count as a token. */
const EPSILON = 1e-9;

export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  #tokens: number;
  #at: number;

  /** Starts full at time `nowMs`. Throws RangeError for a capacity or rate it cannot honour. */
  constructor(config: TokenBucketConfig, nowMs: number) {
    const { capacity, refillPerSecond } = config;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity ${capacity} is not an integer ≥ 1`);
    }
    if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
      throw new RangeError(`refill rate ${refillPerSecond} is not finite and > 0`);
    }
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.#tokens = capacity;
    this.#at = nowMs;
  }

  /** Whole tokens available at `nowMs`. */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return Math.floor(this.#tokens + EPSILON);
  }

  /** Takes one token if one is available at `nowMs`; false (nothing taken) otherwise. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens + EPSILON < 1) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** The earliest time (ms, ≥ nowMs) at which one token is available. */
  readyAt(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens + EPSILON >= 1) return nowMs;
    return nowMs + Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.refillPerSecond));
  }

  /** A clock that goes backwards adds nothing and takes nothing away. */
  #refill(nowMs: number): void {
    if (!(nowMs > this.#at)) return;
    const added = ((nowMs - this.#at) * this.refillPerSecond) / 1000;
    this.#tokens = Math.min(this.capacity, this.#tokens + added);
    this.#at = nowMs;
  }
}
