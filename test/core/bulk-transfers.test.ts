// Big files between Sotto peers go on a bulk connection of their own (docs/PROTOCOL.md "Bulk
// connections"), from the outside in: two real Messengers over the LoopbackTorProvider, where
// every dial is recorded with its isolation key and its socket's byte counts (the pair moves to
// its endpoint onions first, so bulk links go there too: test/core/bulk-endpoints.test.ts). Which
// connection carried the file, chat flowing while the bulk connection is stalled, a bulk connection dropped
// halfway, a stranger's bulk connection, a Ricochet-compatible peer, small files, a failed dial.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { DEFAULT_BULK_MIN_FILE_BYTES } from '../../src/core/bulk-links.js';
import { PeerLink } from '../../src/core/peer-link.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import {
  BULK_CONNECTION_FEATURE,
  WINDOWED_FILE_FEATURE,
  type ConnectionEvent,
} from '../../src/protocol/connection-types.js';
import type { MessengerOptions } from '../../src/core/messenger.js';
import { LoopbackSotto } from '../abuse/loopback-support.js';
import { createConnection } from 'node:net';

type Offer = Extract<CoreEvent, { type: 'file-offer' }>;
type Done = Extract<CoreEvent, { type: 'file-done' }>;

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

const addressOf = (s: LoopbackSotto): string => `ricochet:${s.key.serviceId}`;
const sha3 = (b: Buffer): string => createHash('sha3-512').update(b).digest('hex');

/** Two Sotto cores that are each other's contacts, both online. */
async function pair(
  aliceOptions: Partial<MessengerOptions> = {},
  bobOptions: Partial<MessengerOptions> = {},
): Promise<{ alice: LoopbackSotto; bob: LoopbackSotto }> {
  const aliceKey = IdentityKey.generate();
  const bobKey = IdentityKey.generate();
  const alice = await LoopbackSotto.start([bobKey], aliceOptions, aliceKey);
  stops.push(() => alice.stop());
  const bob = await LoopbackSotto.start([aliceKey], bobOptions, bobKey);
  stops.push(() => bob.stop());
  await alice.waitFor((e) => e.type === 'online' && e.address === addressOf(bob));
  await bob.waitFor((e) => e.type === 'online' && e.address === addressOf(alice));
  // Two Sotto peers then move to their endpoint onions (docs/ENDPOINTS.md §2): start from there.
  if (aliceOptions.features === undefined && bobOptions.features === undefined) {
    for (const [s, peer] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      await s.waitFor(
        (e) => e.type === 'endpoint' && e.state === 'connected' && e.address === addressOf(peer),
      );
    }
  }
  return { alice, bob };
}

/** Alice offers `size` random bytes; Bob accepts. Resolves with the bytes and the offer. */
async function offerAndAccept(
  alice: LoopbackSotto,
  bob: LoopbackSotto,
  size: number,
): Promise<{ data: Buffer; offer: Offer }> {
  const data = randomBytes(size);
  const path = join(alice.dir, `file-${size}-${bob.events.length}.bin`);
  await writeFile(path, data, { mode: 0o600 });
  const seen = bob.events.length;
  await alice.messenger.dispatch({ type: 'send-file', address: addressOf(bob), path });
  const offer = (await bob.waitFor(
    (e) => e.type === 'file-offer' && bob.events.indexOf(e) >= seen,
  )) as Offer;
  await bob.messenger.dispatch({
    type: 'accept-file',
    address: addressOf(alice),
    fileId: offer.fileId,
  });
  return { data, offer };
}

const doneOf = (s: LoopbackSotto, fileId: number, direction: 'in' | 'out'): Promise<Done> =>
  s.waitFor(
    (e) => e.type === 'file-done' && e.fileId === fileId && e.direction === direction,
    60_000,
  ) as Promise<Done>;

/** Alice's bulk dials (fresh isolation keys) and the sockets of everything else. */
function sockets(alice: LoopbackSotto): { bulk: Socket[]; control: Socket[] } {
  const bulk = alice.tor.dialled.filter((d) => d.isolationKey.startsWith('bulk:'));
  const control = alice.tor.dialled.filter((d) => !d.isolationKey.startsWith('bulk:'));
  return {
    bulk: bulk.map((d) => d.socket),
    control: [...control.map((d) => d.socket), ...alice.tor.inbound],
  };
}

/** Bob's end of Alice's bulk socket. */
function peerEnd(bob: LoopbackSotto, aliceSocket: Socket): Socket {
  const found = bob.tor.inbound.find((s) => s.remotePort === aliceSocket.localPort);
  if (found === undefined) throw new Error('no inbound end');
  return found;
}

const closed = (socket: Socket): Promise<unknown> =>
  socket.destroyed ? Promise.resolve() : once(socket, 'close');

