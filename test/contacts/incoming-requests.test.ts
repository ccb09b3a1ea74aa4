import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BlockListFullError,
  IncomingRequests,
  UnknownRequestError,
} from '../../src/contacts/incoming-requests.js';
import { rateLimitBucket } from '../../src/contacts/token-bucket.js';

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
function addressOf(n: number): string {
  let s = '';
  for (let i = 0; i < 56; i++) {
    s += B32[i < 8 ? (n >>> (i * 5)) & 31 : 0];
  }
  return `ricochet:${s}`;
}
const A = addressOf(1);
const B = addressOf(2);
const MIN = 60_000;

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate, and ignores time going backwards', () => {
    const b = rateLimitBucket({ perMinute: 6, burst: 2 }, 0);
    expect(b.take(0)).toBe(true);
    expect(b.take(0)).toBe(true);
    expect(b.take(0)).toBe(false);
    expect(b.take(9_999)).toBe(false);
    expect(b.take(10_000)).toBe(true);
    expect(b.take(-1e9)).toBe(false);
    expect(b.available(1e9)).toBe(2); // full again
    expect(() => rateLimitBucket({ perMinute: 0, burst: 1 }, 0)).toThrow(RangeError);
  });
  it('never grants more than burst + rate * elapsed', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(5_000), { maxLength: 300 }), (steps) => {
        const b = rateLimitBucket({ perMinute: 12, burst: 3 }, 0);
        let now = 0;
        let granted = 0;
        for (const s of steps) {
          now += s;
          if (b.take(now)) granted++;
        }
        expect(granted).toBeLessThanOrEqual(3 + Math.floor((now * 12) / MIN));
      }),
    );
  });
});

