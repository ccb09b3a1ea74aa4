// Endpoint onions between two real Messengers over the loopback TorProvider, which enforces client
// authorization like tor (docs/ENDPOINTS.md §2): two Sotto contacts upgrade after authenticating,
// chat and a windowed file run on the endpoint, a stranger without the key cannot reach it, a
// restart brings endpoints back without a new handshake, a lost endpoint key falls back to the
// identity onion and renegotiates (once, even when the move to the endpoint cuts the contact's ask
// in turn), and a Ricochet-compatible contact stays on the identity onion.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  LoopbackTorNetwork,
  LoopbackTorProvider,
  type LoopbackDial,
  type LoopbackLatency,
} from '../../src/onion/loopback-tor-provider.js';
import { OnionMissingClientAuthError } from '../../src/onion/tor-errors.js';
import { openVault } from '../../src/profile/vault.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { LoopbackMessenger, bothOnEndpoint } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

type Side = LoopbackMessenger;

const contact = (key: IdentityKey): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname: 'friend',
  addedAt: 1,
  historyEnabled: false,
});

const BACKOFF = { baseMs: 100, capMs: 300, minMs: 50, likelyRejectedMs: 60_000 };

/** A Messenger on a new profile that has `contacts`; `stop()` then `start()` restarts it. */
function side(
  network: LoopbackTorNetwork,
  key: IdentityKey,
  contacts: IdentityKey[],
  options: {
    features?: readonly string[];
    descriptorDelayMs?: number;
    /** Dialled sockets go through the provider's latency wrapper (their reads can be held). */
    latency?: LoopbackLatency;
  } = {},
): Promise<Side> {
  const lag = options.descriptorDelayMs;
  return LoopbackMessenger.create(
    {
      network,
      key,
      state: (s) => ({ ...s, contacts: contacts.map(contact) }),
      tor: {
        ...(lag ? { descriptorDelayMs: lag } : {}),
        ...(options.latency ? { latency: options.latency } : {}),
      },
      messenger: {
        backoff: BACKOFF,
        saveDebounceMs: 5,
        ...(options.features ? { features: options.features } : {}),
      },
    },
    cleanup,
  );
}

type SideOptions = Parameters<typeof side>[3];

/** Contacts A and B (both with `options`, A with `aOptions` too), live on each other's endpoints. */
async function pairOnEndpoints(options: SideOptions = {}, aOptions: SideOptions = {}) {
  const network = new LoopbackTorNetwork();
  const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
  const a = await side(network, ka, [kb], { ...options, ...aOptions });
  const b = await side(network, kb, [ka], options);
  await bothOnEndpoint(a, b);
  return { network, ka, kb, a, b };
}

const endpointEvents = (s: Side, state: string, of: Side): CoreEvent[] =>
  s.events.filter((e) => e.type === 'endpoint' && e.state === state && e.address === of.address);

async function savedEndpoint(s: Side, of: Side) {
  await s.messenger.flush();
  const vault = await openVault(s.vaultPath, null);
  try {
    const e = vault.state.contacts.find((c) => c.serviceId === of.key.serviceId)?.endpoint;
    return e && { hosted: e.ourEndpointKey !== undefined, peer: e.peerEndpointServiceId };
  } finally {
    vault.close();
  }
}

/** `s` (stopped) keeps the endpoint it hosts but loses the one it held (its half of the group). */
async function forgetHeldEndpoint(s: Side, of: Side): Promise<void> {
  const vault = await openVault(s.vaultPath, null);
  const contacts = vault.state.contacts.map((c) => {
    if (c.endpoint === undefined) return c;
    const { peerEndpointServiceId: _id, ourClientAuthSecret: _secret, ...hosted } = c.endpoint;
    return { ...c, endpoint: hosted };
  });
  await vault.save({ ...vault.state, contacts }, { forget: true });
  vault.close();
  expect(await savedEndpoint(s, of)).toEqual({ hosted: true, peer: undefined });
}

async function chat(from: Side, to: Side, text: string): Promise<void> {
  await from.messenger.dispatch({ type: 'send', address: to.address, text });
  await until(() => to.events.some((e) => e.type === 'message' && e.text === text), text);
}