/** A hand-driven bulk connection from `key` to `to` (as a peer's Sotto would open one). */
function rawBulkClient(key: IdentityKey, to: LoopbackSotto) {
  const events: ConnectionEvent[] = [];
  const socket = createConnection({ host: '127.0.0.1', port: to.port });
  stops.push(() => void socket.destroy());
  const link = new PeerLink({
    socket,
    connection: new RicochetConnection({
      role: 'client',
      purpose: 'bulk',
      identity: key,
      peerServiceId: to.key.serviceId,
      now: Date.now,
      random: (n) => new Uint8Array(randomBytes(n)),
    }),
    onEvent: (_l, e) => events.push(e),
  });
  return { events, socket, link };
}

describe('bulk connections between Sotto peers (loopback)', () => {
  it('a big file moves on a fresh bulk connection, which closes at the end; presence unchanged', async () => {
    const { alice, bob } = await pair();
    const size = 3 * 1024 * 1024;
    const { data, offer } = await offerAndAccept(alice, bob, size);
    const received = await doneOf(bob, offer.fileId, 'in');
    expect(received.result).toBe('success');
    expect((await doneOf(alice, offer.fileId, 'out')).result).toBe('success');
    expect(sha3(await readFile(received.path ?? ''))).toBe(sha3(data));

    const { bulk, control } = sockets(alice);
    expect(bulk).toHaveLength(1);
    const [bulkSocket] = bulk as [Socket];
    expect(bulkSocket.bytesWritten).toBeGreaterThan(size);
    const controlBytes = control.reduce((sum, s) => sum + s.bytesWritten, 0);
    expect(controlBytes).toBeLessThan(64 * 1024);
    await closed(bulkSocket); // closed when the transfer ended
    expect(alice.messenger.bulkStats).toMatchObject({ dials: 1, connected: 1, failed: 0 });
    expect(bob.messenger.bulkStats).toMatchObject({ inbound: 1, refused: 0 });
    // The bulk connection never counted for presence: one `online` each, no `offline`.
    for (const [s, peer] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const presence = s.events.filter(
        (e) => (e.type === 'online' || e.type === 'offline') && e.address === addressOf(peer),
      );
      expect(presence.map((e) => e.type)).toEqual(['online']);
    }
    expect(bob.messenger.load.contacts + bob.messenger.load.strangers).toBeLessThanOrEqual(1);
  });

  it('chat keeps flowing, in order, while the bulk connection is stalled', async () => {
    const { alice, bob } = await pair();
    const { data, offer } = await offerAndAccept(alice, bob, 8 * 1024 * 1024);
    await bob.waitFor((e) => e.type === 'file-progress' && e.fileId === offer.fileId);
    const [bulkSocket] = sockets(alice).bulk as [Socket];
    const bobEnd = peerEnd(bob, bulkSocket);
    bobEnd.pause(); // Bob stops reading the file: its bytes back up to Alice
    const texts = Array.from({ length: 20 }, (_, i) => `during the transfer ${i}`);
    for (const text of texts) {
      await alice.messenger.dispatch({ type: 'send', address: addressOf(bob), text });
    }
    await alice.waitFor(
      () => alice.events.filter((e) => e.type === 'delivered').length === texts.length,
    );
    const got = bob.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    expect(got).toEqual(texts);
    expect(bob.events.some((e) => e.type === 'file-done')).toBe(false); // the file still waits
    bobEnd.resume();
    const done = await doneOf(bob, offer.fileId, 'in');
    expect(done.result).toBe('success');
    expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(data));
  });

  it('a bulk connection dropped halfway fails the transfer cleanly; the next one works', async () => {
    const { alice, bob } = await pair();
    const { offer } = await offerAndAccept(alice, bob, 8 * 1024 * 1024);
    await bob.waitFor((e) => e.type === 'file-progress' && e.fileId === offer.fileId);
    const [bulkSocket] = sockets(alice).bulk as [Socket];
    peerEnd(bob, bulkSocket).destroy(); // the peer drops the bulk connection
    expect((await doneOf(bob, offer.fileId, 'in')).result).toBe('failed');
    expect((await doneOf(alice, offer.fileId, 'out')).result).toBe('failed');
    expect(await readdir(join(bob.dir, 'downloads'))).toEqual([]); // no partial file left
    // The control connection is untouched: chat is delivered, nobody went offline.
    await alice.messenger.dispatch({ type: 'send', address: addressOf(bob), text: 'still here' });
    await alice.waitFor((e) => e.type === 'delivered');
    expect(bob.events.some((e) => e.type === 'offline')).toBe(false);
    const again = await offerAndAccept(alice, bob, 2 * 1024 * 1024);
    const done = await doneOf(bob, again.offer.fileId, 'in');
    expect(done.result).toBe('success');
    expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(again.data));
    expect(sockets(alice).bulk).toHaveLength(2);
  });

  it('a stranger cannot open a bulk connection', async () => {
    const { bob } = await pair();
    const { events, socket, link } = rawBulkClient(IdentityKey.generate(), bob);
    await closed(socket);
    expect(link.closed).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'authenticated', isKnownContact: false }),
    );
    // Bob answered the proof (not a contact) and closed the connection at once.
    const closing = events.find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.reason).toBe('peer-closed');
    expect(bob.messenger.bulkStats.inbound).toBe(0);
    expect(bob.events.some((e) => e.type === 'request')).toBe(false);
    expect(bob.messenger.load.requestConnections).toBe(0);
  });

  it('a contact holds at most two bulk connections, counted as contact connections', async () => {
    const { alice, bob } = await pair();
    const first = rawBulkClient(alice.key, bob);
    const second = rawBulkClient(alice.key, bob);
    for (const c of [first, second]) {
      await expect.poll(() => c.events.some((e) => e.type === 'features-enabled')).toBe(true);
    }
    expect(bob.messenger.bulkStats).toMatchObject({ inbound: 2, refused: 0 });
    const contactsBefore = bob.messenger.load.contacts;
    expect(contactsBefore).toBeGreaterThanOrEqual(2);
    const third = rawBulkClient(alice.key, bob);
    await closed(third.socket);
    expect(bob.messenger.bulkStats).toMatchObject({ inbound: 2, refused: 1 });
    expect(first.link.closed || second.link.closed).toBe(false);
    // Never presence: Alice stayed online once, no `offline`.
    const presence = bob.events.filter((e) => e.type === 'online' || e.type === 'offline');
    expect(presence.map((e) => e.type)).toEqual(['online']);
  });

  for (const command of ['block', 'remove'] as const) {
    it(`a contact's bulk connection closes when we ${command} the contact`, async () => {
      const { alice, bob } = await pair();
      const held = rawBulkClient(alice.key, bob);
      await expect.poll(() => held.events.some((e) => e.type === 'features-enabled')).toBe(true);
      expect(bob.messenger.bulkStats.inbound).toBe(1);
      await bob.messenger.dispatch({ type: command, address: addressOf(alice) });
      // No longer a contact: the bulk connection (and any file offer on it) ends with the
      // control connection, not after BULK_IDLE_TIMEOUT_MS.
      await expect.poll(() => held.link.closed, { timeout: 10_000 }).toBe(true);
      await closed(held.socket);
    });
  }

  it('our bulk connection to a contact closes when we block the contact mid-transfer', async () => {
    const { alice, bob } = await pair();
    const { offer } = await offerAndAccept(alice, bob, 8 * 1024 * 1024);
    await bob.waitFor((e) => e.type === 'file-progress' && e.fileId === offer.fileId);
    const [bulkSocket] = sockets(alice).bulk as [Socket];
    peerEnd(bob, bulkSocket).pause(); // the file waits on the wire: it cannot end on its own
    await alice.messenger.dispatch({ type: 'block', address: addressOf(bob) });
    await closed(bulkSocket);
    expect((await doneOf(alice, offer.fileId, 'out')).result).not.toBe('success');
  });

  it('a Ricochet-compatible peer gets the old path: the file goes on the control connection', async () => {
    const { alice, bob } = await pair({}, { features: [] });
    const size = 2 * DEFAULT_BULK_MIN_FILE_BYTES;
    const { data, offer } = await offerAndAccept(alice, bob, size);
    const done = await doneOf(bob, offer.fileId, 'in');
    expect(done.result).toBe('success');
    expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(data));
    expect(sockets(alice).bulk).toEqual([]);
    expect(alice.messenger.bulkStats.dials).toBe(0);
    const controlBytes = sockets(alice).control.reduce((sum, s) => sum + s.bytesWritten, 0);
    expect(controlBytes).toBeGreaterThan(size);
  });

  it('a small file stays on the control connection', async () => {
    const { alice, bob } = await pair();
    const { data, offer } = await offerAndAccept(alice, bob, DEFAULT_BULK_MIN_FILE_BYTES - 1);
    const done = await doneOf(bob, offer.fileId, 'in');
    expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(data));
    expect(sockets(alice).bulk).toEqual([]);
    expect(alice.messenger.bulkStats.dials).toBe(0);
  });

  it('when the bulk connection cannot be made, the file goes on the control connection', async () => {
    // Without endpoints (the bulk link dials the identity onion; the endpoint case is in
    // bulk-endpoints.test.ts).
    const features = [WINDOWED_FILE_FEATURE, BULK_CONNECTION_FEATURE];
    const { alice, bob } = await pair({ features }, { features });
    // Bob's onion can no longer be reached by new dials; the control connection stays up.
    alice.tor.network.unpublish(bob.key.serviceId);
    const size = 2 * DEFAULT_BULK_MIN_FILE_BYTES;
    const { data, offer } = await offerAndAccept(alice, bob, size);
    const done = await doneOf(bob, offer.fileId, 'in');
    expect(done.result).toBe('success');
    expect(sha3(await readFile(done.path ?? ''))).toBe(sha3(data));
    expect(alice.messenger.bulkStats).toMatchObject({ dials: 1, connected: 0, failed: 1 });
    expect(sockets(alice).bulk).toEqual([]);
  });
});
