// Faults in the Tor network itself: every relay and authority of a private network (this file's
// own, so other test files keep theirs) is SIGKILLed under two chatting Sotto cores, a message is
// sent while the network is down, then the nodes restart from their data directories. Both cores
// notice, come back by themselves, and the queued message is delivered exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNetwork, type TestNetwork } from '../../tor/testnet.js';
import { SottoInstance, befriend } from './messenger-support.js';

describe('relays of the Tor network killed and restarted under Sotto', () => {
  let network: TestNetwork;
  let alice: SottoInstance;
  let bob: SottoInstance;

  beforeAll(async () => {
    network = await startTestNetwork({ timeoutMs: 200_000 });
    alice = await SottoInstance.create('relays-a', network.clientTorrcLines);
    bob = await SottoInstance.create('relays-b', network.clientTorrcLines);
    await Promise.all([alice.start(), bob.start()]);
    await befriend(alice, bob);
  }, 400_000);

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
    await network?.stop();
  });

  it('goes offline when the network dies, and delivers once it is back', async () => {
    const fromA = alice.events.mark;
    for (const node of network.nodes) await network.killNode(node.nickname);
    await alice.events.waitFor(
      (e) => e.type === 'offline' && e.address === bob.address,
      180_000,
      fromA,
    );
    const text = 'sent while the network was down';
    await alice.core.dispatch({ type: 'send', address: bob.address, text });

    for (const node of network.nodes) await network.startNode(node.nickname);
    const fromB = bob.events.mark;
    await bob.events.waitFor((e) => e.type === 'message' && e.text === text, 400_000, fromB);
    await alice.events.waitFor((e) => e.type === 'delivered', 120_000, fromA);
    await alice.core.dispatch({ type: 'send', address: bob.address, text: 'and after' });
    await bob.events.waitFor((e) => e.type === 'message' && e.text === 'and after', 120_000);
    expect(bob.events.events.filter((e) => e.type === 'message' && e.text === text)).toHaveLength(
      1,
    );
  }, 700_000);
});
