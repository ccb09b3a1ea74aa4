// Strangers cannot lock a Sotto user out of inbound connections (issue 10 §2, §3): a live Sotto
// core (the real Messenger, ConnectionManager and PeerLink) behind the loopback TorProvider, whose
// listener has the real 512-socket cap, taking real Ricochet v3 bytes from raw clients with fresh
// onion keys. Refused or invalid requests close their connection; a pending request keeps one
// connection per address within a bound; strangers are evicted before a contact is refused;
// rejected peers are refused at connection level; a Sotto requester whose pending connection is
// closed keeps its request, re-sends it later, and the recipient can still accept (it dials back).
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { toAddress } from '../../src/core/vault-mapping.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackSotto, RawPeer, closedWithin, rewriteOnWire } from './loopback-support.js';
import { INTRO } from './ricochet-mutator.js';

/** An attacker's unknown-connection and request budget, saved up over many minutes. */
const SAVED_UP_BUDGET = {
  unknownConnections: { perMinute: 30, burst: 100_000 },
  requests: { perMinute: 10, burst: 100_000 },
};

const started: LoopbackSotto[] = [];
const peers: RawPeer[] = [];
const sockets: Socket[] = [];

async function sotto(
  contacts: readonly IdentityKey[] = [],
  options: Parameters<typeof LoopbackSotto.start>[1] = {},
): Promise<LoopbackSotto> {
  const s = await LoopbackSotto.start(contacts, options);
  started.push(s);
  return s;
}

function peer(key: IdentityKey, to: LoopbackSotto): RawPeer {
  const p = new RawPeer(key, to.key.serviceId, to.port);
  p.socket.on('error', () => undefined);
  peers.push(p);
  return p;
}

/** A raw TCP client that sends the Ricochet introduction (or nothing), then stays silent. */
function silentSocket(port: number, intro: boolean): Socket {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.resume();
  if (intro) socket.write(INTRO);
  sockets.push(socket);
  return socket;
}

/** A stranger authenticates and asks to be added; resolves with the first answer's status. */
async function request(p: RawPeer, nickname = '', message = 'hello'): Promise<string> {
  await p.waitFor('authenticated', 10_000);
  p.link.run((c) => c.sendContactRequest(nickname, message));
  const answer = await p.waitFor('contact-request-response', 10_000);
  return answer.type === 'contact-request-response' ? answer.status : 'none';
}

const isClosed = (p: RawPeer): boolean => p.events.some((e) => e.type === 'closed');

async function contactChats(to: LoopbackSotto, key: IdentityKey, text: string): Promise<RawPeer> {
  const p = peer(key, to);
  await p.waitFor('chat-ready', 20_000);
  p.link.run((c) => c.sendChatMessage(text));
  await to.waitFor((e) => e.type === 'message' && e.text === text, 20_000);
  return p;
}

afterEach(async () => {
  for (const p of peers.splice(0)) p.link.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of started.splice(0)) await s.stop();
});

