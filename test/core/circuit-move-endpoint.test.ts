// Slow-circuit moves on ENDPOINT links (issues 13 and 14; docs/PERFORMANCE.md "Slow circuits"):
// two Sotto peers move to their endpoint onions right after connecting, so their live link is an
// endpoint link. When its circuit turns slow, the contact moves to a fresh circuit on its endpoint
// route (a new isolation key, the endpoint handshake again), never back to the identity onion
// (dark here), every message arrives exactly once with one wire id, and nobody is shown offline.
// The identity link the upgrade left ran slowly (its round trips were taken while two onions were
// published, as over tor): its figures must not become the endpoint's reference. Real Messengers
// over the loopback TorProvider; no timing asserts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoreEvent, RicochetId } from '../../src/api/core-api.js';
import type { CircuitMove, CircuitSettings } from '../../src/core/circuit-moves.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, type LoopbackDial } from '../../src/onion/loopback-tor-provider.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { expectDeliveredOnce, watchConversationReceipts } from '../support/exactly-once.js';
import { LoopbackMessenger, bothOnEndpoint } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

interface Side {
  readonly m: LoopbackMessenger;
  readonly address: RicochetId;
  readonly moves: CircuitMove[];
  /** Moves finished: the old link drained, chat resumed on the new one. */
  readonly done: string[];
}

/**
 * One-way latencies: the identity links (round trips ~200–250 ms, below EXPLORE_ABOVE_MS: not
 * explored) and a slow endpoint circuit (~360 ms: above it, but below twice the identity link's).
 */
const IDENTITY_LATENCY_MS = 100;
const SLOW_LATENCY_MS = 180;
const EXPLORE_ABOVE_MS = 300;

const contact = (key: IdentityKey): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname: 'friend',
  addedAt: 1,
  historyEnabled: false,
});

/** What differs between this file's sides; the loopback tor and back-off are shared. */
interface SideSettings {
  /** How long a published onion stays unfound: the identity link lives that long first. */
  readonly descriptorDelayMs: number;
  /** The circuit settings; the move callbacks that fill `moves` and `done` are added here. */
  readonly circuits: Omit<CircuitSettings, 'onMove' | 'onMoveDone'>;
  /** Start at once (default); false: the test starts the Messenger itself. */
  readonly start?: boolean;
  /** The dials (of this side) that run at `latencyMs` one way from their first byte. */
  readonly slowDials?: { readonly latencyMs: number; readonly of: (dial: LoopbackDial) => boolean };
}

async function side(
  network: LoopbackTorNetwork,
  key: IdentityKey,
  peer: IdentityKey,
  settings: SideSettings,
): Promise<Side> {
  const moves: CircuitMove[] = [];
  const done: string[] = [];
  const m = await LoopbackMessenger.create(
    {
      network,
      key,
      state: (s) => ({ ...s, contacts: [contact(peer)] }),
      tor: {
        latency: { seed: key.serviceId.charCodeAt(0), maxDialDelayMs: 30, maxLatencyMs: 4 },
        descriptorDelayMs: settings.descriptorDelayMs,
      },
      messenger: {
        backoff: { baseMs: 200, capMs: 400, minMs: 50, likelyRejectedMs: 60_000 },
        saveDebounceMs: 5,
        circuits: {
          ...settings.circuits,
          onMove: (move) => moves.push(move),
          onMoveDone: (id) => done.push(id),
        },
      },
      start: false,
    },
    cleanup,
  );
  const { slowDials } = settings;
  if (slowDials !== undefined) {
    const dialled = m.tor.dialled;
    const push = dialled.push.bind(dialled);
    dialled.push = (...dials) => {
      for (const dial of dials) if (slowDials.of(dial)) dial.setLatencyMs(slowDials.latencyMs);
      return push(...dials);
    };
  }
  if (settings.start ?? true) await m.messenger.start();
  return { m, address: m.address, moves, done };
}

const received = (s: Side, text: string): number =>
  s.m.events.filter((e) => e.type === 'message' && e.text === text).length;

