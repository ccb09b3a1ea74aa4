// Token buckets for rate limits on unknown peers (notes "Contact requests": excessive requests are
// auto-rejected). Pure: time is passed in; a bucket refills `ratePerMinute` tokens per minute.

export interface RateLimit {
  /** Tokens added per minute. */
  readonly perMinute: number;
  /** Largest burst (bucket size). */
  readonly burst: number;
}

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly limit: RateLimit,
    now: number,
  ) {
    if (!(limit.perMinute > 0) || !(limit.burst >= 1)) throw new RangeError('bad rate limit');
    this.#tokens = limit.burst;
    this.#at = now;
  }

  /** Tokens available at `now` (time going backwards refills nothing). */
  available(now: number): number {
    const elapsed = Math.max(0, now - this.#at);
    return Math.min(this.limit.burst, this.#tokens + (elapsed * this.limit.perMinute) / 60_000);
  }

  /** Takes one token if there is one; returns whether it did. */
  tryTake(now: number): boolean {
    const tokens = this.available(now);
    this.#tokens = tokens;
    this.#at = Math.max(this.#at, now);
    if (tokens < 1) return false;
    this.#tokens = tokens - 1;
    return true;
  }

  /** True when the bucket is full again, i.e. it carries no state worth keeping. */
  isFull(now: number): boolean {
    return this.available(now) >= this.limit.burst;
  }
}
