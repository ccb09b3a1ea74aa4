// The slow-circuit rule (src/core/slow-circuit-detector.ts): a contact is moved only when its
// connection's rolling median stays far above what its connections achieved, within rate limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlowCircuitDetector, median } from '../../src/core/slow-circuit-detector.js';

const QUIET = { explore: false, globalMinIntervalMs: 0, minMoveIntervalMs: 0 };

/** A contact with one finished connection whose round trips were `ms` (its reference). */
function withReference(d: SlowCircuitDetector, contact: string, ms: number, now = 0): void {
  d.connectionStarted(contact, 1);
  for (let i = 0; i < d.options.window; i++) expect(d.sample(contact, 1, ms, now)).toBeUndefined();
  d.connectionEnded(contact, 1, now);
}

describe('SlowCircuitDetector', () => {
  it("moves a connection that runs at 6x its contact's usual round trip (the 96 vs 16 ms mode)", () => {
    const d = new SlowCircuitDetector(QUIET);
    withReference(d, 'bob', 16);
    d.connectionStarted('bob', 2);
    const decisions = [96, 97, 95, 99, 96].map((ms) => d.sample('bob', 2, ms, 1_000));
    expect(decisions.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(decisions[4]).toEqual({ reason: 'slow', medianMs: 96, referenceMs: 16 });
  });

  it('never moves for jitter: one or two slow round trips in a window stay below the median', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 10, max: 30 }), { minLength: 5, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 12 }),
        (fast, spikeAt) => {
          const d = new SlowCircuitDetector(QUIET);
          withReference(d, 'bob', 16);
          d.connectionStarted('bob', 2);
          const rtts = fast.map((ms, i) => (spikeAt.includes(i) && i % 3 === 0 ? 500 : ms));
          // at most one spike in any 3 consecutive samples: never 3 of 5 slow
          return rtts.every((ms) => d.sample('bob', 2, ms, 5_000) === undefined);
        },
      ),
    );
  });

  it('a move is never proposed below the threshold, whatever the samples (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 2_000 }),
        fc.array(fc.double({ min: 0, max: 5_000, noNaN: true }), { maxLength: 80 }),
        (reference, rtts) => {
          const d = new SlowCircuitDetector(QUIET);
          withReference(d, 'bob', reference);
          d.connectionStarted('bob', 2);
          const seen: number[] = [];
          for (const ms of rtts) {
            seen.push(ms);
            const decision = d.sample('bob', 2, ms, 1);
            if (decision === undefined) continue;
            const threshold = Math.max(reference * 2, reference + 25);
            expect(decision.medianMs).toBe(median(seen.slice(-5)));
            expect(decision.medianMs).toBeGreaterThan(threshold);
            return;
          }
        },
      ),
    );
  });

  it('rate limits moves per contact and across contacts', () => {
    const d = new SlowCircuitDetector({ explore: false, minMoveIntervalMs: 15_000, maxMoves: 2 });
    withReference(d, 'bob', 16);
    withReference(d, 'carol', 16);
    const slowWindow = (contact: string, id: number, now: number) => {
      d.connectionStarted(contact, id);
      let last;
      for (let i = 0; i < 5; i++) last = d.sample(contact, id, 200, now);
      if (last !== undefined) d.moved(contact, id, last, now);
      return last;
    };
    expect(slowWindow('bob', 2, 100_000)?.reason).toBe('slow');
    expect(slowWindow('carol', 2, 100_500)).toBeUndefined(); // 2 s across contacts
    expect(slowWindow('carol', 3, 103_000)?.reason).toBe('slow');
    expect(slowWindow('bob', 3, 110_000)).toBeUndefined(); // 15 s for the same contact
    expect(slowWindow('bob', 4, 116_000)?.reason).toBe('slow');
    expect(slowWindow('bob', 5, 140_000)).toBeUndefined(); // 2 moves per 10 min
    expect(slowWindow('bob', 6, 100_000 + 10 * 60_000 + 1)?.reason).toBe('slow');
  });

  it('a move that landed on a slow circuit is followed at once; nothing else skips the 15 s', () => {
    const d = new SlowCircuitDetector({ globalMinIntervalMs: 2_000, minMoveIntervalMs: 15_000 });
    // The first endpoint circuit over tor (bench trace, 07:05 UTC): 5 fast probes, then chat acks
    // irregular enough for the exploratory move (no reference anywhere).
    d.connectionStarted('bob', 1, { route: 'endpoint', now: 0 });
    const first = [24, 65, 31, 32, 31, 30, 113, 11, 128, 176].map((ms) =>
      d.sample('bob', 1, ms, 1_000),
    );
    expect(first[9]).toEqual({ reason: 'explore', medianMs: 113, referenceMs: undefined });
    d.moved('bob', 1, first[9] as NonNullable<(typeof first)[9]>, 1_000);
    // The move brought tor's 96 ms mode: slow against the circuit it left (31.5 ms) ...
    d.connectionStarted('bob', 2, { route: 'endpoint', now: 1_800, byMove: true });
    const second = [98, 96, 97, 95].map((ms) => d.sample('bob', 2, ms, 2_000));
    expect(second).toEqual([undefined, undefined, undefined, undefined]);
    expect(d.sample('bob', 2, 96, 2_500)).toBeUndefined(); // 2 s across contacts still hold
    const slow = d.sample('bob', 2, 96, 3_100); // ... and moves again, 2.1 s after the first
    expect(slow).toEqual({ reason: 'slow', medianMs: 96, referenceMs: 31.5 });
    d.moved('bob', 2, slow as NonNullable<typeof slow>, 3_100);
    // Any other new link (a reconnect, the endpoint upgrade's) waits the 15 s as before.
    d.connectionStarted('bob', 3, { route: 'endpoint', now: 3_200 });
    const other = [97, 96, 98, 95, 96].map((ms) => d.sample('bob', 3, ms, 3_100 + 14_000));
    expect(other[4]).toBeUndefined();
    expect(d.sample('bob', 3, 96, 3_100 + 15_000)?.reason).toBe('slow');
  });

  it('the 15 s hold is per route: an identity explore during the upgrade does not hold back the endpoint', () => {
    const d = new SlowCircuitDetector({ globalMinIntervalMs: 2_000, minMoveIntervalMs: 15_000 });
    // Chat while the endpoint upgrade runs: the identity link is explored (bench, 07:30 UTC).
    d.connectionStarted('bob', 1, { route: 'identity', now: 0 });
    const identity = [64, 46, 47, 74, 86].map((ms) => d.sample('bob', 1, ms, 1_000))[4];
    expect(identity?.reason).toBe('explore');
    d.moved('bob', 1, identity as NonNullable<typeof identity>, 1_000);
    d.connectionStarted('bob', 2, { route: 'identity', now: 1_500, byMove: true });
    // The endpoint link, 2 s later: fast probes, then irregular chat (61 135 99 64 98 ms).
    d.connectionStarted('bob', 3, { route: 'endpoint', now: 3_000 });
    const endpoint = [20, 32, 40, 30, 33, 61, 135, 99, 64, 98].map((ms) =>
      d.sample('bob', 3, ms, 6_000),
    );
    expect(endpoint[9]).toEqual({ reason: 'explore', medianMs: 98, referenceMs: undefined });
    d.moved('bob', 3, endpoint[9] as NonNullable<(typeof endpoint)[9]>, 6_000);
    // A second move on the same route within 15 s still waits (not a follow-up: no byMove).
    d.connectionStarted('bob', 4, { route: 'endpoint', now: 6_500 });
    d.connectionEnded('bob', 4, 6_500);
    d.connectionStarted('bob', 5, { route: 'endpoint', now: 7_000 });
    expect(
      [200, 200, 200, 200, 200].map((ms) => d.sample('bob', 5, ms, 10_000))[4],
    ).toBeUndefined();
    expect(d.sample('bob', 5, 200, 21_001)?.reason).toBe('slow');
  });

  it('follow-ups stop at maxMoves: a network slow everywhere is no storm', () => {
    const d = new SlowCircuitDetector({ globalMinIntervalMs: 0, maxMoves: 3 });
    withReference(d, 'bob', 16);
    let moves = 0;
    for (let id = 2, now = 1_000; id < 10; id++, now += 1_000) {
      d.connectionStarted('bob', id, { now, byMove: id > 2 });
      const decision = [96, 96, 96, 96, 96].map((ms) => d.sample('bob', id, ms, now))[4];
      if (decision === undefined) continue;
      d.moved('bob', id, decision, now);
      moves++;
    }
    expect(moves).toBe(3);
  });

  it('with no reference anywhere, explores once per contact; other contacts lend theirs', () => {
    const d = new SlowCircuitDetector({ globalMinIntervalMs: 0, minMoveIntervalMs: 0 });
    d.connectionStarted('bob', 1);
    expect([5, 5, 5, 5, 5].map((ms) => d.sample('bob', 1, ms, 0))).toEqual(
      Array(5).fill(undefined),
    );
    d.connectionStarted('bob', 1); // a first circuit below exploreAboveMs is not explored
    const first = [60, 60, 60, 60, 60].map((ms) => d.sample('bob', 1, ms, 0));
    expect(first[4]).toEqual({ reason: 'explore', medianMs: 60, referenceMs: undefined });
    // a move that could not start (e.g. the peer's link is still young) uses up nothing
    expect(d.sample('bob', 1, 60, 0)).toEqual(first[4]);
    d.moved('bob', 1, first[4] as NonNullable<(typeof first)[4]>, 0);
    d.connectionStarted('bob', 2);
    expect([60, 60, 60, 60, 60].map((ms) => d.sample('bob', 2, ms, 0))).toEqual(
      Array(5).fill(undefined),
    );
    // the explored connection is bob's reference now; carol borrows it
    expect(d.referenceMs('bob', 1)).toBe(60);
    expect(d.referenceMs('carol', 1)).toBe(60);
    d.connectionStarted('carol', 7);
    expect([60, 61, 59, 62, 60].map((ms) => d.sample('carol', 7, ms, 1))).toEqual(
      Array(5).fill(undefined),
    );
  });

  it('forgets references older than historyMaxAgeMs and ignores samples of other connections', () => {
    const d = new SlowCircuitDetector({ ...QUIET, historyMaxAgeMs: 1_000 });
    withReference(d, 'bob', 16, 0);
    expect(d.referenceMs('bob', 500)).toBe(16);
    expect(d.referenceMs('bob', 1_001)).toBeUndefined();
    d.connectionStarted('bob', 2);
    expect(d.sample('bob', 99, 500, 10)).toBeUndefined();
    expect(d.sample('bob', 2, Number.NaN, 10)).toBeUndefined();
    expect(d.sample('bob', 2, -1, 10)).toBeUndefined();
  });
});