describe('strangers at a live listener', () => {
  it('answers an invalid request (nickname <evil>) with Error and closes at once', async () => {
    const bob = await sotto();
    const evil = peer(IdentityKey.generate(), bob);
    rewriteOnWire(evil.socket, 'xevilx', '<evil>');
    expect(await request(evil, 'xevilx')).toBe('error');
    await closedWithin(evil.socket, 10_000);
    expect(bob.events.some((e) => e.type === 'request')).toBe(false);
    await expect.poll(() => bob.messenger.load.strangers).toBe(0);
  }, 60_000);

  it('refuses a rejected peer right after authentication, before any request', async () => {
    const bob = await sotto();
    const key = IdentityKey.generate();
    const first = peer(key, bob);
    expect(await request(first, '', 'please')).toBe('pending');
    await bob.waitFor((e) => e.type === 'request');
    await bob.messenger.dispatch({ type: 'reject', address: toAddress(key.serviceId) });
    await closedWithin(first.socket, 10_000);
    expect(first.events).toContainEqual({ type: 'contact-request-response', status: 'rejected' });
    // It comes back (the rate limits would let it): refused at connection level this time.
    const again = peer(key, bob);
    await again.waitFor('authenticated', 10_000);
    again.link.run((c) => c.sendContactRequest('', 'please, again'));
    await closedWithin(again.socket, 10_000);
    const answers = again.events.filter((e) => e.type === 'contact-request-response');
    expect(answers).toEqual([]);
    expect(bob.events.filter((e) => e.type === 'request')).toHaveLength(1);
  }, 60_000);

  it('keeps one connection per address for a pending request, and a bounded number in all', async () => {
    const bob = await sotto([], {
      incomingLimits: SAVED_UP_BUDGET,
      inboundLimits: { maxRequestConnections: 3 },
    });
    const key = IdentityKey.generate();
    const first = peer(key, bob);
    expect(await request(first)).toBe('pending');
    const second = peer(key, bob); // the same address again: the older connection goes
    expect(await request(second, '', 'hello again')).toBe('pending');
    await closedWithin(first.socket, 10_000);
    expect(isClosed(second)).toBe(false);
    await expect.poll(() => bob.messenger.load.requestConnections).toBe(1);

    const others = Array.from({ length: 6 }, () => peer(IdentityKey.generate(), bob));
    for (const p of others) expect(await request(p)).toBe('pending');
    await expect.poll(() => bob.messenger.load.requestConnections).toBe(3);
    // The oldest held connections were closed; every request is still pending for the user.
    await closedWithin(second.socket, 10_000);
    for (const p of others.slice(0, 3)) await closedWithin(p.socket, 10_000);
    expect(others.slice(3).some(isClosed)).toBe(false);
    await bob.messenger.dispatch({ type: 'requests' });
    const listed = await bob.waitFor((e) => e.type === 'requests');
    expect(listed.type === 'requests' && listed.requests.length).toBe(7);
    // A closed connection is not a rejection: no Rejected went to anyone.
    for (const p of [first, second, ...others]) {
      expect(p.events.filter((e) => e.type === 'contact-request-response')).toEqual([
        { type: 'contact-request-response', status: 'pending' },
      ]);
    }
  }, 60_000);

  it('closes the connection of a request dropped past the pending bound', async () => {
    const bob = await sotto([], {
      incomingLimits: { ...SAVED_UP_BUDGET, maxPending: 2 },
      inboundLimits: { maxRequestConnections: 10 },
    });
    const strangers = Array.from({ length: 4 }, () => peer(IdentityKey.generate(), bob));
    for (const p of strangers) expect(await request(p)).toBe('pending');
    // The two oldest requests were dropped (and announced); their connections go with them.
    for (const p of strangers.slice(0, 2)) await closedWithin(p.socket, 10_000);
    expect(strangers.slice(2).some(isClosed)).toBe(false);
    const dropped = bob.events.filter((e) => e.type === 'request-dropped');
    expect(dropped.map((e) => e.address)).toEqual(
      strangers.slice(0, 2).map((p) => toAddress(p.key.serviceId)),
    );
    expect(bob.messenger.load.pendingRequests).toBe(2);
  }, 60_000);

  it('evicts strangers, oldest first, before a contact is refused', async () => {
    const contacts = Array.from({ length: 9 }, () => IdentityKey.generate());
    const bob = await sotto(contacts, {
      incomingLimits: SAVED_UP_BUDGET,
      inboundLimits: { maxInbound: 8, maxStrangers: 4, maxRequestConnections: 2 },
    });
    const held: RawPeer[] = [];
    for (let i = 0; i < 4; i++) held.push(await contactChats(bob, contacts[i]!, `c${i}`));
    // Strangers fill their share and more: silent sockets, silent authenticated peers, requests.
    const silent = Array.from({ length: 10 }, (_, i) => silentSocket(bob.port, i % 2 === 0));
    const talkers = Array.from({ length: 6 }, () => peer(IdentityKey.generate(), bob));
    await Promise.all(talkers.map((p) => request(p).catch(() => 'closed')));
    for (let i = 0; i < 6; i++) silent.push(silentSocket(bob.port, i % 2 === 0));
    await expect.poll(() => bob.tor.inbound.length).toBe(4 + 10 + 6 + 6);
    expect(bob.messenger.load.strangers).toBeLessThanOrEqual(4);
    expect(bob.messenger.load.evicted).toBeGreaterThanOrEqual(22 - 4);
    // The listener is full (4 contacts + 4 strangers): new contacts still get in, and chat.
    for (let i = 4; i < 8; i++) {
      held.push(await contactChats(bob, contacts[i]!, `c${i}`));
      const load = bob.messenger.load;
      expect(load.contacts).toBe(i + 1);
      expect(load.strangers).toBeLessThanOrEqual(8 - load.contacts);
    }
    expect(held.some(isClosed)).toBe(false);
    expect(bob.messenger.load.refused).toBe(0);
    // Only when every slot holds a contact is a newcomer turned away (it might be a stranger).
    await expect.poll(() => bob.messenger.load.strangers).toBe(0);
    const late = silentSocket(bob.port, true);
    await closedWithin(late, 10_000);
    expect(bob.messenger.load.refused).toBe(1);
    held[0]!.link.run((c) => c.sendChatMessage('still here'));
    await bob.waitFor((e) => e.type === 'message' && e.text === 'still here');
  }, 120_000);
});

