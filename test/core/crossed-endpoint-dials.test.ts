// Two Sotto contacts move to each other's endpoint onion at the same moment (docs/ENDPOINTS.md §2,
// "Crossed endpoint dials"): two real Messengers over the loopback TorProvider, whose network holds
// both endpoint dials until both have reached the peer, so the dials cross on every run (on real
// tor they cross by chance). Each side authenticates the peer's inbound endpoint link while its
// own endpoint dial is still in the Gosling handshake. Exactly one link must survive: nobody goes
// offline (the backoff is 60 s, so a lost link would stay lost), chat flows both ways, and a file
// offered the moment the endpoint link is up (while the links still change hands) reaches the
// peer as exactly one offer and arrives whole.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, type LoopbackLatency } from '../../src/onion/loopback-tor-provider.js';
import { LoopbackMessenger } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** As LoopbackSotto: a link lost for good is not dialled again within the test. */
const SLOW_BACKOFF = { baseMs: 60_000, capMs: 600_000, minMs: 60_000, likelyRejectedMs: 600_000 };

function side(
  network: LoopbackTorNetwork,
  key: IdentityKey,
  friend: IdentityKey,
  latency?: LoopbackLatency,
) {
  const contact = { serviceId: friend.serviceId, nickname: 'friend', addedAt: 1 };
  return LoopbackMessenger.create(
    {
      network,
      key,
      state: (s) => ({ ...s, contacts: [{ ...contact, historyEnabled: false }] }),
      messenger: { backoff: SLOW_BACKOFF, saveDebounceMs: 5 },
      ...(latency ? { tor: { latency } } : {}),
    },
    cleanup,
  );
}

const presence = (events: readonly CoreEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'online' || e.type === 'offline' ? [e.type] : []));

const endpointConnected = (e: CoreEvent, peer: string): boolean =>
  e.type === 'endpoint' && e.state === 'connected' && e.address === peer;

/** Two contacts whose endpoint dials cross; `onEndpoint` runs on each side at its endpoint. */
async function crossingPair(
  onEndpoint?: (from: LoopbackMessenger, to: LoopbackMessenger) => void,
  lagSeed?: number,
) {
  const network = new LoopbackTorNetwork();
  network.holdDials('endpoint:', 2); // both endpoint dials reach the peer together
  // Fixed keys: which side keeps its dial (the duplicate rule compares service ids) repeats too.
  const keyOf = (name: string): IdentityKey =>
    IdentityKey.fromSeed(
      createHash('sha256')
        .update(`crossfix ${name} ${lagSeed ?? 0}`)
        .digest(),
    );
  const [ka, kb] = [keyOf('a'), keyOf('b')];
  // A lag on each socket: a link's close reaches the peer after it took that link as live.
  const lag = (seed: number): LoopbackLatency => ({ seed, maxDialDelayMs: 1, maxLatencyMs: 250 });
  const a = await side(network, ka, kb, lagSeed === undefined ? undefined : lag(lagSeed));
  const b = await side(network, kb, ka, lagSeed === undefined ? undefined : lag(lagSeed * 7_919));
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    if (onEndpoint === undefined) continue;
    let fired = false;
    from.messenger.onEvent((e) => {
      if (fired || !endpointConnected(e, to.address)) return;
      fired = true;
      onEndpoint(from, to);
    });
  }
  for (const [s, peer] of [
    [a, b],
    [b, a],
  ] as const) {
    await until(() => s.events.some((e) => endpointConnected(e, peer.address)), 'endpoint', {
      timeoutMs: 20_000,
    });
  }
  return { a, b };
}

describe('crossed endpoint dials', () => {
  it('keep exactly one link: nobody goes offline and chat flows both ways', async () => {
    const { a, b } = await crossingPair();
    for (const [from, to, text] of [
      [a, b, 'ping'],
      [b, a, 'pong'],
    ] as const) {
      await from.messenger.dispatch({ type: 'send', address: to.address, text });
      await until(() => to.events.some((e) => e.type === 'message' && e.text === text), text, {
        timeoutMs: 20_000,
      });
    }
    expect(a.messenger.liveRoute(b.address)?.via).toBe('endpoint');
    expect(b.messenger.liveRoute(a.address)?.via).toBe('endpoint');
    expect({ a: presence(a.events), b: presence(b.events) }).toEqual({
      a: ['online'],
      b: ['online'],
    });
  }, 60_000);

  /** Each side offers a file the moment its endpoint link is up; `seed` picks the lags. */
  async function offerWhileCrossing(seed: number): Promise<void> {
    const data = new Map<LoopbackMessenger, Buffer>();
    const sent = new Map<LoopbackMessenger, Promise<unknown>>();
    const { a, b } = await crossingPair((from, to) => {
      const bytes = randomBytes(1_000);
      data.set(from, bytes);
      const path = join(from.dir, 'crossing.bin');
      writeFileSync(path, bytes, { mode: 0o600 }); // the offer goes out at once
      sent.set(from, from.messenger.dispatch({ type: 'send-file', address: to.address, path }));
    }, seed);
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      await sent.get(from);
      expect(from.events.filter((e) => e.type === 'error')).toEqual([]);
      await until(() => to.events.some((e) => e.type === 'file-offer'), `offer (seed ${seed})`, {
        timeoutMs: 20_000,
      });
      const offer = to.events.find((e) => e.type === 'file-offer');
      if (offer?.type !== 'file-offer') throw new Error('no offer');
      const accept = { type: 'accept-file', address: from.address, fileId: offer.fileId } as const;
      await to.messenger.dispatch(accept);
      const isDone = (e: CoreEvent): boolean => e.type === 'file-done' && e.direction === 'in';
      await until(() => to.events.some(isDone), 'file done', { timeoutMs: 20_000 });
      const done = to.events.find(isDone);
      if (done?.type !== 'file-done') throw new Error('no file-done');
      expect(done.result).toBe('success');
      expect(await readFile(done.path ?? '')).toEqual(data.get(from));
      expect(to.events.filter((e) => e.type === 'file-offer')).toHaveLength(1);
    }
    expect({ a: presence(a.events), b: presence(b.events) }).toEqual({
      a: ['online'],
      b: ['online'],
    });
    for (const c of cleanup.splice(0).reverse()) await c();
  }

  for (const seed of [9, 10, 11, 12, 13, 14, 15, 16]) {
    it(`a file offered while the links change hands arrives as one offer (lag seed ${seed})`, async () => {
      await offerWhileCrossing(seed);
    }, 90_000);
  }
});
