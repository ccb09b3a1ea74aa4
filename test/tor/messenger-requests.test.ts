// Contact request outcomes between real Sotto cores on the private network: a rejected requester
// (and its repeat auto-rejected), a blocked requester refused right after authentication, the
// "block unknown peers" switch, and a contact that removed us.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SottoInstance, befriend } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');

describe('messenger: request outcomes', () => {
  let host: SottoInstance;
  let asker: SottoInstance;

  beforeAll(async () => {
    host = await SottoInstance.create('host', testnet);
    asker = await SottoInstance.create('asker', testnet);
    await Promise.all([host.start(), asker.start()]);
  });

  afterAll(async () => {
    await host?.remove();
    await asker?.remove();
  });

  it('a rejected request shows as request-rejected; a repeat is auto-rejected', async () => {
    const markA = asker.events.mark;
    await asker.core.dispatch({
      type: 'add',
      address: host.address,
      nickname: 'host',
      message: 'let me in',
    });
    await host.events.waitFor((e) => e.type === 'request' && e.address === asker.address);
    await host.core.dispatch({ type: 'reject', address: asker.address });
    await asker.events.waitFor(
      (e) => e.type === 'contact' && e.address === host.address && e.status === 'request-rejected',
      120_000,
      markA,
    );
    // The requester tries again: the host refuses it without asking its user.
    const markH = host.events.mark;
    const markA2 = asker.events.mark;
    await asker.core.dispatch({ type: 'retry', address: host.address });
    await asker.events.waitFor(
      (e) => e.type === 'contact' && e.address === host.address && e.status === 'request-rejected',
      120_000,
      markA2,
    );
    expect(host.events.events.slice(markH).some((e) => e.type === 'request')).toBe(false);
    await host.core.dispatch({ type: 'requests' });
    const listed = await host.events.waitFor((e) => e.type === 'requests', 5_000, markH);
    expect(listed).toEqual({ type: 'requests', requests: [] });
    await asker.core.dispatch({ type: 'remove', address: host.address });
  });

  it('a blocked address is refused right after authentication and never becomes a request', async () => {
    const blocked = await SottoInstance.create('blocked', testnet);
    try {
      await blocked.start();
      await host.core.dispatch({ type: 'block', address: blocked.address });
      const markH = host.events.mark;
      const markB = blocked.events.mark;
      await blocked.core.dispatch({
        type: 'add',
        address: host.address,
        nickname: 'host',
        message: 'hello?',
      });
      // The host closes the connection after auth: the blocked side sees it as a likely rejection.
      await blocked.events.waitFor(
        (e) =>
          e.type === 'contact' &&
          e.address === host.address &&
          (e.status === 'request-rejected' || e.status === 'request-failed'),
        120_000,
        markB,
      );
      expect(
        host.events.events
          .slice(markH)
          .some(
            (e) => (e.type === 'request' || e.type === 'online') && e.address === blocked.address,
          ),
      ).toBe(false);
    } finally {
      await blocked.remove();
    }
  });

  it('"block unknown peers" refuses strangers; contacts still connect', async () => {
    const stranger = await SottoInstance.create('stranger', testnet);
    try {
      await stranger.start();
      await host.core.dispatch({ type: 'block-unknown', enabled: true });
      const markH = host.events.mark;
      const markS = stranger.events.mark;
      await stranger.core.dispatch({
        type: 'add',
        address: host.address,
        nickname: 'host',
        message: 'hi',
      });
      await stranger.events.waitFor(
        (e) =>
          e.type === 'contact' &&
          e.address === host.address &&
          (e.status === 'request-rejected' || e.status === 'request-failed'),
        120_000,
        markS,
      );
      expect(host.events.events.slice(markH).some((e) => e.type === 'request')).toBe(false);
    } finally {
      await host.core.dispatch({ type: 'block-unknown', enabled: false });
      await stranger.remove();
    }
  });

  it('a contact that removed us shows as removed-us when we connect', async () => {
    const friend = await SottoInstance.create('friend', testnet);
    try {
      await friend.start();
      await befriend(friend, host);
      const markF = friend.events.mark;
      await host.core.dispatch({ type: 'remove', address: friend.address });
      await friend.events.waitFor(
        (e) => e.type === 'offline' && e.address === host.address,
        120_000,
        markF,
      );
      await friend.core.dispatch({ type: 'retry', address: host.address });
      await friend.events.waitFor(
        (e) => e.type === 'contact' && e.address === host.address && e.status === 'removed-us',
        120_000,
        markF,
      );
    } finally {
      await friend.remove();
    }
  });
});
