// Endpoint onions over real tor on the private network (docs/ENDPOINTS.md §2): two Sotto users
// become contacts and move to their endpoint onions; chat and a file flow there; a third party
// given the endpoint address but no key gets tor's "missing client authorization" (SOCKS 0xF4);
// a restart on both sides brings the endpoints back without a new handshake; a lost endpoint key
// falls back to the identity onion and renegotiates; a `--ricochet-compat` contact in the same
// profile stays on the identity onion.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { OnionMissingClientAuthError } from '../../src/onion/tor-errors.js';
import { openVault } from '../../src/profile/vault.js';
import { SottoInstance, befriend, chat, savedEndpoint } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');
const LONG = 240_000;

const connected = (of: SottoInstance) => (e: CoreEvent) =>
  e.type === 'endpoint' && e.state === 'connected' && e.address === of.address;

describe('endpoint onions on the private Tor network', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;
  let carol: SottoInstance;

  beforeAll(async () => {
    alice = await SottoInstance.create('ep-a', testnet);
    bob = await SottoInstance.create('ep-b', testnet);
    carol = await SottoInstance.create('ep-c', testnet, { features: [] }); // --ricochet-compat
    await Promise.all([alice.start(), bob.start(), carol.start()]);
  }, LONG);

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
    await carol?.remove();
  });

  it(
    'two Sotto contacts move to their endpoints; chat and a file flow there; no key, no way in',
    async () => {
      const [markA, markB] = [alice.events.mark, bob.events.mark];
      await befriend(alice, bob);
      await alice.events.waitFor(connected(bob), LONG, markA);
      await bob.events.waitFor(connected(alice), LONG, markB);
      await chat(alice, bob, 'on the endpoint');
      await chat(bob, alice, 'here too');
      // Features (windowed transfers) are agreed just after authentication: asked after a chat.
      expect(alice.core.liveRoute(bob.address)).toEqual({ via: 'endpoint', windowed: true });

      const sent = randomBytes(200_000);
      const source = join(alice.dir, 'notes.bin');
      await writeFile(source, sent, { mode: 0o600 });
      const markTo = bob.events.mark;
      await alice.core.dispatch({ type: 'send-file', address: bob.address, path: source });
      const offer = await bob.events.waitFor((e) => e.type === 'file-offer', LONG, markTo);
      if (offer.type !== 'file-offer') throw new Error('no offer');
      await bob.core.dispatch({
        type: 'accept-file',
        address: alice.address,
        fileId: offer.fileId,
      });
      const done = await bob.events.waitFor((e) => e.type === 'file-done', LONG, markTo);
      expect(done).toMatchObject({ result: 'success' });
      const received = await readFile(done.type === 'file-done' ? (done.path ?? '') : '');
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      expect(sha(received)).toBe(sha(sent));
      expect(bob.core.liveRoute(alice.address)?.via).toBe('endpoint');

      // Carol's tor is given the endpoint Bob hosts for Alice, but no key: tor refuses (0xF4).
      const endpoint = await savedEndpoint(alice, bob);
      expect(endpoint?.peer).toMatch(/^[a-z2-7]{56}$/);
      const abort = AbortSignal.timeout(LONG);
      const dial = carol.tor!.connect(endpoint!.peer!, 9878, 'stranger', abort);
      await expect(dial).rejects.toBeInstanceOf(OnionMissingClientAuthError);
    },
    3 * LONG,
  );

  it(
    'a restart on both sides brings the endpoints back without a new handshake',
    async () => {
      const before = [await savedEndpoint(alice, bob), await savedEndpoint(bob, alice)];
      await alice.stop();
      await bob.stop();
      await Promise.all([alice.start(), bob.start()]);
      await alice.events.waitFor(connected(bob), LONG);
      await bob.events.waitFor(connected(alice), LONG);
      await chat(alice, bob, 'after the restart');
      const negotiated = (s: SottoInstance) =>
        s.events.events.filter((e) => e.type === 'endpoint' && e.state === 'negotiated');
      expect(negotiated(alice)).toEqual([]);
      expect(negotiated(bob)).toEqual([]);
      expect([await savedEndpoint(alice, bob), await savedEndpoint(bob, alice)]).toEqual(before);
    },
    3 * LONG,
  );

  it(
    'a lost endpoint key falls back to the identity onion and renegotiates',
    async () => {
      const old = await savedEndpoint(bob, alice);
      const markB = bob.events.mark; // Bob's log still holds the restart test's `connected`
      await alice.stop();
      const path = join(alice.dir, 'vault.sotto');
      const vault = await openVault(path, null);
      const contacts = vault.state.contacts.map(({ endpoint: _dropped, ...c }) => c);
      await vault.save({ ...vault.state, contacts }, { forget: true });
      vault.close();
      await alice.start();
      await alice.events.waitFor(connected(bob), LONG);
      await bob.events.waitFor(
        (e) => e.type === 'endpoint' && e.state === 'negotiated' && e.address === alice.address,
        LONG,
        markB,
      );
      await bob.events.waitFor(connected(alice), LONG, markB);
      await chat(bob, alice, 'found you again');
      const renewed = await savedEndpoint(bob, alice);
      expect(renewed?.peer).toMatch(/^[a-z2-7]{56}$/);
      expect(renewed?.peer).not.toBe(old?.peer);
    },
    3 * LONG,
  );

  it(
    'a --ricochet-compat contact stays on the identity onion beside a Sotto contact',
    async () => {
      await befriend(alice, carol);
      await chat(alice, carol, 'plain ricochet');
      await chat(carol, alice, 'plain reply');
      expect(alice.core.liveRoute(carol.address)).toEqual({ via: 'identity', windowed: false });
      expect(carol.core.liveRoute(alice.address)?.via).toBe('identity');
      await alice.events.waitFor(connected(bob), LONG); // since Alice's restart above
      expect(alice.core.liveRoute(bob.address)?.via).toBe('endpoint');
      expect(await savedEndpoint(alice, carol)).toBeUndefined();
      expect(carol.events.events.some((e) => e.type === 'endpoint')).toBe(false);
    },
    3 * LONG,
  );
});
