// The duplicate rule between an endpoint link and an identity link of the same contact
// (docs/ENDPOINTS.md §2, src/core/connection-routes.ts `survivingLink`): an endpoint connection
// beats an identity one, whatever the 3.0.41 rule would say. Two real Messengers over the loopback
// TorProvider move to their endpoints; then the contact authenticates again on the identity onion,
// in the same direction as the live endpoint link (where the 3.0.41 rule alone would keep the new
// one). The identity connection is closed, the endpoint link stays, presence never says offline.
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork } from '../../src/onion/loopback-tor-provider.js';
import { RawPeer } from '../abuse/loopback-support.js';
import { LoopbackMessenger, bothOnEndpoint } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const BACKOFF = { baseMs: 100, capMs: 300, minMs: 50, likelyRejectedMs: 60_000 };

function side(network: LoopbackTorNetwork, key: IdentityKey, friend: IdentityKey) {
  const contact = { serviceId: friend.serviceId, nickname: 'friend', addedAt: 1 };
  return LoopbackMessenger.create(
    {
      network,
      key,
      state: (s) => ({ ...s, contacts: [{ ...contact, historyEnabled: false }] }),
      messenger: { backoff: BACKOFF, saveDebounceMs: 5 },
    },
    cleanup,
  );
}

describe('an endpoint link beats an identity link of the same contact', () => {
  it('a contact that authenticates again on the identity onion is refused; the endpoint link stays', async () => {
    const network = new LoopbackTorNetwork();
    const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
    const a = await side(network, ka, kb);
    const b = await side(network, kb, ka);
    const onEndpoint = (): boolean =>
      a.messenger.liveRoute(b.address)?.via === 'endpoint' &&
      b.messenger.liveRoute(a.address)?.via === 'endpoint';
    await bothOnEndpoint(a, b);
    const [markA, markB] = [a.events.length, b.events.length];

    // The contact dials each side's identity onion, as the contact itself (its key): one of the
    // two is in the direction of the live endpoint link, where 3.0.41 keeps the newer one.
    const intoA = new RawPeer(kb, ka.serviceId, network.portOf(ka.serviceId)!);
    const intoB = new RawPeer(ka, kb.serviceId, network.portOf(kb.serviceId)!);
    cleanup.push(() => {
      intoA.link.destroy();
      intoB.link.destroy();
      return Promise.resolve();
    });
    for (const raw of [intoA, intoB]) {
      await raw.waitFor('authenticated');
      await until(() => raw.link.closed, 'the identity connection closed by the endpoint side');
    }

    expect(onEndpoint()).toBe(true);
    const presence = (s: LoopbackMessenger, from: number) =>
      s.events.slice(from).filter((e) => e.type === 'online' || e.type === 'offline');
    expect(presence(a, markA)).toEqual([]);
    expect(presence(b, markB)).toEqual([]);
    await a.messenger.dispatch({ type: 'send', address: b.address, text: 'still on the endpoint' });
    await until(() => b.events.some((e) => e.type === 'message'), 'the message');
    expect(onEndpoint()).toBe(true);
  }, 60_000);
});
