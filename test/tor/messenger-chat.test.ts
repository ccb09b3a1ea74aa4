// Two real Sotto cores (each with its own launched tor) on the private network: contact request,
// accept, chat both ways with delivery acks, queued messages delivered once after the peer returns.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { SottoInstance } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');

describe('messenger: request, accept and chat', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;

  beforeAll(async () => {
    alice = await SottoInstance.create('alice', testnet);
    bob = await SottoInstance.create('bob', testnet);
    await Promise.all([alice.start(), bob.start()]);
  });

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
  });

  it('answers id with its own Ricochet ID', async () => {
    const from = alice.events.mark;
    await alice.core.dispatch({ type: 'id' });
    const event = await alice.events.waitFor((e) => e.type === 'id', 5_000, from);
    expect(event).toEqual({ type: 'id', address: alice.address });
  });

  it('a request goes out, is accepted, and both sides come online', async () => {
    const fromA = alice.events.mark;
    await alice.core.dispatch({
      type: 'add',
      address: `${bob.address.slice(9).toUpperCase()}.onion`,
      nickname: 'bob',
      message: 'hello bob',
    });
    const request = await bob.events.waitFor((e) => e.type === 'request');
    expect(request).toMatchObject({ address: alice.address, message: 'hello bob' });
    await bob.core.dispatch({ type: 'accept', address: alice.address, nickname: 'alice' });
    await alice.events.waitFor((e) => e.type === 'online' && e.address === bob.address);
    await bob.events.waitFor((e) => e.type === 'online' && e.address === alice.address);
    expect(
      alice.events.events
        .slice(fromA)
        .some((e) => e.type === 'contact' && e.status === 'request-pending'),
    ).toBe(true);
    const fromB = bob.events.mark;
    await bob.core.dispatch({ type: 'contacts' });
    const list = await bob.events.waitFor((e) => e.type === 'contacts', 5_000, fromB);
    expect(list).toMatchObject({
      contacts: [{ address: alice.address, nickname: 'alice', status: 'online' }],
    });
  });

  it('chats both ways, each message delivered and acknowledged', async () => {
    for (const [from, to, text] of [
      [alice, bob, 'first from alice'],
      [bob, alice, 'reply from bob'],
      [alice, bob, 'ünïcödé ✓ and more'],
    ] as const) {
      const markFrom = from.events.mark;
      const markTo = to.events.mark;
      await from.core.dispatch({ type: 'send', address: to.address, text });
      const queued = await from.events.waitFor(
        (e): e is Extract<CoreEvent, { type: 'queued' }> => e.type === 'queued',
        5_000,
        markFrom,
      );
      const got = await to.events.waitFor((e) => e.type === 'message', 60_000, markTo);
      expect(got).toMatchObject({ address: from.address, text });
      await from.events.waitFor(
        (e) => e.type === 'delivered' && e.id === queued.id && e.address === to.address,
        60_000,
        markFrom,
      );
    }
  });

  it('messages queued while the peer is down are delivered exactly once after it returns', async () => {
    await bob.stop();
    await alice.events.waitFor((e) => e.type === 'offline' && e.address === bob.address);
    const texts = ['while you were away 1', 'while you were away 2', 'while you were away 3'];
    const mark = alice.events.mark;
    for (const text of texts)
      await alice.core.dispatch({ type: 'send', address: bob.address, text });
    const ids = alice.events.events.slice(mark).flatMap((e) => (e.type === 'queued' ? [e.id] : []));
    expect(ids).toHaveLength(3);
    const { log } = await bob.start();
    for (const text of texts) {
      await log.waitFor((e) => e.type === 'message' && e.text === text);
    }
    for (const id of ids) {
      await alice.events.waitFor((e) => e.type === 'delivered' && e.id === id, 60_000, mark);
    }
    const arrived = log.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    expect(arrived.slice(0, 3)).toEqual(texts); // in order
    // After a further round trip nothing more arrives: each text exactly once.
    await alice.core.dispatch({ type: 'send', address: bob.address, text: 'sentinel' });
    await log.waitFor((e) => e.type === 'message' && e.text === 'sentinel');
    for (const text of texts) {
      expect(log.events.filter((e) => e.type === 'message' && e.text === text)).toHaveLength(1);
    }
  });
});
