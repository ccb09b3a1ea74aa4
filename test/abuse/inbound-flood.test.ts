// Issue 10 §2 at scale: 640 strangers, each with a newly generated onion key, hold connections to a
// live Sotto core (the real Messenger behind the loopback TorProvider, whose listener has the real
// 512-socket cap): valid requests, invalid ones (nickname `<evil>` on the wire), peers that
// authenticate and then only answer keep-alives, and raw sockets that stay silent. The attacker's
// unknown-connection budget is given as saved up (what 30/min yields over ~20 minutes). A contact
// stays connected and chats throughout; another contact reconnects after every wave. The core's
// own counters stay within their bounds; the UI reducer fed the core's events holds what the core
// holds; nothing that belongs to a contact is refused. Retained heap is reported, not asserted.
import { createConnection, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_INBOUND,
  DEFAULT_MAX_REQUEST_CONNECTIONS,
  DEFAULT_MAX_STRANGER_INBOUND,
} from '../../src/core/inbound-slots.js';
import { MAX_PENDING_REQUESTS } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { initialState, reducer } from '../../src/tui/state/reducer.js';
import { LoopbackSotto, RawPeer, collectGarbage, rewriteOnWire } from './loopback-support.js';
import { INTRO, heavy } from './ricochet-mutator.js';

const STRANGERS = heavy() ? 5_000 : 640;
const WAVE = 64;
const KINDS = ['valid', 'invalid', 'keep-alive', 'raw'] as const;
type Kind = (typeof KINDS)[number];

/** Resolves once `p` saw `type` or closed, or after `ms` (it is only pacing, not an assertion). */
function settled(p: RawPeer, type: 'authenticated' | 'contact-request-response', ms: number) {
  return p.waitFor(type, ms).then(
    () => undefined,
    () => undefined,
  );
}

describe('640 strangers holding connections at a live listener', () => {
  const alice = IdentityKey.generate(); // stays connected throughout
  const carol = IdentityKey.generate(); // reconnects after every wave
  let bob: LoopbackSotto;
  const peers: RawPeer[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    bob = await LoopbackSotto.start([alice, carol], {
      incomingLimits: {
        unknownConnections: { perMinute: 30, burst: 100_000 },
        requests: { perMinute: 10, burst: 100_000 },
      },
    });
  });
  afterAll(async () => {
    for (const p of peers) p.link.destroy();
    for (const s of sockets) s.destroy();
    await bob?.stop();
  });

  async function stranger(kind: Kind): Promise<void> {
    if (kind === 'raw') {
      const socket = createConnection({ host: '127.0.0.1', port: bob.port });
      socket.on('error', () => undefined);
      socket.resume();
      socket.write(INTRO);
      sockets.push(socket);
      return;
    }
    const p = new RawPeer(IdentityKey.generate(), bob.key.serviceId, bob.port);
    p.socket.on('error', () => undefined);
    peers.push(p);
    if (kind === 'invalid') rewriteOnWire(p.socket, 'xevilx', '<evil>');
    await settled(p, 'authenticated', 10_000);
    if (kind === 'keep-alive') return; // authenticated, says nothing, answers keep-alives
    p.link.run((c) => c.sendContactRequest(kind === 'invalid' ? 'xevilx' : '', 'add me'));
    await settled(p, 'contact-request-response', 10_000);
  }

  async function chats(link: RawPeer, text: string): Promise<void> {
    link.link.run((c) => c.sendChatMessage(text));
    await bob.waitFor((e) => e.type === 'message' && e.text === text, 20_000);
  }

  it('keeps serving contacts and stays within its bounds', async () => {
    const staying = new RawPeer(alice, bob.key.serviceId, bob.port);
    peers.push(staying);
    await staying.waitFor('chat-ready', 20_000);
    await collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const openServerSockets = (): number => bob.tor.inbound.filter((s) => !s.destroyed).length;
    let peak = { strangers: 0, sockets: 0 };

    for (let wave = 0; wave * WAVE < STRANGERS; wave++) {
      const kinds = Array.from({ length: WAVE }, (_, i) => KINDS[(wave * WAVE + i) % 4]!);
      await Promise.all(kinds.map((k) => stranger(k)));

      // A contact reconnects in the middle of it all (a fresh connection, so a new slot) and chats.
      const visiting = new RawPeer(carol, bob.key.serviceId, bob.port);
      peers.push(visiting);
      await visiting.waitFor('chat-ready', 20_000);
      await chats(visiting, `carol, wave ${wave}`);
      await chats(staying, `alice, wave ${wave}`);

      const load = bob.messenger.load;
      peak = {
        strangers: Math.max(peak.strangers, load.strangers),
        sockets: Math.max(peak.sockets, openServerSockets()),
      };
      expect(load.strangers).toBeLessThanOrEqual(DEFAULT_MAX_STRANGER_INBOUND);
      expect(load.contacts + load.strangers).toBeLessThanOrEqual(DEFAULT_MAX_INBOUND);
      expect(openServerSockets()).toBeLessThanOrEqual(DEFAULT_MAX_INBOUND);
      expect(load.requestConnections).toBeLessThanOrEqual(DEFAULT_MAX_REQUEST_CONNECTIONS);
      expect(load.pendingRequests).toBeLessThanOrEqual(MAX_PENDING_REQUESTS);
      expect(load.refused).toBe(0);
    }

    // The contact that stayed was never cut off; its link is still the live one.
    expect(staying.events.some((e) => e.type === 'closed')).toBe(false);
    const acks = (): number =>
      staying.events.filter((e) => e.type === 'chat-ack' && e.accepted).length;
    await expect.poll(acks).toBe(Math.ceil(STRANGERS / WAVE));

    const load = bob.messenger.load;
    expect(load.evicted).toBeGreaterThan(0); // the strangers' share was full at times
    expect(load.pendingRequests).toBe(MAX_PENDING_REQUESTS);

    // The UI, fed the core's events, holds exactly the requests the core holds.
    let ui = initialState({ protectedProfile: false, ownAddress: null, bell: false });
    for (const event of bob.events) ui = reducer(ui, { type: 'core', event, now: 0 });
    await bob.messenger.dispatch({ type: 'requests' });
    const listed = await bob.waitFor((e) => e.type === 'requests');
    const held = listed.type === 'requests' ? listed.requests.map((r) => r.address) : [];
    expect(ui.requests.map((r) => r.address).sort()).toEqual([...held].sort());
    expect(held).toHaveLength(MAX_PENDING_REQUESTS);

    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    const dropped = bob.events.filter((e) => e.type === 'request-dropped').length;
    console.info(
      `${STRANGERS} strangers: peak ${peak.strangers} stranger links, ${peak.sockets} open server`,
      `sockets; ${load.evicted} evicted, ${load.refused} refused; ${load.pendingRequests} requests`,
      `pending, ${dropped} dropped (request-dropped); retained heap growth`,
      `${(growth / 1024).toFixed(0)} KiB (test process, clients included)`,
    );
  }, 300_000);
});
