// The dark identity onion (issue 13) over the LoopbackTorProvider: real Messengers on real vaults,
// whose onions are loopback listeners. A stranger who knows the ID gets "descriptor not found"
// (like SOCKS 0xF0) while we are dark and reaches us while open; contacts still chat while we are
// dark (we dial them); the setting survives a restart; an open window closes by itself.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { runHeadless } from '../../src/core/headless.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { OnionDescriptorNotFoundError } from '../../src/onion/tor-errors.js';
import { openVault } from '../../src/profile/vault.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { LoopbackMessenger } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const network = new LoopbackTorNetwork();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

type Side = LoopbackMessenger;

/** A Messenger on a new profile made from the empty state by `patch`. */
const side = (key: IdentityKey, patch?: (s: VaultState) => VaultState): Promise<Side> =>
  LoopbackMessenger.create(
    {
      network,
      key,
      ...(patch ? { state: patch } : {}),
      messenger: { backoff: { baseMs: 100, capMs: 300, minMs: 50, likelyRejectedMs: 60_000 } },
    },
    cleanup,
  );

const contactOf = (key: IdentityKey, nickname = 'friend'): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname,
  addedAt: 1,
  historyEnabled: false,
});

type IdentityView = Extract<CoreEvent, { type: 'identity-online' }>;

async function identityView(s: Side): Promise<IdentityView> {
  const before = s.events.length;
  await s.messenger.dispatch({ type: 'identity-online' });
  const found = s.events.slice(before).find((e) => e.type === 'identity-online');
  if (found?.type !== 'identity-online') throw new Error('no identity-online answer');
  return found;
}

/** What a stranger's tor sees when it dials `serviceId`: a connection, or the typed failure. */
async function strangerDial(serviceId: string): Promise<'connected' | Error> {
  const tor = new LoopbackTorProvider({ network });
  try {
    const socket = await tor.connect(serviceId, 9878, 'stranger');
    socket.destroy();
    return 'connected';
  } catch (error) {
    return error as Error;
  }
}

const lastIdentity = (s: Side): IdentityView | undefined =>
  s.events.filter((e): e is IdentityView => e.type === 'identity-online').at(-1);

