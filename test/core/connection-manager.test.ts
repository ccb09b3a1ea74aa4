// ConnectionManager over real loopback sockets (a TorProvider whose connect() dials a local
// listener instead of an onion): simultaneous dials settle on one connection both sides agree on,
// failed dials are retried with backoff, dials are bounded, unknown or blocked peers are refused.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/core/connection-manager.js';
import type { PeerLink } from '../../src/core/peer-link.js';
import type { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { ALICE, BOB, MALLORY } from '../protocol/connection-harness.js';
import { until } from '../support/wait.js';

/** serviceId → loopback port of the manager that "publishes" it. */
const network = new LoopbackTorNetwork();

interface Peer {
  readonly manager: ConnectionManager;
  readonly tor: LoopbackTorProvider;
  readonly server: Server;
  readonly live: Map<string, PeerLink>;
  readonly refused: string[];
}

const peers: Peer[] = [];

async function makePeer(
  key: IdentityKey,
  options: {
    wants?: readonly string[];
    known?: readonly string[];
    admit?: boolean;
    publish?: boolean;
    maxDials?: number;
  } = {},
): Promise<Peer> {
  const tor = new LoopbackTorProvider({ network });
  const live = new Map<string, PeerLink>();
  const refused: string[] = [];
  const manager = new ConnectionManager({
    tor,
    identity: { serviceId: key.serviceId, sign: (m) => key.sign(m) },
    wantsConnection: (id) => (options.wants ?? []).includes(id),
    isKnownContact: (id) => (options.known ?? []).includes(id),
    admitUnknown: (id) => {
      if (options.admit !== true) refused.push(id);
      return options.admit === true;
    },
    onEvent: () => undefined,
    onLive: (id, link) => live.set(id, link),
    onGone: (id, link) => {
      if (live.get(id) === link) live.delete(id);
    },
    backoff: { baseMs: 100, capMs: 400, minMs: 50, likelyRejectedMs: 1_000 },
    ...(options.maxDials === undefined ? {} : { maxDials: options.maxDials }),
  });
  const server = createServer((socket) => manager.acceptInbound(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (options.publish !== false && address !== null && typeof address === 'object') {
    network.publish(key.serviceId, address.port);
  }
  const peer = { manager, tor, server, live, refused };
  peers.push(peer);
  return peer;
}

afterEach(() => {
  for (const p of peers.splice(0)) {
    p.manager.stop();
    p.server.close();
  }
  network.clear();
});

describe('ConnectionManager', () => {
  it('both sides dialling at once end with one connection both agree on', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await makePeer(ALICE, { wants: [BOB.serviceId], known: [BOB.serviceId] });
      const b = await makePeer(BOB, { wants: [ALICE.serviceId], known: [ALICE.serviceId] });
      a.manager.track(BOB.serviceId);
      b.manager.track(ALICE.serviceId);
      a.manager.setTorUp(true);
      b.manager.setTorUp(true);
      await until(() => a.live.has(BOB.serviceId) && b.live.has(ALICE.serviceId));
      // Let any loser finish closing, then check that the survivors are the two ends of one link.
      await until(() => {
        const la = a.manager.live(BOB.serviceId);
        const lb = b.manager.live(ALICE.serviceId);
        return (
          la !== undefined &&
          lb !== undefined &&
          la.connection.state === 'open' &&
          lb.connection.state === 'open' &&
          la.connection.role !== lb.connection.role
        );
      });
      const la = a.manager.live(BOB.serviceId);
      const lb = b.manager.live(ALICE.serviceId);
      expect(la?.closed).toBe(false);
      expect(lb?.closed).toBe(false);
      for (const p of peers.splice(0)) {
        p.manager.stop();
        p.server.close();
      }
      network.clear();
    }
  });

  it('retries a failed dial with backoff and connects once the peer is reachable', async () => {
    const a = await makePeer(ALICE, { wants: [BOB.serviceId], known: [BOB.serviceId] });
    a.manager.track(BOB.serviceId);
    a.manager.setTorUp(true);
    await until(() => a.tor.dials >= 2); // failed, then retried
    expect(a.live.size).toBe(0);
    await makePeer(BOB, { known: [ALICE.serviceId] });
    await until(() => a.live.has(BOB.serviceId));
  });

  it('never has more dials in flight than allowed', async () => {
    const targets = [BOB, MALLORY].map((k) => k.serviceId);
    const others = Array.from({ length: 6 }, (_, i) => `fake-${i}`);
    const a = await makePeer(ALICE, { wants: [...targets, ...others], maxDials: 2 });
    for (const id of [...targets, ...others]) a.tor.hang.add(id);
    for (const id of [...targets, ...others]) a.manager.track(id);
    a.manager.setTorUp(true);
    await until(() => a.tor.dials >= 2);
    // Give the scheduler time to (wrongly) start more dials; none may exceed the bound.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.tor.maxInFlight).toBe(2);
  });

  it('an unknown peer that is not admitted is closed right after authentication', async () => {
    const b = await makePeer(BOB, { admit: false });
    const m = await makePeer(MALLORY, { wants: [BOB.serviceId] });
    m.manager.track(BOB.serviceId);
    m.manager.setTorUp(true);
    await until(() => b.refused.includes(MALLORY.serviceId));
    await until(() => !m.live.has(BOB.serviceId) && b.live.size === 0);
    expect(b.manager.live(MALLORY.serviceId)).toBeUndefined();
  });

  it('a connection it cannot even set up is reported as its own error, not as the network', async () => {
    // A contact entry that is no service id (a caller's mistake): tor reaches "it", but no
    // RicochetConnection can be made for it. That must surface, not read as "unreachable".
    const target = await makePeer(BOB);
    const bogus = 'not-a-service-id';
    const port = network.portOf(BOB.serviceId);
    if (port !== undefined) network.publish(bogus, port);
    const errors: unknown[] = [];
    const dialFailures: unknown[] = [];
    const manager = new ConnectionManager({
      tor: target.tor,
      identity: { serviceId: ALICE.serviceId, sign: (m) => ALICE.sign(m) },
      wantsConnection: () => true,
      isKnownContact: () => false,
      admitUnknown: () => false,
      onEvent: () => undefined,
      onLive: () => undefined,
      onGone: () => undefined,
      onDialFailed: (_id, error) => dialFailures.push(error),
      onError: (error) => errors.push(error),
      backoff: { baseMs: 60_000, capMs: 60_000, minMs: 60_000, likelyRejectedMs: 60_000 },
    });
    peers.push({ ...target, manager });
    manager.track(bogus);
    manager.setTorUp(true);
    await until(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(TypeError);
    expect(dialFailures).toEqual([]);
  });
});