describe('a Sotto requester whose pending connection is closed', () => {
  it('keeps the request, re-sends it later, and becomes a contact when accepted', async () => {
    const bob = await sotto([], {
      incomingLimits: SAVED_UP_BUDGET,
      inboundLimits: { maxRequestConnections: 1 },
    });
    let skew = 0;
    const carol = await sotto([], { now: () => Date.now() + skew });
    const bobAddress = toAddress(bob.key.serviceId);
    const carolAddress = toAddress(carol.key.serviceId);
    const requestsFromCarol = (): CoreEvent[] =>
      bob.events.filter((e) => e.type === 'request' && e.address === carolAddress);
    const evictCarolsConnection = async (): Promise<void> => {
      // Carol's newest dial (the loopback provider records each, as tor would open a stream).
      const socket = carol.tor.dialled.at(-1)!.socket;
      expect(await request(peer(IdentityKey.generate(), bob))).toBe('pending');
      await closedWithin(socket, 10_000); // bob held one request connection: carol's went
      await expect.poll(() => bob.messenger.load.strangers).toBe(1);
    };

    await carol.messenger.dispatch({
      type: 'add',
      address: bobAddress,
      nickname: 'bob',
      message: 'hi',
    });
    await bob.waitFor((e) => e.type === 'request' && e.address === carolAddress);
    await evictCarolsConnection();

    // Not taken for a rejection: still pending, re-sent once the backoff (5–10 min) has passed.
    skew += 11 * 60_000;
    await expect.poll(() => requestsFromCarol().length, { timeout: 20_000 }).toBe(2);
    await evictCarolsConnection();
    const rejected = carol.events.filter(
      (e) => e.type === 'contact' && e.address === bobAddress && e.status === 'request-rejected',
    );
    expect(rejected).toEqual([]);
    await carol.messenger.dispatch({ type: 'contacts' });
    const listed = await carol.waitFor((e) => e.type === 'contacts');
    expect(listed.type === 'contacts' && listed.contacts[0]?.status).toBe('request-pending');

    // Bob accepts while carol's connection is gone: bob dials carol, carol takes it as accepted.
    await bob.messenger.dispatch({ type: 'accept', address: carolAddress, nickname: 'carol' });
    await bob.waitFor((e) => e.type === 'online' && e.address === carolAddress);
    await carol.waitFor((e) => e.type === 'online' && e.address === bobAddress);
    await bob.messenger.dispatch({ type: 'send', address: carolAddress, text: 'welcome' });
    await carol.waitFor((e) => e.type === 'message' && e.text === 'welcome');
    await carol.messenger.dispatch({ type: 'send', address: bobAddress, text: 'thanks' });
    await bob.waitFor((e) => e.type === 'message' && e.text === 'thanks');
  }, 120_000);
});