describe('SlowCircuitDetector routes (identity onion, endpoint onion)', () => {
  it('an endpoint link is not judged by the identity link the upgrade left (the 96 ms case after a slow start)', () => {
    const d = new SlowCircuitDetector(QUIET);
    // The identity link ran at ~50 ms while the upgrade published two onions; it is replaced
    // by the endpoint link without ending first (the upgrader's side).
    d.connectionStarted('bob', 1, { route: 'identity', now: 0 });
    for (const ms of [48, 52, 50, 51, 49]) d.sample('bob', 1, ms, 0);
    d.connectionStarted('bob', 2, { route: 'endpoint', now: 1_000 });
    expect(d.referenceMs('bob', 1_000)).toBeUndefined(); // nothing on the endpoint route yet
    expect(d.referenceMs('bob', 1_000, 'identity')).toBe(50); // kept for a fallback
    for (const ms of [16, 15, 17, 16, 16]) d.sample('bob', 2, ms, 2_000);
    d.connectionEnded('bob', 2, 3_000);
    d.connectionStarted('bob', 3, { route: 'endpoint', now: 3_000 });
    const decisions = [96, 97, 95, 99, 96].map((ms) => d.sample('bob', 3, ms, 4_000));
    // Judged by the identity link's 50 ms it would stay (96 < 2 × 50); by the endpoint's 16 it moves.
    expect(decisions[4]).toEqual({ reason: 'slow', medianMs: 96, referenceMs: 16 });
  });

  it('explores once per route: the endpoint route gets its own look', () => {
    const d = new SlowCircuitDetector({ globalMinIntervalMs: 0, minMoveIntervalMs: 0 });
    d.connectionStarted('bob', 1, { route: 'identity', now: 0 });
    const first = [60, 60, 60, 60, 60].map((ms) => d.sample('bob', 1, ms, 0))[4];
    expect(first?.reason).toBe('explore');
    d.moved('bob', 1, first as NonNullable<typeof first>, 0);
    d.connectionStarted('bob', 2, { route: 'endpoint', now: 0 });
    const second = [90, 90, 90, 90, 90].map((ms) => d.sample('bob', 2, ms, 0))[4];
    expect(second).toEqual({ reason: 'explore', medianMs: 90, referenceMs: undefined });
  });
});