describe('the dark identity onion over the loopback provider', () => {
  it("a stranger's dial fails like 0xF0 while dark and reaches us while open", async () => {
    const me = await side(IdentityKey.generate(), (s) => ({
      ...s,
      settings: { ...s.settings, identityOnline: 'dark' },
    }));
    // Starting dark, the core says so at once (there will be no `published`).
    expect(me.events).toContainEqual(
      expect.objectContaining({ type: 'identity-online', mode: 'dark', published: false }),
    );
    expect(await identityView(me)).toMatchObject({ mode: 'dark', published: false });
    const darkDial = await strangerDial(me.key.serviceId);
    expect(darkDial).toBeInstanceOf(OnionDescriptorNotFoundError);
    expect((darkDial as OnionDescriptorNotFoundError).replyCode).toBe(0xf0);

    // "Accept requests for the next 30 minutes": a stranger's contact request now gets through.
    const t0 = Date.now();
    await me.messenger.dispatch({ type: 'set-identity-online', mode: 'open', minutes: 30 });
    const answer = lastIdentity(me);
    expect(answer?.mode).toBe('open-until');
    expect(answer?.until).toBeGreaterThanOrEqual(t0 + 30 * 60_000);
    await until(() => lastIdentity(me)?.published === true, 'the identity onion published');
    const stranger = await side(IdentityKey.generate());
    await stranger.messenger.dispatch({
      type: 'add',
      address: me.address,
      nickname: 'me',
      message: 'hello from a stranger',
    });
    await until(
      () => me.events.some((e) => e.type === 'request' && e.address === stranger.address),
      'the stranger’s request',
    );

    await me.messenger.dispatch({ type: 'set-identity-online', mode: 'dark' });
    await until(() => lastIdentity(me)?.published === false, 'the identity onion removed');
    expect(await strangerDial(me.key.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);
  });

  it('contacts still chat while we are dark: we dial them', async () => {
    const myKey = IdentityKey.generate();
    const friendKey = IdentityKey.generate();
    const friend = await side(friendKey, (s) => ({ ...s, contacts: [contactOf(myKey, 'me')] }));
    const me = await side(myKey, (s) => ({
      ...s,
      contacts: [contactOf(friendKey)],
      settings: { ...s.settings, identityOnline: 'dark' },
    }));
    expect(await strangerDial(myKey.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);
    await until(
      () => me.events.some((e) => e.type === 'online' && e.address === friend.address),
      'the friend online',
    );
    await friend.messenger.dispatch({ type: 'send', address: me.address, text: 'still there?' });
    await me.messenger.dispatch({ type: 'send', address: friend.address, text: 'yes, dark' });
    await until(() => me.events.some((e) => e.type === 'message' && e.text === 'still there?'));
    await until(() => friend.events.some((e) => e.type === 'message' && e.text === 'yes, dark'));
    // Both are Sotto: once they negotiated endpoints (docs/ENDPOINTS.md §2) the friend reaches us
    // on the endpoint we host for it, so it is no longer listed as identity-only.
    await until(() => me.messenger.liveRoute(friend.address)?.via === 'endpoint', 'on endpoints');
    expect((await identityView(me)).identityOnly).toEqual([]);
  });

  it('keeps the setting across a restart (dark stays dark, a window stays open until its end)', async () => {
    const key = IdentityKey.generate();
    const me = await side(key);
    expect(await identityView(me)).toMatchObject({ mode: 'always', published: true });
    await me.messenger.dispatch({ type: 'set-identity-online', mode: 'dark' });
    await me.stop();

    await me.start(); // the same profile, opened again
    expect(await identityView(me)).toMatchObject({ mode: 'dark', published: false });
    expect(await strangerDial(key.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);
    await me.messenger.dispatch({ type: 'set-identity-online', mode: 'open', minutes: 60 });
    const until60 = lastIdentity(me)?.until;
    await me.stop();

    await me.start();
    expect(await identityView(me)).toMatchObject({
      mode: 'open-until',
      until: until60,
      published: true,
    });
    expect(await strangerDial(key.serviceId)).toBe('connected');
  });

  it('closes an open window when its time is up, and saves dark', async () => {
    const key = IdentityKey.generate();
    const me = await side(key, (s) => ({
      ...s,
      settings: { ...s.settings, identityOnline: { until: Date.now() + 1_500 } },
    }));
    expect(await identityView(me)).toMatchObject({ mode: 'open-until', published: true });
    await until(
      () => lastIdentity(me)?.mode === 'dark' && lastIdentity(me)?.published === false,
      'the window closed',
      { timeoutMs: 20_000 },
    );
    expect(await strangerDial(key.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);
    await me.stop();
    const vault = await openVault(me.vaultPath, null);
    expect(vault.state.settings.identityOnline).toBe('dark');
    vault.close();
  });

  it('starts dark when the saved window ended while Sotto was not running', async () => {
    const key = IdentityKey.generate();
    const me = await side(key, (s) => ({
      ...s,
      settings: { ...s.settings, identityOnline: { until: Date.now() - 60_000 } },
    }));
    expect(await identityView(me)).toMatchObject({ mode: 'dark', published: false });
    expect(await strangerDial(key.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);
  });

  it('refuses a malformed setting with invalid-identity-online and changes nothing', async () => {
    const me = await side(IdentityKey.generate());
    const bad = [
      { type: 'set-identity-online', mode: 'open' },
      { type: 'set-identity-online', mode: 'open', minutes: 0 },
      { type: 'set-identity-online', mode: 'open', minutes: 1441 },
      { type: 'set-identity-online', mode: 'dark', minutes: 5 },
      { type: 'set-identity-online', mode: 'sometimes' },
    ] as const;
    for (const command of bad) {
      const before = me.events.length;
      await me.messenger.dispatch(command as never);
      expect(me.events.slice(before)).toEqual([
        expect.objectContaining({ type: 'error', code: 'invalid-identity-online' }),
      ]);
    }
    expect(await identityView(me)).toMatchObject({ mode: 'always', published: true });
  });

  it('lists the contacts who can reach only the identity onion, blocked ones left out, as the contact book changes', async () => {
    const alice = IdentityKey.generate();
    const bob = IdentityKey.generate();
    const me = await side(IdentityKey.generate(), (s) => ({
      ...s,
      contacts: [contactOf(alice, 'alice'), contactOf(bob, 'bob')],
      blocked: [{ serviceId: bob.serviceId, blockedAt: 1 }],
    }));
    expect((await identityView(me)).identityOnly).toEqual([`ricochet:${alice.serviceId}`]);
    const carol = IdentityKey.generate();
    await me.messenger.dispatch({
      type: 'add',
      address: `ricochet:${carol.serviceId}`,
      nickname: 'carol',
      message: '',
    });
    expect((await identityView(me)).identityOnly).toEqual([
      `ricochet:${alice.serviceId}`,
      `ricochet:${carol.serviceId}`,
    ]);
  });

  it('headless: the JSON lines set, answer and refuse as docs/HEADLESS.md says', async () => {
    const me = await side(IdentityKey.generate());
    const input = new PassThrough();
    const output = new PassThrough();
    const done = runHeadless(me.messenger, { input, output });
    input.write('{"type":"set-identity-online","mode":"dark"}\n');
    input.write('{"type":"set-identity-online","mode":"open","minutes":0}\n');
    input.write('{"type":"set-identity-online","mode":"open","minutes":"30"}\n');
    input.write('{"type":"identity-online"}\n');
    await until(() => lastIdentity(me)?.published === false, 'the identity onion removed');
    input.write('{"type":"quit"}\n');
    await done;
    const lines = ((output.read() as Buffer | null)?.toString('utf8') ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CoreEvent);
    const kinds = lines.flatMap((e) =>
      e.type === 'identity-online' ? [`${e.mode}`] : e.type === 'error' ? [e.code] : [],
    );
    // The reader answers the malformed line itself; the core answers `dark` before refusing the
    // bad window; every view says dark (one of them after tor removed the onion).
    const core = kinds.filter((k) => k !== 'bad-field-type');
    expect(core[0]).toBe('dark');
    expect(core.indexOf('invalid-identity-online')).toBeGreaterThan(0);
    expect(kinds).toContain('bad-field-type');
    expect(kinds.filter((k) => k !== 'dark')).toHaveLength(2);
    expect(lines).toContainEqual({
      type: 'identity-online',
      mode: 'dark',
      published: false,
      identityOnly: [],
    });
    expect(lines.at(-1)).toEqual({ type: 'quit' });
    expect(await strangerDial(me.key.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);
  });
});
