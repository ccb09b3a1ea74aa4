// ConnectionManager over real loopback sockets (a TorProvider whose connect() dials a local
// listener instead of an onion): simultaneous dials settle on one connection both sides agree on,
// failed dials are retried with backoff, dials are bounded, unknown or blocked peers are refused.
import { createServer, connect, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../src/core/connection-manager.js';
import type { PeerLink } from '../../src/core/peer-link.js';
import type { IdentityKey } from '../../src/identity/identity-key.js';
import type { TorProvider } from '../../src/onion/tor-provider.js';
import { ALICE, BOB, MALLORY } from '../protocol/connection-harness.js';

/** serviceId → loopback port of the manager that "publishes" it. */
const registry = new Map<string, number>();

class LoopbackTor implements TorProvider {
  dials = 0;
  inFlight = 0;
  maxInFlight = 0;
  hang = new Set<string>();
  bootstrap(): Promise<void> {
    return Promise.resolve();
  }
  listen(): never {
    throw new Error('not used');
  }
  connect(serviceId: string, _port: number, _iso: string, signal?: AbortSignal): Promise<Duplex> {
    this.dials++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<Duplex>((resolve, reject) => {
      const done = (): void => void this.inFlight--;
      if (this.hang.has(serviceId)) {
        signal?.addEventListener('abort', () => {
          done();
          reject(new Error('aborted'));
        });
        return;
      }
      const port = registry.get(serviceId);
      if (port === undefined) {
        setTimeout(() => {
          done();
          reject(new Error('onion not found'));
        }, 5);
        return;
      }
      const socket = connect(port, '127.0.0.1', () => {
        done();
        resolve(socket);
      });
      socket.once('error', (e) => {
        done();
        reject(e);
      });
    });
  }
  onEvent(): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Peer {
  readonly manager: ConnectionManager;
  readonly tor: LoopbackTor;
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
  const tor = new LoopbackTor();
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
    registry.set(key.serviceId, address.port);
  }
  const peer = { manager, tor, server, live, refused };
  peers.push(peer);
  return peer;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(() => {
  for (const p of peers.splice(0)) {
    p.manager.stop();
    p.server.close();
  }
  registry.clear();
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
      registry.clear();
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
});
