import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TransferStats, formatBytes } from '../../src/core/transfer-stats.js';

describe('TransferStats', () => {
  it('computes progress, speed and ETA over the window', () => {
    const s = new TransferStats(10_000, 0);
    expect(s.progress()).toEqual({
      transferred: 0,
      size: 10_000,
      fraction: 0,
      bytesPerSecond: 0,
      etaSeconds: undefined,
    });
    expect(s.update(1000, 1000)).toEqual({
      transferred: 1000,
      size: 10_000,
      fraction: 0.1,
      bytesPerSecond: 1000,
      etaSeconds: 9,
    });
    s.update(2000, 2000);
    // speed reflects only the last 5 s: a stall shows up as falling speed
    s.update(2000, 7000);
    expect(s.progress().bytesPerSecond).toBe(0);
    expect(s.progress().etaSeconds).toBeUndefined();
    s.update(7000, 8000);
    // baseline is the newest sample at or before the window start (t=2000): 5000 B over 6 s
    expect(s.progress().bytesPerSecond).toBe(833);
    expect(s.update(10_000, 9000)).toMatchObject({ fraction: 1, etaSeconds: 0 });
  });

  it('clamps bytes to [previous, size] and survives clocks stepping back', () => {
    const s = new TransferStats(100, 1000);
    s.update(50, 2000);
    expect(s.update(10, 500).transferred).toBe(50);
    expect(s.update(1e9, 3000).transferred).toBe(100);
    expect(s.update(NaN, 4000).transferred).toBe(100);
    expect(new TransferStats(0, 0).progress()).toMatchObject({ fraction: 1, etaSeconds: 0 });
    expect(() => new TransferStats(-1, 0)).toThrow(RangeError);
  });

  it('throttles progress events but always lets the final one through', () => {
    const s = new TransferStats(100, 0, { minEventIntervalMs: 250 });
    s.update(10, 0);
    expect(s.shouldEmit(0)).toBe(true);
    expect(s.shouldEmit(100)).toBe(false);
    expect(s.shouldEmit(250)).toBe(true);
    s.update(100, 260);
    expect(s.shouldEmit(260)).toBe(true);
  });

  it('property: bounded samples, monotone bytes, sane speed and ETA', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.array(fc.record({ dt: fc.integer({ min: -1000, max: 3000 }), n: fc.nat(1e9) }), {
          maxLength: 500,
        }),
        (size, steps) => {
          const s = new TransferStats(size, 0, { maxSamples: 16 });
          let now = 0;
          let prev = 0;
          for (const { dt, n } of steps) {
            now += dt;
            const p = s.update(n, now);
            expect(p.transferred).toBeGreaterThanOrEqual(prev);
            expect(p.transferred).toBeLessThanOrEqual(size);
            expect(p.fraction).toBeGreaterThanOrEqual(0);
            expect(p.fraction).toBeLessThanOrEqual(1);
            expect(p.bytesPerSecond).toBeGreaterThanOrEqual(0);
            expect(Number.isFinite(p.bytesPerSecond)).toBe(true);
            if (p.etaSeconds !== undefined) expect(p.etaSeconds).toBeGreaterThanOrEqual(0);
            expect(s.sampleCount).toBeLessThanOrEqual(16);
            prev = p.transferred;
          }
        },
      ),
    );
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64512)).toBe('63.0 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
