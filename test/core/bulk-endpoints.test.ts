// Bulk connections over endpoint onions (issues 13 and 14, docs/ENDPOINTS.md §2 "Bulk
// connections"), from the outside in: real Messengers on real vaults over the loopback provider,
// which records every dial (onion, isolation key, socket) and enforces client authorization like
// tor. A contact whose identity onion is dark still gets a big file on a fresh bulk connection,
// dialled to the endpoint it hosts for the sender; chat flows meanwhile; nobody but that contact
// can open one on that endpoint; a failed endpoint dial sends the file on the control connection
// (once); contacts without endpoints still get bulk connections on the identity onion.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { ENDPOINT_PORT } from '../../src/core/routes.js';
import { endpointClientStream } from '../../src/core/endpoint-connections.js';
import {
  ClientNotAllowedError,
  PeerErrorError,
  UnknownChannelError,
} from '../../src/gosling/errors.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork } from '../../src/onion/loopback-tor-provider.js';
import { OnionMissingClientAuthError } from '../../src/onion/tor-errors.js';
import {
  BULK_CONNECTION_FEATURE,
  ENDPOINTS_FEATURE,
  WINDOWED_FILE_FEATURE,
} from '../../src/protocol/connection-types.js';
import { openVault } from '../../src/profile/vault.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { LoopbackMessenger, bothOnEndpoint } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

type Side = LoopbackMessenger;
type Offer = Extract<CoreEvent, { type: 'file-offer' }>;
type Done = Extract<CoreEvent, { type: 'file-done' }>;

const MiB = 1024 * 1024;
const BACKOFF = { baseMs: 100, capMs: 300, minMs: 50, likelyRejectedMs: 60_000 };
const sha3 = (b: Uint8Array): string => createHash('sha3-512').update(b).digest('hex');

const contact = (key: IdentityKey): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname: 'friend',
  addedAt: 1,
  historyEnabled: false,
});

function side(
  network: LoopbackTorNetwork,
  key: IdentityKey,
  contacts: IdentityKey[],
  features?: readonly string[],
): Promise<Side> {
  return LoopbackMessenger.create(
    {
      network,
      key,
      state: (s) => ({ ...s, contacts: contacts.map(contact) }),
      messenger: { backoff: BACKOFF, saveDebounceMs: 5, ...(features ? { features } : {}) },
    },
    cleanup,
  );
}

/** The endpoint onion `of` hosts for `s`, as `s` saved it. */
async function endpointOf(s: Side, of: Side): Promise<string> {
  await s.messenger.flush();
  const vault = await openVault(s.vaultPath, null);
  try {
    const e = vault.state.contacts.find((c) => c.serviceId === of.key.serviceId)?.endpoint;
    if (e?.peerEndpointServiceId === undefined) throw new Error('no endpoint saved');
    return e.peerEndpointServiceId;
  } finally {
    vault.close();
  }
}

async function goDark(s: Side): Promise<void> {
  await s.messenger.dispatch({ type: 'set-identity-online', mode: 'dark' });
  await until(() => s.tor.network.portOf(s.key.serviceId) === undefined, 'identity onion dark');
}

/** Asks for the bulk channel on `endpoint` as `key`, straight to its loopback port (past tor's
 * client authorization, as if the credential had leaked): the handshake's refusal, if any. */
async function bulkHandshake(
  network: LoopbackTorNetwork,
  endpoint: string,
  key: IdentityKey,
): Promise<unknown> {
  const socket = createConnection({ host: '127.0.0.1', port: network.portOf(endpoint) as number });
  cleanup.push(() => Promise.resolve(void socket.destroy()));
  await once(socket, 'connect');
  const opts = { identity: key, endpointServiceId: endpoint, purpose: 'bulk' as const };
  const refused = await endpointClientStream(socket, { ...opts, now: Date.now }).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!socket.destroyed) await once(socket, 'close');
  return refused;
}

/** `from` offers `size` random bytes to `to`, who accepts. */
async function sendFile(from: Side, to: Side, size: number): Promise<{ data: Buffer; id: number }> {
  const data = randomBytes(size);
  const path = join(from.dir, `file-${size}-${from.events.length}.bin`);
  await writeFile(path, data, { mode: 0o600 });
  const seen = to.events.length;
  await from.messenger.dispatch({ type: 'send-file', address: to.address, path });
  let offer: Offer | undefined;
  await until(
    () => {
      offer = to.events.slice(seen).find((e): e is Offer => e.type === 'file-offer');
      return offer !== undefined;
    },
    'the offer',
    { timeoutMs: 30_000 },
  );
  const id = (offer as Offer).fileId;
  await to.messenger.dispatch({ type: 'accept-file', address: from.address, fileId: id });
  return { data, id };
}