describe('a slow-circuit move on an endpoint link (loopback tor)', () => {
  it.each([
    ['dialled the endpoint link', true],
    ['accepted the endpoint link', false],
  ])(
    'the side that %s moves to a fresh endpoint circuit: exactly once, nobody offline',
    async (_name, senderDialled) => {
      const onWire = watchConversationReceipts();
      const network = new LoopbackTorNetwork();
      const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
      const identities = new Set([ka.serviceId, kb.serviceId]);
      const isEndpoint = (dial: LoopbackDial): boolean => !identities.has(dial.serviceId);
      const settings: SideSettings = {
        // The first upgrade dial finds no endpoint yet and retries (endpoints.ts): the identity
        // link lives long enough to be measured, as it is over tor.
        descriptorDelayMs: 600,
        circuits: { globalMinIntervalMs: 0, exploreAboveMs: EXPLORE_ABOVE_MS },
        // Every identity link runs slowly from its first byte.
        slowDials: { latencyMs: IDENTITY_LATENCY_MS, of: (dial) => !isEndpoint(dial) },
      };
      const x = await side(network, ka, kb, settings);
      const y = await side(network, kb, ka, settings);
      const dials = (): LoopbackDial[] => [...x.m.tor.dialled, ...y.m.tor.dialled];
      const text = (s: Side): string => s.m.events.map((e) => JSON.stringify(e)).join('\n');
      const d = (): string =>
        `x moves ${JSON.stringify(x.moves)} y moves ${JSON.stringify(y.moves)}\n` +
        `dials ${dials()
          .map((a) => `${a.serviceId.slice(0, 6)} ${a.isolationKey} ${a.socket.destroyed}`)
          .join('; ')}\n` +
        `x:\n${text(x)}\ny:\n${text(y)}`;
      // Both on their endpoints.
      await until(
        () =>
          x.m.messenger.liveRoute(y.address)?.via === 'endpoint' &&
          y.m.messenger.liveRoute(x.address)?.via === 'endpoint',
        d,
        { timeoutMs: 30_000 },
      );
      const open = (): LoopbackDial[] =>
        dials().filter((a) => !a.socket.destroyed && isEndpoint(a));
      await until(() => open().length === 1, d);
      const slow = open()[0] as LoopbackDial;
      const dialler = x.m.tor.dialled.includes(slow) ? x : y;
      const [from, to] = senderDialled
        ? [dialler, dialler === x ? y : x]
        : [dialler === x ? y : x, dialler];
      const send = (t: string) =>
        from.m.messenger.dispatch({ type: 'send', address: to.address, text: t });
      const delivered = (): number[] =>
        from.m.events.flatMap((e) => (e.type === 'delivered' ? [e.id] : []));
      const before = [...Array(6).keys()].map((i) => `before ${i}`);
      for (const t of before) await send(t);
      await until(() => delivered().length === before.length, d);
      const dialsBefore = new Set(dials());
      const eventsBefore = [from.m.events.length, to.m.events.length] as const;
      // Moves of the set-up (an identity link this slow is explored) are not this test's.
      const [fromMoves, toMoves] = [from.moves.length, to.moves.length];
      const doneBefore = from.done.length;
      const movesNow = (s: Side, since: number): CircuitMove[] => s.moves.slice(since);

      // The identity onions go dark; the endpoint circuit turns slow mid-conversation. The
      // accepting side may have to wait out the duplicate window (40 s) before its move can win.
      network.unpublish(ka.serviceId);
      network.unpublish(kb.serviceId);
      slow.setLatencyMs(SLOW_LATENCY_MS);
      const slowTexts: string[] = [];
      for (let i = 0; i < 400 && from.moves.length === fromMoves; i++) {
        const t = `slow ${i}`;
        slowTexts.push(t);
        await send(t);
        const want = before.length + slowTexts.length;
        await until(() => delivered().length >= want || from.moves.length > fromMoves, d, {
          timeoutMs: 20_000,
        });
      }
      // The move drains the old link (its acks still count) and then resumes on the new one.
      const during = [...Array(4).keys()].map((i) => `while moving ${i}`);
      for (const t of during) await send(t);
      const all = [...before, ...slowTexts, ...during];
      await until(() => all.every((t) => received(to, t) >= 1), d, { timeoutMs: 20_000 });
      await until(() => delivered().length >= all.length, d, { timeoutMs: 20_000 });
      await until(() => slow.socket.destroyed && open().length === 1, d, { timeoutMs: 20_000 });
      await until(() => from.done.length === doneBefore + 1, d, { timeoutMs: 20_000 });

      expect(
        from.moves.map((m) => m.reason),
        d(),
      ).toEqual(['explore']);
      expect(movesNow(to, toMoves), d()).toEqual([]);
      for (const t of all) expect(received(to, t), t).toBe(1);
      // Each message reached the peer's conversation once: nothing was re-sent on the new link.
      onWire.expectEachOnce(all);
      expectDeliveredOnce(delivered(), all.length);
      // The new circuit: the mover dialled the peer's endpoint with a key never used before.
      const after = dials().filter((a) => !dialsBefore.has(a));
      expect(after.map(isEndpoint), d()).toEqual([true]);
      const fresh = after[0] as LoopbackDial;
      expect(from.m.tor.dialled).toContain(fresh);
      expect(open()).toEqual([fresh]);
      expect(
        dials()
          .filter((a) => a !== fresh)
          .map((a) => a.isolationKey),
      ).not.toContain(fresh.isolationKey);
      expect(fresh.isolationKey).toMatch(/^endpoint:/);
      expect(from.m.messenger.liveRoute(to.address)?.via).toBe('endpoint');
      expect(to.m.messenger.liveRoute(from.address)?.via).toBe('endpoint');
      const offline = (s: Side, since: number): CoreEvent[] =>
        s.m.events.slice(since).filter((e) => e.type === 'offline');
      expect(offline(from, eventsBefore[0]), d()).toEqual([]);
      expect(offline(to, eventsBefore[1]), d()).toEqual([]);
      const failed = from.m.events.filter(
        (e) => e.type === 'message-state' && e.state === 'failed',
      );
      expect(failed).toEqual([]);
    },
    120_000,
  );
});

