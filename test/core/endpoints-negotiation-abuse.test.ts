// Endpoint negotiation against a raw Sotto-speaking contact (our own RicochetConnection behind a
// real PeerLink, docs/ENDPOINTS.md §2): a contact that disconnects halfway through the Gosling
// identity handshake leaves nothing stored and nothing hosted, the failure is reported as a typed
// `negotiation-failed`, and the next connection works; garbage on the channel fails the same way
// without ending the chat connection.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityClientHandshake } from '../../src/gosling/identity-client.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { openVault } from '../../src/profile/vault.js';
import { LoopbackSotto, RawPeer } from '../abuse/loopback-support.js';
import { until } from '../support/wait.js';

let bob: LoopbackSotto | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.link.destroy();
  await bob?.stop();
  bob = undefined;
});

const failures = (events: CoreEvent[]) =>
  events.filter((e) => e.type === 'endpoint' && e.state === 'negotiation-failed');

async function savedEndpoint(sotto: LoopbackSotto, of: IdentityKey) {
  await sotto.messenger.flush();
  const vault = await openVault(join(sotto.dir, 'vault.sotto'), null);
  try {
    return vault.state.contacts.find((c) => c.serviceId === of.serviceId)?.endpoint;
  } finally {
    vault.close();
  }
}

describe('endpoint negotiation with a contact that misbehaves', () => {
  it('a contact that disconnects halfway leaves nothing stored; the next connection works', async () => {
    const alice = IdentityKey.generate();
    bob = await LoopbackSotto.start([alice]);
    const peer = new RawPeer(alice, bob.key.serviceId, bob.port);
    peers.push(peer);
    // Bob asks Alice for an endpoint as soon as both enabled the feature.
    await peer.waitFor('endpoint-channel-opened');
    // Alice asks Bob too, and leaves right after Bob's first answer.
    const channelId = peer.link.run((c) => c.openEndpointChannel());
    if (channelId === undefined) throw new Error('could not open the channel');
    const client = new IdentityClientHandshake({
      identity: alice,
      serverServiceId: bob.key.serviceId,
      endpoint: 'im.sotto.endpoint',
      clientAuthSecret: new Uint8Array(32).fill(5),
      now: Date.now(),
    });
    client.start();
    for (const out of client.takeOutput()) peer.link.run((c) => c.sendEndpointData(channelId, out));
    await until(
      () =>
        peer.events.some((e) => e.type === 'endpoint-channel-data' && e.channelId === channelId),
      "Bob's begin_handshake answer",
    );
    peer.link.destroy();
    await until(() => failures(bob!.events).length >= 2, 'both negotiations reported failed');
    expect(failures(bob.events).map((e) => e.type === 'endpoint' && e.code)).toEqual([
      'handshake-aborted',
      'handshake-aborted',
    ]);
    expect(bob.events.some((e) => e.type === 'endpoint' && e.state === 'negotiated')).toBe(false);
    expect(await savedEndpoint(bob, alice)).toBeUndefined();

    // Alice comes back: chat works (and Bob asks again).
    const again = new RawPeer(alice, bob.key.serviceId, bob.port);
    peers.push(again);
    await again.waitFor('chat-ready');
    await bob.messenger.dispatch({
      type: 'send',
      address: `ricochet:${alice.serviceId}`,
      text: 'hi',
    });
    await again.waitFor('chat-message');
    await again.waitFor('endpoint-channel-opened');
  }, 30_000);

  it('garbage on the negotiation channel fails the negotiation, not the chat', async () => {
    const alice = IdentityKey.generate();
    bob = await LoopbackSotto.start([alice]);
    const peer = new RawPeer(alice, bob.key.serviceId, bob.port);
    peers.push(peer);
    await peer.waitFor('chat-ready');
    const channelId = peer.link.run((c) => c.openEndpointChannel());
    if (channelId === undefined) throw new Error('could not open the channel');
    peer.link.run((c) =>
      c.sendEndpointData(channelId, Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 1, 2)),
    );
    await until(() => failures(bob!.events).length >= 1, 'the negotiation failed');
    expect(failures(bob.events)[0]).toMatchObject({ code: 'message-too-big' });
    await bob.messenger.dispatch({
      type: 'send',
      address: `ricochet:${alice.serviceId}`,
      text: 'still',
    });
    await peer.waitFor('chat-message');
    expect(peer.link.closed).toBe(false);
    expect((await savedEndpoint(bob, alice))?.ourEndpointKey).toBeUndefined();
  }, 30_000);
});
