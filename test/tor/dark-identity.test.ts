// The dark identity onion over real tor on the private network (issue 13): a user whose ID is dark
// still makes a contact and chats with them (Sotto dials its contacts), while a stranger who knows
// the ID gets tor's "descriptor not found" (SOCKS extended reply 0xF0) — the same answer as for an
// ID that does not exist. Opening the ID lets a stranger in; going dark again shuts the door.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { OnionDescriptorNotFoundError, SocksConnectError } from '../../src/onion/tor-errors.js';
import { dialWithRetry, tempDir, TOR_TEST_LIMITS } from '../support/tor-test-helpers.js';
import { SottoInstance } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');

/** A stranger: only a tor client of their own and the ID. */
async function strangerTor(name: string, cleanups: (() => Promise<void>)[]) {
  const dir = await tempDir(name);
  const tor = createTorProvider({
    mode: 'launch',
    ...TOR_TEST_LIMITS,
    dataDir: dir.dir,
    extraTorrcLines: testnet,
  });
  cleanups.push(async () => {
    await tor.close();
    await dir.remove();
  });
  await tor.bootstrap();
  return tor;
}

const bare = (address: string): string => address.slice('ricochet:'.length);

describe('dark identity onion on the private network', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let alice: SottoInstance;
  let bob: SottoInstance;
  let stranger: RealTorProvider;

  beforeAll(async () => {
    alice = await SottoInstance.create('alice-dark', testnet, {}, { identityOnline: 'dark' });
    bob = await SottoInstance.create('bob-open', testnet);
    const [, , tor] = await Promise.all([
      alice.start(),
      bob.start(),
      strangerTor('dark-stranger', cleanups),
    ]);
    stranger = tor;
  });

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
    for (const c of cleanups.reverse()) await c();
  });

  it('a dark user befriends and chats with a contact; a stranger gets descriptor not found (0xF0)', async () => {
    expect(alice.events.events).toContainEqual(
      expect.objectContaining({ type: 'identity-online', mode: 'dark', published: false }),
    );
    expect(alice.events.events.some((e) => e.type === 'published')).toBe(false);

    // Alice asks Bob; Bob accepts on the connection Alice dialled.
    const fromA = alice.events.mark;
    await alice.core.dispatch({
      type: 'add',
      address: bob.address,
      nickname: 'bob',
      message: 'hi',
    });
    await bob.events.waitFor((e) => e.type === 'request' && e.address === alice.address);
    await bob.core.dispatch({ type: 'accept', address: alice.address, nickname: 'alice' });
    await alice.events.waitFor(
      (e) => e.type === 'online' && e.address === bob.address,
      120_000,
      fromA,
    );

    for (const [from, to, text] of [
      [alice, bob, 'from the dark side'],
      [bob, alice, 'heard you'],
    ] as const) {
      const markFrom = from.events.mark;
      const markTo = to.events.mark;
      await from.core.dispatch({ type: 'send', address: to.address, text });
      const queued = await from.events.waitFor(
        (e): e is Extract<CoreEvent, { type: 'queued' }> => e.type === 'queued',
        5_000,
        markFrom,
      );
      await to.events.waitFor((e) => e.type === 'message' && e.text === text, 60_000, markTo);
      await from.events.waitFor(
        (e) => e.type === 'delivered' && e.id === queued.id,
        60_000,
        markFrom,
      );
    }

    // A stranger who knows Alice's ID: the same typed answer as for an ID that does not exist.
    const dial = stranger.connect(bare(alice.address), 9878, 'stranger-1');
    await expect(dial).rejects.toBeInstanceOf(OnionDescriptorNotFoundError);
    const error = await dial.catch((e: unknown) => e);
    expect((error as OnionDescriptorNotFoundError).replyCode).toBe(0xf0);
    const nobody = IdentityKey.generate().serviceId;
    const none = await stranger.connect(nobody, 9878, 'stranger-2').catch((e: unknown) => e);
    expect(none).toBeInstanceOf(OnionDescriptorNotFoundError);
    expect((none as OnionDescriptorNotFoundError).replyCode).toBe(0xf0);
  });

  it('opening the ID lets a stranger in; going dark again removes it from tor', async () => {
    // A second stranger: the first one's tor remembers that no descriptor was found.
    const late = await strangerTor('dark-stranger-late', cleanups);
    const mark = alice.events.mark;
    await alice.core.dispatch({ type: 'set-identity-online', mode: 'open', minutes: 30 });
    await alice.events.waitFor((e) => e.type === 'published', 120_000, mark);
    await alice.events.waitFor(
      (e) => e.type === 'identity-online' && e.mode === 'open-until' && e.published,
      120_000,
      mark,
    );
    // Published means one HSDir has the descriptor; the stranger's may not yet (0xF0 for a while).
    const socket = await dialWithRetry(late, bare(alice.address), 9878, 'late-1', 90_000);
    socket.destroy();

    const darkMark = alice.events.mark;
    await alice.core.dispatch({ type: 'set-identity-online', mode: 'dark' });
    await alice.events.waitFor(
      (e) => e.type === 'identity-online' && e.mode === 'dark' && !e.published,
      60_000,
      darkMark,
    );
    // The descriptor this stranger fetched while the ID was open may still be cached (tor keeps
    // it up to its lifetime): the introduction then fails instead. Either way, no connection.
    await expect(late.connect(bare(alice.address), 9878, 'late-2')).rejects.toBeInstanceOf(
      SocksConnectError,
    );
    // Bob, a contact, still chats with the dark Alice.
    const markB = bob.events.mark;
    await alice.core.dispatch({ type: 'send', address: bob.address, text: 'dark again' });
    await bob.events.waitFor(
      (e) => e.type === 'message' && e.text === 'dark again',
      120_000,
      markB,
    );
  });
});
