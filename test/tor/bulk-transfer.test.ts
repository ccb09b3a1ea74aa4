// A big file between two real Sotto cores on the private Tor network goes on a bulk connection of
// its own (docs/PROTOCOL.md "Bulk connections"): the sender's tor is dialled with a fresh
// isolation key for it, that stream carries the file, chat sent during the transfer arrives in
// order, and the received file's SHA3-512 equals the original's.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import type { RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { SottoInstance, befriend } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');

type Offer = Extract<CoreEvent, { type: 'file-offer' }>;
type Done = Extract<CoreEvent, { type: 'file-done' }>;

/** Records every stream the provider dials (observes, changes nothing). */
function recordDials(tor: RealTorProvider): { isolationKey: string; stream: Duplex }[] {
  const dials: { isolationKey: string; stream: Duplex }[] = [];
  const connect = tor.connect.bind(tor);
  tor.connect = async (serviceId, port, isolationKey, signal) => {
    const stream = await connect(serviceId, port, isolationKey, signal);
    dials.push({ isolationKey, stream });
    return stream;
  };
  return dials;
}

describe('bulk connection over tor', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;
  let dials: { isolationKey: string; stream: Duplex }[];

  beforeAll(async () => {
    alice = await SottoInstance.create('bulk-a', testnet);
    bob = await SottoInstance.create('bulk-b', testnet);
    await Promise.all([alice.start(), bob.start()]);
    dials = recordDials(alice.tor as RealTorProvider);
    await befriend(alice, bob);
  });

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
  });

  it('carries a big file on a fresh circuit while chat goes on the control connection', async () => {
    const size = 3 * 1024 * 1024;
    const data = randomBytes(size);
    const source = join(alice.dir, 'big.bin');
    await writeFile(source, data, { mode: 0o600 });
    const markA = alice.events.mark;
    const markB = bob.events.mark;
    await alice.core.dispatch({ type: 'send-file', address: bob.address, path: source });
    const offer = await bob.events.waitFor(
      (e): e is Offer => e.type === 'file-offer' && e.address === alice.address,
      120_000,
      markB,
    );
    await bob.core.dispatch({ type: 'accept-file', address: alice.address, fileId: offer.fileId });
    const texts = ['one', 'two', 'three', 'four', 'five'];
    for (const text of texts) {
      await alice.core.dispatch({ type: 'send', address: bob.address, text });
    }
    const done = await bob.events.waitFor(
      (e): e is Done => e.type === 'file-done' && e.fileId === offer.fileId && e.direction === 'in',
      300_000,
      markB,
    );
    expect(done.result).toBe('success');
    const sha3 = (b: Buffer): string => createHash('sha3-512').update(b).digest('hex');
    expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(data));
    for (let i = 0; i < texts.length; i++) {
      await alice.events.waitFor(
        () => alice.events.events.slice(markA).filter((e) => e.type === 'delivered').length > i,
        120_000,
        markA,
      );
    }
    const got = bob.events.events
      .slice(markB)
      .flatMap((e) => (e.type === 'message' && e.address === alice.address ? [e.text] : []));
    expect(got).toEqual(texts);

    const bulk = dials.filter((d) => d.isolationKey.startsWith('bulk:'));
    expect(bulk).toHaveLength(1);
    const stream = bulk[0]?.stream;
    expect(stream).toBeInstanceOf(Socket);
    expect((stream as Socket).bytesWritten).toBeGreaterThan(size);
    for (const other of dials.filter((d) => !d.isolationKey.startsWith('bulk:'))) {
      expect((other.stream as Socket).bytesWritten).toBeLessThan(size / 4);
    }
    expect(alice.core.bulkStats).toMatchObject({ connected: 1, failed: 0 });
    expect(bob.core.bulkStats).toMatchObject({ inbound: 1 });
  });
});