async function done(s: Side, id: number, direction: 'in' | 'out'): Promise<Done> {
  const find = (): Done | undefined =>
    s.events.find(
      (e): e is Done => e.type === 'file-done' && e.fileId === id && e.direction === direction,
    );
  await until(() => find() !== undefined, `file-done ${direction}`, { timeoutMs: 60_000 });
  return find() as Done;
}

const bulkDials = (s: Side) => s.tor.dialled.filter((d) => d.isolationKey.startsWith('bulk:'));

/** The receiving end of `dialled`, among `s`'s inbound sockets (its endpoint listeners too). */
function peerEnd(s: Side, dialled: Socket): Socket {
  const found = s.tor.inbound.find((x) => x.remotePort === dialled.localPort);
  if (found === undefined) throw new Error('no inbound end');
  return found;
}

const presence = (s: Side, of: Side): string[] =>
  s.events.flatMap((e) =>
    (e.type === 'online' || e.type === 'offline') && e.address === of.address ? [e.type] : [],
  );

describe('bulk connections over endpoint onions (loopback)', () => {
  it("a dark contact's big file goes on a fresh bulk connection to its endpoint; chat flows meanwhile", async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
    const a = await side(network, ka, [kb]);
    const b = await side(network, kb, [ka]);
    await bothOnEndpoint(a, b);
    await goDark(b); // B takes new contacts no more: its identity onion cannot be dialled
    await goDark(a);
    const endpoint = await endpointOf(a, b);
    expect(endpoint).not.toBe(kb.serviceId);
    // (Presence may flicker during the move to the endpoint: epproof's part of issue 13. From
    // here on, nothing the bulk connection does may change it.)
    const [aSaw, bSaw] = [presence(a, b), presence(b, a)];

    const size = 3 * MiB;
    const { data, id } = await sendFile(a, b, size);
    await until(() => b.events.some((e) => e.type === 'file-progress' && e.fileId === id));
    const [dial, ...more] = bulkDials(a);
    expect(more).toEqual([]);
    // Dialled to the endpoint B hosts for A, on a circuit of its own (a fresh isolation key).
    expect(dial?.serviceId).toBe(endpoint);
    const controlKeys = a.tor.dialled.filter((d) => d !== dial).map((d) => d.isolationKey);
    expect(controlKeys).not.toContain(dial?.isolationKey);
    const bulkSocket = (dial as NonNullable<typeof dial>).socket;

    // B stops reading the file: chat both ways still goes, on the control connection.
    const bEnd = peerEnd(b, bulkSocket);
    bEnd.pause();
    const texts = ['during the file 1', 'during the file 2', 'during the file 3'];
    for (const text of texts) {
      await a.messenger.dispatch({ type: 'send', address: b.address, text });
    }
    await b.messenger.dispatch({ type: 'send', address: a.address, text: 'got them' });
    await until(
      () => a.events.filter((e) => e.type === 'delivered').length >= texts.length,
      'chat delivered during the transfer',
    );
    await until(() => a.events.some((e) => e.type === 'message' && e.text === 'got them'));
    const got = b.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    expect(got).toEqual(texts);
    expect(b.events.some((e) => e.type === 'file-done')).toBe(false);
    bEnd.resume();

    const received = await done(b, id, 'in');
    expect(received.result).toBe('success');
    expect((await done(a, id, 'out')).result).toBe('success');
    expect(sha3(await readFile(received.path ?? ''))).toBe(sha3(data));
    expect(bulkSocket.bytesWritten).toBeGreaterThan(size);
    expect(a.messenger.bulkStats).toMatchObject({
      dials: 1,
      viaEndpoint: 1,
      connected: 1,
      failed: 0,
    });
    expect(b.messenger.bulkStats).toMatchObject({ inbound: 1, refused: 0 });
    if (!bulkSocket.destroyed) await once(bulkSocket, 'close'); // closed when the file ended
    // Never presence, never the live link: no `online`/`offline` since, still on the endpoint.
    expect(presence(a, b)).toEqual(aSaw);
    expect(presence(b, a)).toEqual(bSaw);
    expect(aSaw.at(-1)).toBe('online');
    expect(a.messenger.liveRoute(b.address)?.via).toBe('endpoint');
  }, 90_000);

  it('only the contact an endpoint serves can open a bulk connection on it', async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb, kc] = [IdentityKey.generate(), IdentityKey.generate(), IdentityKey.generate()];
    const a = await side(network, ka, [kb]);
    const b = await side(network, kb, [ka, kc]);
    const c = await side(network, kc, [kb]);
    await bothOnEndpoint(a, b);
    await bothOnEndpoint(c, b);
    const forA = await endpointOf(a, b);
    const forC = await endpointOf(c, b);
    expect(forA).not.toBe(forC);
    const [bSawA, bSawC] = [presence(b, a), presence(b, c)];

    // C (a contact of B, with its own endpoint) through its tor: no credential for A's endpoint.
    await expect(c.tor.connect(forA, ENDPOINT_PORT, 'bulk:c')).rejects.toBeInstanceOf(
      OnionMissingClientAuthError,
    );
    // Past tor (as if the key had leaked): the Gosling proof names C, or a stranger, not A.
    for (const key of [kc, IdentityKey.generate()]) {
      const refused = await bulkHandshake(network, forA, key);
      expect(refused).toBeInstanceOf(PeerErrorError);
      expect((refused as PeerErrorError).peerCode).toBe(new ClientNotAllowedError('').honkCode);
    }
    expect(b.messenger.bulkStats).toMatchObject({ inbound: 0, refused: 0 });
    expect(presence(b, a)).toEqual(bSawA);
    expect(presence(b, c)).toEqual(bSawC);
    expect(b.events.some((e) => e.type === 'request')).toBe(false);
  }, 90_000);

  it('a host that takes no bulk connections refuses the bulk channel, even to its contact', async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
    const a = await side(network, ka, [kb]);
    const b = await side(network, kb, [ka], [WINDOWED_FILE_FEATURE, ENDPOINTS_FEATURE]);
    await bothOnEndpoint(a, b);
    const refused = await bulkHandshake(network, await endpointOf(a, b), ka);
    expect(refused).toBeInstanceOf(PeerErrorError);
    expect((refused as PeerErrorError).peerCode).toBe(new UnknownChannelError('').honkCode);
    // And A never tries: the control link agreed no bulk connections, so a big file stays on it.
    const { data, id } = await sendFile(a, b, 2 * MiB);
    const received = await done(b, id, 'in');
    expect(sha3(await readFile(received.path ?? ''))).toBe(sha3(data));
    expect(a.messenger.bulkStats.dials).toBe(0);
    expect(b.messenger.bulkStats.inbound).toBe(0);
  }, 60_000);

  it('when the endpoint dial fails, the file goes once on the control connection', async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
    const a = await side(network, ka, [kb]);
    const b = await side(network, kb, [ka]);
    await bothOnEndpoint(a, b);
    await goDark(b);
    // New dials to B's endpoint for A fail ("descriptor not found"); the live link stays.
    network.unpublish(await endpointOf(a, b));
    const aSaw = presence(a, b);
    const size = 2 * MiB;
    const { data, id } = await sendFile(a, b, size);
    const received = await done(b, id, 'in');
    expect(received.result).toBe('success');
    expect(sha3(await readFile(received.path ?? ''))).toBe(sha3(data));
    expect(a.messenger.bulkStats).toMatchObject({
      dials: 1,
      viaEndpoint: 1,
      connected: 0,
      failed: 1,
    });
    expect(bulkDials(a)).toEqual([]);
    // Offered once, done once: never lost, never doubled.
    expect(b.events.filter((e) => e.type === 'file-offer')).toHaveLength(1);
    expect(b.events.filter((e) => e.type === 'file-done')).toHaveLength(1);
    const control = [...a.tor.dialled.map((d) => d.socket), ...a.tor.inbound];
    expect(control.reduce((sum, s) => sum + s.bytesWritten, 0)).toBeGreaterThan(size);
    expect(presence(a, b)).toEqual(aSaw);
  }, 90_000);

  it('contacts without endpoints keep bulk connections on the identity onion', async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
    const noEndpoints = [WINDOWED_FILE_FEATURE, BULK_CONNECTION_FEATURE];
    const a = await side(network, ka, [kb], noEndpoints);
    const b = await side(network, kb, [ka], noEndpoints);
    await until(() => a.messenger.liveRoute(b.address)?.via === 'identity', 'A live with B');
    await until(() => b.messenger.liveRoute(a.address) !== undefined, 'B live with A');
    const { data, id } = await sendFile(a, b, 2 * MiB);
    const received = await done(b, id, 'in');
    expect(sha3(await readFile(received.path ?? ''))).toBe(sha3(data));
    expect(bulkDials(a).map((d) => d.serviceId)).toEqual([kb.serviceId]);
    expect(a.messenger.bulkStats).toMatchObject({ dials: 1, viaEndpoint: 0, connected: 1 });
  }, 60_000);
});
