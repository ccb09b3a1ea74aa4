import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_BACKOFF, ReconnectPolicy } from '../../src/core/backoff.js';

const A = `ricochet:${'a'.repeat(56)}`;
const B = `ricochet:${'b'.repeat(56)}`;

describe('ReconnectPolicy', () => {
  it('doubles the ceiling up to the cap (random = 1 shows the ceiling)', () => {
    const p = new ReconnectPolicy(() => 1);
    const delays = [15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000];
    for (const d of delays) expect(p.onFailure(A, 0)).toBe(d);
    expect(p.failures(A)).toBe(8);
  });

  it('uses full jitter down to the minimum (random = 0)', () => {
    const p = new ReconnectPolicy(() => 0);
    expect(p.onFailure(A, 100)).toBe(100 + DEFAULT_BACKOFF.minMs);
  });

  it('resets on success, on retry-now, and on tor restart (not for likely rejections)', () => {
    const p = new ReconnectPolicy(() => 1);
    p.onFailure(A, 0);
    p.onFailure(A, 0);
    p.onSuccess(A, 50);
    expect(p.retryAt(A)).toBe(50);
    expect(p.onFailure(A, 50)).toBe(50 + 15_000);
    p.onFailure(B, 0, 'likely-rejected');
    expect(p.retryAt(B)).toBe(DEFAULT_BACKOFF.likelyRejectedMs);
    p.resetAll(1000);
    expect(p.retryAt(A)).toBe(1000);
    expect(p.failures(A)).toBe(0);
    expect(p.retryAt(B)).toBe(DEFAULT_BACKOFF.likelyRejectedMs);
    expect(p.due(1000)).toEqual([A]);
    p.retryNow(B, 2000);
    expect(p.due(2000)).toEqual([A, B]);
  });

  it('re-sends a request whose connection was closed while Pending: from [cap/2, cap], doubling', () => {
    const p = new ReconnectPolicy(() => 1);
    const { capMs, likelyRejectedMs } = DEFAULT_BACKOFF;
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = p.onFailure(A, now, 'request-closed');
      delays.push(at - now);
      now = at;
      p.onSuccess(A, now); // the retry authenticated: the closures still count
    }
    expect(delays).toEqual(
      [1, 2, 4, 8, 16, 32, 36, 36].map((f) => Math.min(capMs * f, likelyRejectedMs)),
    );
    expect(new ReconnectPolicy(() => 0).onFailure(B, 0, 'request-closed')).toBe(capMs / 2);
    p.resetAll(now + 1);
    expect(p.retryAt(A)).toBe(now + 1); // due again after a success; closures kept
    p.onFailure(A, now, 'request-closed');
    p.resetAll(now + 1); // tor restarts do not hammer a peer that closes our request
    expect(p.retryAt(A)).toBe(now + likelyRejectedMs);
    p.retryNow(A, now); // the user's retry starts over
    expect(p.onFailure(A, now, 'request-closed')).toBe(now + capMs);
  });

  it('tracks, forgets and reports the next wake-up', () => {
    const p = new ReconnectPolicy(() => 0.5);
    expect(p.nextWakeAt()).toBeUndefined();
    p.track(A, 10);
    p.track(A, 99);
    expect(p.nextWakeAt()).toBe(10);
    p.onFailure(A, 10);
    expect(p.due(10)).toEqual([]);
    p.forget(A);
    expect(p.nextWakeAt()).toBeUndefined();
  });

  it('rejects inconsistent options', () => {
    expect(() => new ReconnectPolicy(() => 0, { baseMs: 10, minMs: 20 })).toThrow(RangeError);
  });

  it('property: every delay stays within its bounds, whatever random() returns', () => {
    const randomValue = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(NaN, Infinity, -1, 2),
    );
    const step = fc.record({
      kind: fc.constantFrom('network' as const, 'likely-rejected' as const, 'success' as const),
      r: randomValue,
      dt: fc.nat(10_000_000),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        let r = 0;
        const p = new ReconnectPolicy(() => r);
        const o = p.options;
        let now = 0;
        let failures = 0;
        for (const s of steps) {
          now += s.dt;
          r = s.r;
          if (s.kind === 'success') {
            p.onSuccess(A, now);
            failures = 0;
            continue;
          }
          const delay = p.onFailure(A, now, s.kind) - now;
          if (s.kind === 'likely-rejected') {
            expect(delay).toBeGreaterThanOrEqual(o.likelyRejectedMs / 2);
            expect(delay).toBeLessThanOrEqual(o.likelyRejectedMs);
          } else {
            expect(delay).toBeGreaterThanOrEqual(o.minMs);
            expect(delay).toBeLessThanOrEqual(Math.min(o.capMs, o.baseMs * 2 ** failures));
          }
          failures++;
        }
      }),
    );
  });
});
