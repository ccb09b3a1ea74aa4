// Seeded fuzzing of the sans-IO Ricochet server (src/protocol/connection.ts) with mutated 3.0.41
// recordings and garbage: every case must end in `closed` with a typed reason (a ProtocolError that
// is not an internal bug, 'peer-closed' or 'timeout'), and receive()/tick() must never throw.
// CI runs a few thousand cases; SOTTO_HEAVY=1 runs 10^6 (SOTTO_FUZZ_SEED picks the seed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RicochetConnection } from '../../src/protocol/connection.js';
import {
  ConnectionStateError,
  InternalConnectionError,
  type CloseReason,
  type ConnectionEvent,
} from '../../src/protocol/connection-types.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { FakeClock, seededRandom } from '../protocol/connection-harness.js';
import {
  INTRO,
  chunked,
  fuzzSeed,
  heavy,
  loadSeeds,
  mutate,
  mutationArb,
  type FuzzSeed,
} from './ricochet-mutator.js';

const SEEDS = loadSeeds();
const RUNS = heavy() ? 1_000_000 : 3_000;
/** Generous: the CI size takes seconds; the heavy run takes tens of minutes on 2 cores. */
const TIMEOUT_MS = heavy() ? 6 * 3_600_000 : 120_000;

interface Outcome {
  readonly reason: CloseReason;
  readonly events: readonly ConnectionEvent[];
}

/** A Sotto server replaying `seed`'s handshake (its key and cookie) fed `bytes` in `sizes` chunks. */
export function runServer(
  seed: FuzzSeed,
  bytes: Uint8Array,
  sizes: readonly number[],
  ending: 'eof' | 'silence',
): Outcome {
  const clock = new FakeClock();
  const rnd = seededRandom(`fuzz:${seed.name}`);
  let cookie = seed.serverCookie;
  const conn = new RicochetConnection({
    role: 'server',
    identity: seed.serverKey,
    isKnownContact: () => seed.known,
    now: clock.now,
    random: (n) => {
      if (n === 16 && cookie) {
        const c = cookie.slice();
        cookie = undefined;
        return c;
      }
      return rnd(n);
    },
  });
  const events: ConnectionEvent[] = [];
  const react = (action: () => void): void => {
    try {
      action();
    } catch (error) {
      if (!(error instanceof ConnectionStateError)) throw error;
    }
  };
  const drain = (): void => {
    conn.takeOutput();
    for (const e of conn.takeEvents()) {
      events.push(e);
      if (e.type === 'contact-request-received') {
        react(() => conn.respondToContactRequest('accepted'));
      }
      if (e.type === 'file-offer') react(() => conn.acceptFile(e.fileId));
    }
  };
  for (const chunk of chunked(bytes, sizes)) {
    conn.receive(chunk);
    drain();
  }
  if (ending === 'eof') {
    conn.transportClosed();
    drain();
  }
  // Silent peer: the 15 s purpose deadline (unknown) or the keepalive deadline (known), then the
  // forced close 5 s after a graceful one.
  for (const step of [16_000, 6_000, 61_000, 31_000, 6_000]) {
    conn.tick(clock.advance(step));
    drain();
  }
  const closed = events.find((e) => e.type === 'closed');
  if (closed?.type !== 'closed') throw new Error(`${seed.name}: never closed (${conn.state})`);
  return { reason: closed.reason, events };
}

function isTypedReason(reason: CloseReason): boolean {
  if (reason === 'peer-closed' || reason === 'timeout') return true;
  return reason instanceof ProtocolError && !(reason instanceof InternalConnectionError);
}

const label = (reason: CloseReason): string => (typeof reason === 'string' ? reason : reason.code);

describe('fuzzing a Sotto Ricochet server with mutated 3.0.41 streams', () => {
  it('has replayable seeds: every unmutated recording authenticates', () => {
    const withCookie = SEEDS.filter((s) => s.authenticatedInRecording);
    expect(withCookie.length).toBeGreaterThanOrEqual(4);
    for (const seed of withCookie) {
      const bytes = mutate(seed, SEEDS, []);
      const { events, reason } = runServer(seed, bytes, [], 'eof');
      expect(
        events.some((e) => e.type === 'authenticated'),
        seed.name,
      ).toBe(true);
      expect(reason).toBe('peer-closed');
    }
  });

  it(
    `ends every mutated stream with a typed reason (${RUNS} cases, seeded)`,
    () => {
      const reasons = new Map<string, number>();
      let authenticated = 0;
      fc.assert(
        fc.property(
          fc.nat(SEEDS.length - 1),
          fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
          fc.array(fc.integer({ min: 1, max: 2048 }), { maxLength: 6 }),
          fc.constantFrom<'eof' | 'silence'>('eof', 'silence'),
          (index, mutations, sizes, ending) => {
            const seed = SEEDS[index] as FuzzSeed;
            const { reason, events } = runServer(
              seed,
              mutate(seed, SEEDS, mutations),
              sizes,
              ending,
            );
            reasons.set(label(reason), (reasons.get(label(reason)) ?? 0) + 1);
            if (events.some((e) => e.type === 'authenticated')) authenticated++;
            expect(isTypedReason(reason), String(reason)).toBe(true);
          },
        ),
        { seed: fuzzSeed(), numRuns: RUNS },
      );
      // The fuzzer reaches deep states and many distinct causes, not only the first parser.
      expect(authenticated).toBeGreaterThan(RUNS / 20);
      expect(reasons.size).toBeGreaterThanOrEqual(5);
      console.info('close reasons', Object.fromEntries(reasons), 'authenticated', authenticated);
    },
    TIMEOUT_MS,
  );

  it(
    'ends random garbage, with or without a valid introduction, with a typed reason',
    () => {
      const seed = SEEDS[0] as FuzzSeed;
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.uint8Array({ maxLength: 600 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 4 }),
          fc.constantFrom<'eof' | 'silence'>('eof', 'silence'),
          (withIntro, garbage, sizes, ending) => {
            const bytes = withIntro ? Uint8Array.from([...INTRO, ...garbage]) : garbage;
            const { reason } = runServer(seed, bytes, sizes, ending);
            expect(isTypedReason(reason), String(reason)).toBe(true);
          },
        ),
        { seed: fuzzSeed() + 1, numRuns: heavy() ? 200_000 : 1_000 },
      );
    },
    TIMEOUT_MS,
  );

  it('closes a peer that opens and says nothing after 15 s with a timeout', () => {
    const seed = SEEDS[0] as FuzzSeed;
    for (const bytes of [new Uint8Array(0), INTRO]) {
      const { reason, events } = runServer(seed, bytes, [], 'silence');
      expect(reason).toBe('timeout');
      expect(events.find((e) => e.type === 'closed')).toMatchObject({ forced: true });
    }
  });
});