describe('IncomingRequests', () => {
  it('stores, deduplicates by address and lists requests', () => {
    const r = new IncomingRequests(0);
    expect(r.admitRequest(A, 0)).toEqual({ allow: true });
    expect(r.add(A, '', 'hello', 10)).toEqual([
      { type: 'request', address: A, nickname: '', message: 'hello' },
    ]);
    r.add(A, '', 'hello again', 20);
    expect(r.list()).toEqual([
      { address: A, nickname: '', message: 'hello again', receivedAt: 10 },
    ]);
    expect(() => r.add(B, '', 'x'.repeat(2001), 0)).toThrow(/2000/);
  });

  it('accept removes the request; reject remembers and auto-rejects repeats; block blocks', () => {
    const r = new IncomingRequests(0);
    r.add(A, '', 'a', 0);
    r.add(B, '', 'b', 0);
    expect(r.accept(A).message).toBe('a');
    expect(r.has(A)).toBe(false);
    expect(() => r.accept(A)).toThrow(UnknownRequestError);
    r.reject(B);
    expect(r.admitRequest(B, 10 * MIN)).toEqual({ allow: false, reason: 'rejected-before' });
    // SECURITY.md: a rejected peer is refused at connection level, right after authentication.
    expect(r.admitUnknownConnection(10 * MIN, B)).toEqual({
      allow: false,
      reason: 'rejected-before',
    });
    expect(r.forgetRejection(B)).toBe(true);
    expect(r.admitUnknownConnection(10 * MIN, B)).toEqual({ allow: true });
    expect(r.admitRequest(B, 10 * MIN)).toEqual({ allow: true });
    r.add(B, '', 'b', 0);
    r.block(B);
    expect(r.has(B)).toBe(false);
    expect(r.admitRequest(B, 20 * MIN)).toEqual({ allow: false, reason: 'blocked' });
    expect(r.admitUnknownConnection(20 * MIN, B)).toEqual({ allow: false, reason: 'blocked' });
    expect(r.unblock(B)).toBe(true);
    expect(r.admitRequest(B, 20 * MIN)).toEqual({ allow: true });
  });

  it('honours the "block unknown peers" switch', () => {
    const r = new IncomingRequests(0);
    r.blockUnknown = true;
    expect(r.admitUnknownConnection(0)).toEqual({ allow: false, reason: 'unknown-peers-blocked' });
    expect(r.admitRequest(A, 0)).toEqual({ allow: false, reason: 'unknown-peers-blocked' });
  });

  it('rate-limits per address, globally, and unknown connections', () => {
    const r = new IncomingRequests(0, {
      perAddress: { perMinute: 1, burst: 2 },
      requests: { perMinute: 3, burst: 3 },
      unknownConnections: { perMinute: 2, burst: 2 },
    });
    expect(r.admitRequest(A, 0).allow).toBe(true);
    expect(r.admitRequest(A, 0).allow).toBe(true);
    expect(r.admitRequest(A, 0)).toEqual({ allow: false, reason: 'address-rate' });
    expect(r.admitRequest(B, 0).allow).toBe(true);
    expect(r.admitRequest(addressOf(3), 0)).toEqual({ allow: false, reason: 'request-rate' });
    expect(r.admitRequest(addressOf(3), 20_000).allow).toBe(true); // global refilled one
    expect(r.admitRequest(A, MIN).allow).toBe(true);
    expect(r.admitUnknownConnection(0).allow).toBe(true);
    expect(r.admitUnknownConnection(0).allow).toBe(true);
    expect(r.admitUnknownConnection(0)).toEqual({ allow: false, reason: 'connection-rate' });
    expect(r.admitUnknownConnection(30_000).allow).toBe(true);
  });

  it('evicts the oldest unanswered request when full, and counts it', () => {
    const r = new IncomingRequests(0, { maxPending: 3 });
    const events = [];
    for (let i = 0; i < 5; i++) events.push(...r.add(addressOf(i), '', `m${i}`, i));
    expect(r.list().map((x) => x.message)).toEqual(['m2', 'm3', 'm4']);
    // Each eviction is announced (before the request that caused it) so front ends can mirror it.
    expect(events.filter((e) => e.type === 'request-dropped')).toEqual([
      { type: 'request-dropped', address: addressOf(0), reason: 'evicted' },
      { type: 'request-dropped', address: addressOf(1), reason: 'evicted' },
    ]);
    expect(events.slice(3, 5).map((e) => e.type)).toEqual(['request-dropped', 'request']);
    expect(r.evictedCount).toBe(2);
  });

  it('refuses to grow the block list past its bound with a typed error', () => {
    const r = new IncomingRequests(0, { maxBlocked: 2 });
    r.block(A);
    r.block(B);
    r.block(B);
    expect(() => r.block(addressOf(3))).toThrow(BlockListFullError);
  });

  it('stays bounded under a flood of 100,000 distinct addresses', () => {
    const r = new IncomingRequests(0);
    const L = r.limits;
    let now = 0;
    let admitted = 0;
    for (let i = 0; i < 100_000; i++) {
      const a = addressOf(i);
      now += 50; // 20 per second
      r.admitUnknownConnection(now);
      if (r.admitRequest(a, now).allow) {
        admitted++;
        r.add(a, '', 'spam', now);
        if (i % 3 === 0) r.reject(a);
      }
      const s = r.sizes;
      if (s.pending > L.maxPending || s.rejected > L.maxRejected) throw new Error(`bound ${i}`);
      if (s.addressBuckets > L.maxAddressBuckets || s.blocked > L.maxBlocked) throw new Error('b');
    }
    // the global limit (10/min) held for ~83 simulated minutes
    expect(admitted).toBeLessThanOrEqual(20 + Math.ceil((now / MIN) * 10));
    expect(r.sizes.pending).toBeLessThanOrEqual(100);
    expect(r.evictedCount + r.sizes.pending + r.sizes.rejected).toBeGreaterThan(0);
  });

  it('property: any sequence of operations keeps every structure within its bounds', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('req' as const), a: fc.nat(300), dt: fc.nat(10_000) }),
      fc.record({ k: fc.constant('conn' as const), a: fc.nat(300), dt: fc.nat(10_000) }),
      fc.record({ k: fc.constant('reject' as const), a: fc.nat(300), dt: fc.constant(0) }),
      fc.record({ k: fc.constant('accept' as const), a: fc.nat(300), dt: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 500 }), (ops) => {
        const limits = { maxPending: 5, maxRejected: 7, maxAddressBuckets: 11 };
        const r = new IncomingRequests(0, limits);
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          const a = addressOf(o.a);
          if (o.k === 'req' && r.admitRequest(a, now).allow) r.add(a, '', 'x', now);
          if (o.k === 'conn') r.admitUnknownConnection(now, a);
          if (o.k === 'reject' && r.has(a)) r.reject(a);
          if (o.k === 'accept' && r.has(a)) r.accept(a);
          expect(r.sizes.pending).toBeLessThanOrEqual(5);
          expect(r.sizes.rejected).toBeLessThanOrEqual(7);
          expect(r.sizes.addressBuckets).toBeLessThanOrEqual(11);
        }
      }),
    );
  });
});
