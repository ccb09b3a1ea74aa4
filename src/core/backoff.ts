// Reconnect policy for contacts: exponential backoff with full jitter (delay uniform in
// [min, min(cap, base·2^failures)]), reset on success, "retry now", reset on tor restart / network
// up; a contact that likely rejected us is retried only rarely (notes "Connection rules"); a
// request whose connection the peer closed while Pending is re-sent from [cap/2, cap] on, doubling
// per closure up to the likely-rejected interval (docs/PROTOCOL.md "Pending requests"). Pure.

import type { RicochetId } from '../api/core-api.js';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Never schedule sooner than this after a failure (full jitter could pick ~0). */
  readonly minMs: number;
  /** Interval for a contact that likely rejected us: uniform in [x/2, x]. */
  readonly likelyRejectedMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 15_000,
  capMs: 10 * 60_000,
  minMs: 1_000,
  likelyRejectedMs: 6 * 60 * 60_000,
};

/**
 * - `network`: could not connect, or a live connection dropped;
 * - `likely-rejected`: the peer refused us right after authentication (or answered Rejected);
 * - `request-closed`: the peer closed our request's connection after answering Pending. Not a
 *   rejection: the request stays pending (the peer may accept later and dial us); we re-send it.
 */
export type FailureKind = 'network' | 'likely-rejected' | 'request-closed';

interface Entry {
  failures: number;
  /** Request connections closed while Pending, in a row; kept across connection successes. */
  requestClosures: number;
  retryAt: number;
  kind: FailureKind | 'due';
}

export class ReconnectPolicy {
  readonly options: BackoffOptions;
  readonly #random: () => number;
  readonly #entries = new Map<RicochetId, Entry>();

  constructor(random: () => number, options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    const { baseMs, capMs, minMs, likelyRejectedMs } = this.options;
    if (!(minMs >= 0 && baseMs >= minMs && capMs >= baseMs && likelyRejectedMs >= capMs)) {
      throw new RangeError('backoff options must satisfy 0 <= min <= base <= cap <= rejected');
    }
    this.#random = random;
  }

  /** Starts tracking a contact: due at once. */
  track(address: RicochetId, now: number): void {
    if (!this.#entries.has(address)) {
      this.#entries.set(address, { failures: 0, requestClosures: 0, retryAt: now, kind: 'due' });
    }
  }

  forget(address: RicochetId): void {
    this.#entries.delete(address);
  }

  /** The attempt failed; returns when to try again. */
  onFailure(address: RicochetId, now: number, kind: FailureKind = 'network'): number {
    const entry = this.#entries.get(address) ?? {
      failures: 0,
      requestClosures: 0,
      retryAt: now,
      kind: 'due',
    };
    let delay: number;
    if (kind === 'likely-rejected') {
      const long = this.options.likelyRejectedMs;
      delay = long / 2 + this.#jitter() * (long / 2);
    } else if (kind === 'request-closed') {
      const { capMs, likelyRejectedMs } = this.options;
      const ceiling = Math.min(likelyRejectedMs, capMs * 2 ** Math.min(entry.requestClosures, 52));
      delay = ceiling / 2 + this.#jitter() * (ceiling / 2);
      entry.requestClosures = Math.min(entry.requestClosures + 1, 1_000);
    } else {
      const { baseMs, capMs, minMs } = this.options;
      const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(entry.failures, 52));
      delay = minMs + this.#jitter() * (ceiling - minMs);
    }
    entry.failures = Math.min(entry.failures + 1, 1_000);
    entry.retryAt = now + Math.round(delay);
    entry.kind = kind;
    this.#entries.set(address, entry);
    return entry.retryAt;
  }

  /**
   * Connected (or the request got an answer): next failure starts from the base again. Request
   * closures are kept: a peer that keeps closing our pending request is asked ever more rarely.
   */
  onSuccess(address: RicochetId, now: number): void {
    const requestClosures = this.#entries.get(address)?.requestClosures ?? 0;
    this.#entries.set(address, { failures: 0, requestClosures, retryAt: now, kind: 'due' });
  }

  /** The user asked to retry: due at once, counters reset (also for a likely rejection). */
  retryNow(address: RicochetId, now: number): void {
    this.#entries.set(address, { failures: 0, requestClosures: 0, retryAt: now, kind: 'due' });
  }

  /**
   * Tor restarted or the network came back: every contact is due at once, except the likely
   * rejected ones and closed pending requests, which keep their interval (we do not hammer them).
   */
  resetAll(now: number): void {
    for (const entry of this.#entries.values()) {
      if (entry.kind === 'likely-rejected' || entry.kind === 'request-closed') continue;
      entry.failures = 0;
      entry.retryAt = now;
      entry.kind = 'due';
    }
  }

  retryAt(address: RicochetId): number | undefined {
    return this.#entries.get(address)?.retryAt;
  }

  failures(address: RicochetId): number {
    return this.#entries.get(address)?.failures ?? 0;
  }

  /** Contacts whose retry time has come, soonest first. */
  due(now: number): RicochetId[] {
    return [...this.#entries]
      .filter(([, e]) => e.retryAt <= now)
      .sort((a, b) => a[1].retryAt - b[1].retryAt)
      .map(([address]) => address);
  }

  /** When the connection manager should wake up next, or undefined if nothing is tracked. */
  nextWakeAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.#entries.values())
      if (next === undefined || e.retryAt < next) next = e.retryAt;
    return next;
  }

  #jitter(): number {
    const r = this.#random();
    return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  }
}
