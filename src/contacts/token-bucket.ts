// Rate limits on unknown peers (notes "Contact requests": excessive requests are auto-rejected),
// stated per minute, on the project's one token bucket (src/protocol/token-bucket.ts: pure, time
// passed in, time going backwards refills nothing).
import { TokenBucket } from '../protocol/token-bucket.js';

export interface RateLimit {
  /** Tokens added per minute. */
  readonly perMinute: number;
  /** Largest burst (bucket size); an integer ≥ 1. */
  readonly burst: number;
}

/** A full bucket for `limit` at `now`. Throws RangeError for a limit it cannot honour. */
export function rateLimitBucket(limit: RateLimit, now: number): TokenBucket {
  return new TokenBucket({ capacity: limit.burst, refillPerSecond: limit.perMinute / 60 }, now);
}
