// SECURITY.md §3 "strangers are refused right after authentication if you blocked them or switched
// block unknown peers on": a live Sotto core (the real Messenger, ConnectionManager and PeerLink)
// behind the loopback TorProvider takes a raw Ricochet client that authenticates and at once asks
// to be added. Refused at connection level means the connection ends without any answer to the
// request (an answer would mean the request was read), and the user never sees a request. A
// positive control: the same stranger, not blocked, gets `pending` and shows as a request.
import { afterEach, describe, expect, it } from 'vitest';
import { toAddress } from '../../src/core/vault-mapping.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackSotto, RawPeer, closedWithin } from './loopback-support.js';

let bob: LoopbackSotto | undefined;
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.link.destroy();
  await bob?.stop();
  bob = undefined;
});

/** A stranger authenticates and sends a contact request; returns every answer it got. */
async function strangerAsks(to: LoopbackSotto, key: IdentityKey): Promise<unknown[]> {
  const p = new RawPeer(key, to.key.serviceId, to.port);
  p.socket.on('error', () => undefined);
  peers.push(p);
  await p.waitFor('authenticated', 10_000);
  p.link.run((c) => c.sendContactRequest('', 'let me in'));
  await closedWithin(p.socket, 10_000);
  return p.events.filter((e) => e.type === 'contact-request-response');
}

describe('strangers refused at connection level', () => {
  it('a blocked address is cut off after authentication: its request is never read', async () => {
    bob = await LoopbackSotto.start();
    const key = IdentityKey.generate();
    await bob.messenger.dispatch({ type: 'block', address: toAddress(key.serviceId) });
    expect(await strangerAsks(bob, key)).toEqual([]);
    expect(bob.events.some((e) => e.type === 'request')).toBe(false);
  }, 60_000);

  it('with "block unknown peers" on, every stranger is cut off the same way', async () => {
    bob = await LoopbackSotto.start();
    await bob.messenger.dispatch({ type: 'block-unknown', enabled: true });
    expect(await strangerAsks(bob, IdentityKey.generate())).toEqual([]);
    expect(bob.events.some((e) => e.type === 'request')).toBe(false);
  }, 60_000);

  it('positive control: a stranger nobody blocked gets Pending and shows as a request', async () => {
    bob = await LoopbackSotto.start();
    const key = IdentityKey.generate();
    const p = new RawPeer(key, bob.key.serviceId, bob.port);
    peers.push(p);
    await p.waitFor('authenticated', 10_000);
    p.link.run((c) => c.sendContactRequest('', 'let me in'));
    expect(await p.waitFor('contact-request-response', 10_000)).toMatchObject({
      status: 'pending',
    });
    await bob.waitFor((e) => e.type === 'request' && e.address === toAddress(key.serviceId));
  }, 60_000);
});