describe('the 15 s hold between moves is per route (loopback tor)', () => {
  it('an identity-link move while the upgrade runs does not hold back the endpoint link’s first look', async () => {
    // `x` judges and moves; `y` never does. The peer's service id is the smaller, so `x`'s new
    // links win at `y` at once (3.0.41 rule): `x` may move whoever dialled. Every circuit of
    // both sides runs at ~200 ms round trips from its first byte (above exploreAboveMs), and the
    // endpoints are found only 2.5 s after publication, so the identity link lives long enough
    // to be explored first. The per-route hold is an hour: only the route rule lets the endpoint
    // link be explored within this test.
    let [kx, ky] = [IdentityKey.generate(), IdentityKey.generate()];
    while (ky.serviceId >= kx.serviceId)
      [kx, ky] = [IdentityKey.generate(), IdentityKey.generate()];
    const network = new LoopbackTorNetwork();
    const make = (key: IdentityKey, peer: IdentityKey, judges: boolean): Promise<Side> =>
      side(network, key, peer, {
        descriptorDelayMs: 2_500,
        circuits: judges
          ? { globalMinIntervalMs: 0, minMoveIntervalMs: 60 * 60_000, exploreAboveMs: 150 }
          : { explore: false, factor: 1e9 },
        start: false,
        slowDials: { latencyMs: 100, of: () => true },
      });
    const x = await make(kx, ky, true);
    const y = await make(ky, kx, false);
    await y.m.messenger.start();
    await x.m.messenger.start();
    const d = (): string =>
      `x moves ${JSON.stringify(x.moves)} y moves ${JSON.stringify(y.moves)}\n` +
      `x dials ${x.m.tor.dialled.map((a) => `${a.isolationKey} ${a.socket.destroyed}`).join('; ')}\n` +
      `x:\n${x.m.events.map((e) => JSON.stringify(e)).join('\n')}`;
    const sent: string[] = [];
    const send = async (t: string): Promise<void> => {
      sent.push(t);
      await x.m.messenger.dispatch({ type: 'send', address: y.address, text: t });
    };

    // The identity link is explored (chat acks give the detector a new chance each round).
    await until(() => x.m.messenger.liveRoute(y.address) !== undefined, d, { timeoutMs: 20_000 });
    for (let i = 0; i < 100 && x.moves.length === 0; i++) {
      await send(`identity ${i}`);
      await until(() => y.m.events.some((e) => e.type === 'message' && e.text === sent.at(-1)), d);
    }
    expect(
      x.moves.map((m) => m.reason),
      d(),
    ).toEqual(['explore']);
    expect(x.m.tor.dialled.at(-1)?.isolationKey, d()).toMatch(/^contact:/);

    // Then the endpoint link: its first look is an exploratory move too, within the hour's hold.
    await bothOnEndpoint(x.m, y.m, 30_000);
    await until(() => x.moves.length === 2, d, { timeoutMs: 20_000 });
    expect(x.moves.map((m) => m.reason)).toEqual(['explore', 'explore']);
    const status = await x.m.messenger.circuitSettled(y.address, AbortSignal.timeout(20_000));
    expect(status).toMatchObject({ route: 'endpoint', moving: false, moves: 2 });
    expect(x.m.tor.dialled.at(-1)?.isolationKey).toMatch(/^endpoint:/);
    await send('after the moves');
    const received = (t: string): number =>
      y.m.events.filter((e) => e.type === 'message' && e.text === t).length;
    await until(() => sent.every((t) => received(t) >= 1), d, { timeoutMs: 20_000 });
    for (const t of sent) expect(received(t), t).toBe(1);
    expect(y.moves).toEqual([]);
  }, 120_000);
});
