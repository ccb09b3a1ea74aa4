// A big file to a contact whose identity onion is dark, over real tor on the private network
// (issues 13 and 14, docs/ENDPOINTS.md §2 "Bulk connections"): two Sotto users become contacts,
// move to their endpoint onions, the receiver goes dark; the sender's file goes on a bulk stream
// that its tor dials, with a fresh isolation key, to the endpoint onion the receiver hosts for it
// (never to the dark identity onion); that SOCKS stream carries the file, chat sent meanwhile
// arrives in order, and the received file's SHA3-512 equals the original's.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import type { RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { openVault } from '../../src/profile/vault.js';
import { until } from '../support/wait.js';
import { SottoInstance, befriend } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');
const LONG = 240_000;

type Offer = Extract<CoreEvent, { type: 'file-offer' }>;
type Done = Extract<CoreEvent, { type: 'file-done' }>;
interface Dial {
  readonly serviceId: string;
  readonly isolationKey: string;
  readonly stream: Duplex;
}

/** Records every stream the provider dials: to which onion, with which key (changes nothing). */
function recordDials(tor: RealTorProvider): Dial[] {
  const dials: Dial[] = [];
  const connect = tor.connect.bind(tor);
  tor.connect = async (serviceId, port, isolationKey, signal) => {
    const stream = await connect(serviceId, port, isolationKey, signal);
    dials.push({ serviceId, isolationKey, stream });
    return stream;
  };
  return dials;
}

/** The endpoint onion `of` hosts for `s`, as `s` saved it. */
async function endpointOf(s: SottoInstance, of: SottoInstance): Promise<string | undefined> {
  await s.core.flush();
  const vault = await openVault(join(s.dir, 'vault.sotto'), null);
  try {
    const serviceId = of.address.slice('ricochet:'.length);
    return vault.state.contacts.find((c) => c.serviceId === serviceId)?.endpoint
      ?.peerEndpointServiceId;
  } finally {
    vault.close();
  }
}

const connected = (of: SottoInstance) => (e: CoreEvent) =>
  e.type === 'endpoint' && e.state === 'connected' && e.address === of.address;

describe('bulk connection to an endpoint onion over tor', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;
  let dials: Dial[];

  beforeAll(async () => {
    alice = await SottoInstance.create('bulkep-a', testnet);
    bob = await SottoInstance.create('bulkep-b', testnet);
    await Promise.all([alice.start(), bob.start()]);
    dials = recordDials(alice.tor as RealTorProvider);
  }, LONG);

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
  });

  it(
    "a dark contact's big file goes on a bulk stream to its endpoint onion",
    async () => {
      const [markA, markB] = [alice.events.mark, bob.events.mark];
      await befriend(alice, bob);
      await alice.events.waitFor(connected(bob), LONG, markA);
      await bob.events.waitFor(connected(alice), LONG, markB);
      // Bob takes no new contacts: his identity onion goes offline.
      const markDark = bob.events.mark;
      await bob.core.dispatch({ type: 'set-identity-online', mode: 'dark' });
      await bob.events.waitFor(
        (e) => e.type === 'identity-online' && e.mode === 'dark' && !e.published,
        LONG,
        markDark,
      );
      // Settled: live on the endpoint both ways with features agreed (a link may still be
      // replaced just after the move; features are agreed one round trip after it).
      const settled = (s: SottoInstance, of: SottoInstance): boolean => {
        const route = s.core.liveRoute(of.address);
        return route?.via === 'endpoint' && route.windowed;
      };
      await until(() => settled(alice, bob) && settled(bob, alice), 'settled on the endpoint', {
        timeoutMs: LONG,
        intervalMs: 100,
      });
      const endpoint = await endpointOf(alice, bob);
      expect(endpoint).toMatch(/^[a-z2-7]{56}$/);
      const bobId = bob.address.slice('ricochet:'.length);
      expect(endpoint).not.toBe(bobId);

      const size = 3 * 1024 * 1024;
      const data = randomBytes(size);
      const source = join(alice.dir, 'big.bin');
      await writeFile(source, data, { mode: 0o600 });
      const [fromA, fromB] = [alice.events.mark, bob.events.mark];
      await alice.core.dispatch({ type: 'send-file', address: bob.address, path: source });
      const offer = await bob.events.waitFor(
        (e): e is Offer => e.type === 'file-offer' && e.address === alice.address,
        LONG,
        fromB,
      );
      await bob.core.dispatch({
        type: 'accept-file',
        address: alice.address,
        fileId: offer.fileId,
      });
      const texts = ['one', 'two', 'three'];
      for (const text of texts) {
        await alice.core.dispatch({ type: 'send', address: bob.address, text });
      }
      const done = await bob.events.waitFor(
        (e): e is Done =>
          e.type === 'file-done' && e.fileId === offer.fileId && e.direction === 'in',
        2 * LONG,
        fromB,
      );
      expect(done.result).toBe('success');
      const sha3 = (b: Buffer): string => createHash('sha3-512').update(b).digest('hex');
      expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(data));
      await alice.events.waitFor(
        () => alice.events.events.slice(fromA).filter((e) => e.type === 'delivered').length >= 3,
        LONG,
        fromA,
      );
      const got = bob.events.events
        .slice(fromB)
        .flatMap((e) => (e.type === 'message' && e.address === alice.address ? [e.text] : []));
      expect(got).toEqual(texts);

      // The one bulk stream went to Bob's endpoint for Alice, on an isolation key of its own,
      // and carried the file; every other stream Alice's tor dialled carried far less.
      const bulk = dials.filter((d) => d.isolationKey.startsWith('bulk:'));
      expect(bulk.map((d) => d.serviceId)).toEqual([endpoint]);
      const [stream] = bulk.map((d) => d.stream);
      expect(stream).toBeInstanceOf(Socket);
      expect((stream as Socket).bytesWritten).toBeGreaterThan(size);
      const others = dials.filter((d) => !d.isolationKey.startsWith('bulk:'));
      expect(others.map((d) => d.isolationKey)).not.toContain(bulk[0]?.isolationKey);
      for (const other of others) {
        expect((other.stream as Socket).bytesWritten).toBeLessThan(size / 4);
      }
      expect(dials.some((d) => d.serviceId === bobId && d.isolationKey.startsWith('bulk:'))).toBe(
        false,
      );
      expect(alice.core.bulkStats).toMatchObject({ viaEndpoint: 1, connected: 1, failed: 0 });
      expect(bob.core.bulkStats).toMatchObject({ inbound: 1, refused: 0 });
      expect(alice.core.liveRoute(bob.address)?.via).toBe('endpoint');
    },
    4 * LONG,
  );
});