/**
 * Seven messages back and forth, `first` first, each sent when the one before it arrived. One
 * connection keeps order, so a negotiation either side began before the first message (three
 * round trips: the channel opens, then the two calls) has ended on both sides when the last one
 * arrives: the `negotiated` events counted after it are all there will be.
 */
async function volley(first: Side, second: Side, tag: string): Promise<void> {
  for (let i = 0; i < 7; i++) {
    await (i % 2 === 0 ? chat(first, second, `${tag} ${i}`) : chat(second, first, `${tag} ${i}`));
  }
}

describe('endpoint onions between Sotto contacts (loopback tor)', () => {
  it('upgrade after authentication; chat and a windowed file run on the endpoint; strangers are kept out', async () => {
    const { network, kb, a, b } = await pairOnEndpoints();
    expect(endpointEvents(a, 'negotiated', b)).toHaveLength(1);
    expect(endpointEvents(b, 'negotiated', a)).toHaveLength(1);
    const [ea, eb] = [await savedEndpoint(a, b), await savedEndpoint(b, a)];
    expect(ea?.hosted && eb?.hosted).toBe(true);
    expect(ea?.peer).toMatch(/^[a-z2-7]{56}$/);
    expect(ea?.peer).not.toBe(kb.serviceId);
    await chat(a, b, 'over the endpoint');
    await chat(b, a, 'and back');
    expect(a.messenger.liveRoute(b.address)).toEqual({ via: 'endpoint', windowed: true });

    // A windowed file over the endpoint.
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const path = join(a.dir, 'report.bin');
    await writeFile(path, bytes);
    await a.messenger.dispatch({ type: 'send-file', address: b.address, path });
    await until(() => b.events.some((e) => e.type === 'file-offer'), 'the offer');
    const offer = b.events.find((e) => e.type === 'file-offer');
    if (offer?.type !== 'file-offer') throw new Error('no offer');
    await b.messenger.dispatch({ type: 'accept-file', address: a.address, fileId: offer.fileId });
    await until(() => b.events.some((e) => e.type === 'file-done'), 'the file', {
      timeoutMs: 20_000,
    });
    const done = b.events.find((e) => e.type === 'file-done');
    expect(done).toMatchObject({ result: 'success' });
    const saved = done?.type === 'file-done' && done.path !== undefined ? done.path : '';
    const digest = (x: Uint8Array) => createHash('sha256').update(x).digest('hex');
    expect(digest(await readFile(saved))).toBe(digest(bytes));
    expect(b.messenger.liveRoute(a.address)?.via).toBe('endpoint');

    // A stranger who knows B's endpoint for A, but has no key: tor's "missing client auth".
    const stranger = new LoopbackTorProvider({ network });
    for (let i = 0; i < 20; i++) {
      await expect(stranger.connect(ea!.peer!, 9878, `s${i}`)).rejects.toBeInstanceOf(
        OnionMissingClientAuthError,
      );
    }
    await chat(a, b, 'still here');
  }, 60_000);

  it('two users who become contacts by a request and an accept move to their endpoints', async () => {
    const network = new LoopbackTorNetwork();
    const a = await side(network, IdentityKey.generate(), []);
    const b = await side(network, IdentityKey.generate(), []);
    await a.messenger.dispatch({ type: 'add', address: b.address, nickname: 'bee', message: 'hi' });
    await until(
      () => b.events.some((e) => e.type === 'request' && e.address === a.address),
      'request',
    );
    await b.messenger.dispatch({ type: 'accept', address: a.address, nickname: 'ay' });
    await bothOnEndpoint(a, b);
    // One side's endpoint is enough for both to be live on it: the other's may still be on its way.
    await until(() => endpointEvents(b, 'negotiated', a).length > 0, 'B negotiated too', {
      timeoutMs: 20_000,
    });
    // (Both may dial each other after the accept: one negotiation per link is allowed.)
    expect(endpointEvents(a, 'negotiated', b).length).toBeGreaterThanOrEqual(1);
    expect(endpointEvents(b, 'negotiated', a).length).toBeGreaterThanOrEqual(1);
    await chat(a, b, 'first words on the endpoint');
  });

  it('a fresh endpoint that tor cannot find yet (0xF0) is dialled again, not renegotiated', async () => {
    // Real tor: a fresh endpoint is not found until its descriptor is up.
    const { a, b } = await pairOnEndpoints({ descriptorDelayMs: 3_000 });
    expect(endpointEvents(a, 'negotiated', b)).toHaveLength(1);
    expect(endpointEvents(b, 'negotiated', a)).toHaveLength(1);
    await chat(a, b, 'found at last');
  }, 30_000);

  it('a restart on both sides brings the endpoints back without a new handshake', async () => {
    const { a, b } = await pairOnEndpoints();
    const before = [await savedEndpoint(a, b), await savedEndpoint(b, a)];
    await a.stop();
    await b.stop();
    await b.start();
    await a.start(); // B is up: A's very first dial goes to B's endpoint
    await bothOnEndpoint(a, b);
    await chat(a, b, 'after the restart');
    expect(endpointEvents(a, 'negotiated', b)).toEqual([]);
    expect(endpointEvents(b, 'negotiated', a)).toEqual([]);
    expect([await savedEndpoint(a, b), await savedEndpoint(b, a)]).toEqual(before);
    // A never fell back to B's identity onion: its first connection ran on the endpoint.
    expect(endpointEvents(a, 'fallback', b)).toEqual([]);
  }, 60_000);

  it('a side that lost its endpoint keys falls back to the identity onion and renegotiates', async () => {
    const { kb, a, b } = await pairOnEndpoints();
    const old = await savedEndpoint(b, a);
    await a.stop();
    await b.stop();
    // A's profile loses the endpoint group (an old backup, a damaged record): keys gone.
    const vault = await openVault(a.vaultPath, null);
    await vault.save({ ...vault.state, contacts: [contact(kb)] }, { forget: true });
    vault.close();
    expect(await savedEndpoint(a, b)).toBeUndefined();
    await Promise.all([a.start(), b.start()]);
    await until(
      () =>
        endpointEvents(a, 'negotiated', b).length > 0 &&
        endpointEvents(b, 'negotiated', a).length > 0,
      'both sides negotiated again',
      { timeoutMs: 20_000 },
    );
    await bothOnEndpoint(a, b);
    await chat(b, a, 'found you again');
    const renewed = await savedEndpoint(b, a);
    expect(renewed?.peer).toMatch(/^[a-z2-7]{56}$/);
    expect(renewed?.peer).not.toBe(old?.peer); // A hosts a fresh endpoint for B
  }, 60_000);

  it('a side that lost only the endpoint it held is given a fresh one once, not back and forth', async () => {
    const { a, b } = await pairOnEndpoints();
    await a.stop();
    await b.stop();
    // A's profile keeps the endpoint it hosts for B but loses B's (its half of the group): A asks
    // B again; B, whose endpoint A asked for again, asks A in turn; A answers and stops there.
    await forgetHeldEndpoint(a, b);
    await Promise.all([a.start(), b.start()]);
    await until(
      () =>
        endpointEvents(a, 'negotiated', b).length > 0 &&
        endpointEvents(b, 'negotiated', a).length > 0,
      'both sides negotiated again',
      { timeoutMs: 20_000 },
    );
    await bothOnEndpoint(a, b);
    await volley(a, b, 'one new endpoint each');
    expect(endpointEvents(a, 'negotiated', b)).toHaveLength(1);
    expect(endpointEvents(b, 'negotiated', a)).toHaveLength(1);
  }, 60_000);

  it('an ask in turn cut by the move to the endpoint is answered there, not asked back', async () => {
    // As above, but the two meet on B's identity onion (B's dial to A's endpoint hangs) and A's
    // move to B's fresh endpoint takes that connection over while B's ask in turn is still on it:
    // A reads nothing more on the identity connection once it learned B's endpoint. B asks again
    // on the endpoint connection; that is still its ask in turn, and A must not ask back.
    const zeroLag = { seed: 1, maxDialDelayMs: 1, maxLatencyMs: 1 };
    const { kb, a, b } = await pairOnEndpoints({}, { latency: zeroLag });
    const aEndpoint = (await savedEndpoint(b, a))?.peer;
    await a.stop();
    await b.stop();
    await forgetHeldEndpoint(a, b);
    await b.start(false);
    b.tor.hang.add(aEndpoint!);
    await a.start(false);
    const held: LoopbackDial[] = [];
    a.messenger.onEvent((e) => {
      if (held.length > 0 || e.type !== 'endpoint' || e.state !== 'negotiated') return;
      // A learned B's fresh endpoint on the identity connection: A reads no more of what B sends
      // there (the rest of B's ask in turn).
      held.push(...a.tor.dialled.filter((d) => d.serviceId === kb.serviceId));
      for (const d of held) d.socket.pause();
    });
    await Promise.all([b.messenger.start(), a.messenger.start()]);
    await until(() => endpointEvents(b, 'negotiated', a).length > 0, 'B negotiated', {
      timeoutMs: 20_000,
    });
    await bothOnEndpoint(a, b);
    expect(held).not.toEqual([]);
    // The identity connection drains at A now (only chat on it counts there): let it end.
    for (const d of held) d.socket.resume();
    await volley(b, a, 'one new endpoint each');
    // B's first ask in turn was cut with the identity connection; its second one succeeded.
    expect(endpointEvents(b, 'negotiation-failed', a)).toMatchObject([
      { code: 'handshake-aborted' },
    ]);
    expect(endpointEvents(a, 'negotiated', b)).toHaveLength(1);
    expect(endpointEvents(b, 'negotiated', a)).toHaveLength(1);
  }, 60_000);

  it('a contact that comes back without its keys is asked for a fresh endpoint in turn', async () => {
    // A keeps running while B restarts on a profile that lost its endpoint group: B asks A again,
    // and A, whose endpoint from B went with B's keys, asks B in turn. What A learned from B
    // before B went offline does not make B's ask an ask in turn.
    const { ka, a, b } = await pairOnEndpoints();
    const before = endpointEvents(a, 'negotiated', b).length;
    const old = await savedEndpoint(a, b);
    await b.stop();
    await until(() => a.messenger.liveRoute(b.address) === undefined, 'A sees B offline');
    const vault = await openVault(b.vaultPath, null);
    await vault.save({ ...vault.state, contacts: [contact(ka)] }, { forget: true });
    vault.close();
    await b.start();
    await until(() => endpointEvents(b, 'negotiated', a).length > 0, 'B negotiated', {
      timeoutMs: 20_000,
    });
    await bothOnEndpoint(a, b);
    await volley(b, a, 'welcome back');
    expect(endpointEvents(a, 'negotiated', b)).toHaveLength(before + 1);
    expect(endpointEvents(b, 'negotiated', a)).toHaveLength(1);
    const renewed = await savedEndpoint(a, b);
    expect(renewed?.peer).toMatch(/^[a-z2-7]{56}$/);
    expect(renewed?.peer).not.toBe(old?.peer);
  }, 60_000);

  it('a Ricochet-compatible contact stays on the identity onion while a Sotto contact moves', async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb, kc] = [IdentityKey.generate(), IdentityKey.generate(), IdentityKey.generate()];
    const a = await side(network, ka, [kb, kc]);
    const b = await side(network, kb, [ka]);
    const c = await side(network, kc, [ka], { features: [] }); // --ricochet-compat
    await bothOnEndpoint(a, b);
    await until(() => a.messenger.liveRoute(c.address) !== undefined, 'A and C connected');
    await chat(a, c, 'plain ricochet');
    await chat(c, a, 'plain reply');
    expect(a.messenger.liveRoute(c.address)).toEqual({ via: 'identity', windowed: false });
    expect(c.messenger.liveRoute(a.address)?.via).toBe('identity');
    expect(await savedEndpoint(a, c)).toBeUndefined();
    expect(await savedEndpoint(c, a)).toBeUndefined();
    expect(c.events.some((e) => e.type === 'endpoint')).toBe(false);
  }, 60_000);
});
