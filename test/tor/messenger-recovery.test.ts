// Recovery without help: the launched tor under a running Sotto core is SIGKILLed; the core
// restarts tor, re-publishes its onion and the contact comes back online; chat works again.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SottoInstance, befriend } from './messenger-support.js';
import { isAlive } from '../support/tor-test-helpers.js';

const testnet = inject('torTestnetClientTorrc');

describe('messenger: tor killed under a running Sotto', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;

  beforeAll(async () => {
    alice = await SottoInstance.create('rec-a', testnet);
    bob = await SottoInstance.create('rec-b', testnet);
    await Promise.all([alice.start(), bob.start()]);
    await befriend(alice, bob);
  });

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
  });

  it('comes back online by itself and delivers messages again', async () => {
    const pid = alice.tor?.torPid;
    expect(pid).toBeTypeOf('number');
    const markA = alice.events.mark;
    const markB = bob.events.mark;
    process.kill(pid as number, 'SIGKILL');
    await expect.poll(() => isAlive(pid as number), { timeout: 10_000 }).toBe(false);
    await alice.events.waitFor(
      (e) => e.type === 'offline' && e.address === bob.address,
      120_000,
      markA,
    );
    await alice.events.waitFor((e) => e.type === 'published', 120_000, markA);
    await alice.events.waitFor(
      (e) => e.type === 'online' && e.address === bob.address,
      120_000,
      markA,
    );
    await bob.events.waitFor(
      (e) => e.type === 'online' && e.address === alice.address,
      120_000,
      markB,
    );
    expect(alice.tor?.torPid).not.toBe(pid);
    const mark = alice.events.mark;
    await alice.core.dispatch({ type: 'send', address: bob.address, text: 'still here' });
    await bob.events.waitFor((e) => e.type === 'message' && e.text === 'still here', 60_000, markB);
    await alice.events.waitFor((e) => e.type === 'delivered', 60_000, mark);
  });
});
