// The dark identity onion in the UI over the real Messenger, vault and loopback provider (issue 13):
// the user presses `d`, is warned about the contact who can reach them only on their ID (a Ricochet
// Refresh contact), cancels, goes dark (a stranger's dial then fails like SOCKS 0xF0), and opens
// the ID for 30 minutes with one key (`o`); the status bar and the contact list say which.
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { OnionDescriptorNotFoundError } from '../../src/onion/tor-errors.js';
import { openVault } from '../../src/profile/vault.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { formatClock } from '../../src/tui/state/format.js';
import { LoopbackMessenger } from '../support/loopback-messenger.js';
import { renderApp } from './support/render-app.js';
import { KEY, frameWhere, press, settle, until } from './support/ui.js';

const network = new LoopbackTorNetwork();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const refreshFriend = IdentityKey.generate().serviceId;

async function appOver(patch: (s: VaultState) => VaultState, published: boolean) {
  const me = await LoopbackMessenger.create({ network, state: patch, start: false }, cleanup);
  const { messenger, events, key, vaultPath } = me;
  const r = renderApp({
    core: messenger,
    protectedProfile: false,
    ownAddress: messenger.address,
    published,
    width: 110,
    height: 30,
  });
  cleanup.push(() => Promise.resolve(r.unmount()));
  await settle();
  await messenger.start();
  return { r, events, messenger, key, vaultPath, close: () => me.stop() };
}

const withRefreshFriend = (s: VaultState): VaultState => ({
  ...s,
  contacts: [
    {
      serviceId: refreshFriend,
      nickname: 'refresh-friend',
      addedAt: 1,
      historyEnabled: false,
      origin: 'imported-ricochet',
    },
  ],
});

async function strangerDial(serviceId: string): Promise<'connected' | Error> {
  try {
    const socket = await new LoopbackTorProvider({ network }).connect(serviceId, 9878, 'x');
    socket.destroy();
    return 'connected';
  } catch (error) {
    return error as Error;
  }
}

const lastIdentity = (events: readonly CoreEvent[]) =>
  events.filter((e) => e.type === 'identity-online').at(-1);

describe('going dark in the UI, over the real core', () => {
  it('warns about the identity-only contact, cancels, goes dark, then opens for 30 minutes', async () => {
    const { r, events, key, vaultPath, close } = await appOver(withRefreshFriend, true);
    await frameWhere(r, (f) => expect(f).toContain('open |'));
    // The contact list marks the contact who reaches us only on our ID.
    await frameWhere(r, (f) => expect(f).toContain('◇○ refresh-friend'));

    await press(r, 'd');
    const dialog = await frameWhere(r, (f) => expect(f).toContain('Go dark?'));
    expect(dialog).toContain('They will not reach you while dark');
    expect(dialog).toContain('◇ refresh-friend');
    await press(r, 'n');
    await frameWhere(r, (f) => expect(f).not.toContain('Go dark?'));
    expect(events.some((e) => e.type === 'identity-online' && e.mode === 'dark')).toBe(false);
    expect(await strangerDial(key.serviceId)).toBe('connected');

    await press(r, 'd');
    await frameWhere(r, (f) => expect(f).toContain('Go dark?'));
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('DARK'));
    await until(() => expect(lastIdentity(events)).toMatchObject({ published: false }));
    expect(await strangerDial(key.serviceId)).toBeInstanceOf(OnionDescriptorNotFoundError);

    const pressedAt = Date.now();
    await press(r, 'o');
    await until(() => expect(lastIdentity(events)).toMatchObject({ mode: 'open-until' }));
    const opened = lastIdentity(events);
    const windowEnd = opened?.type === 'identity-online' ? (opened.until ?? 0) : 0;
    expect(windowEnd).toBeGreaterThanOrEqual(pressedAt + 30 * 60_000);
    await frameWhere(r, (f) => expect(f).toContain(`open till ${formatClock(windowEnd)}`));
    await until(() => expect(lastIdentity(events)).toMatchObject({ published: true }));
    expect(await strangerDial(key.serviceId)).toBe('connected');

    // The window is in the vault as an absolute time (a restart keeps it).
    await close();
    const vault = await openVault(vaultPath, null);
    expect(vault.state.settings.identityOnline).toEqual({ until: windowEnd });
    vault.close();
  });

  it('a profile that is dark shows the main screen once tor is up, saying DARK', async () => {
    const { r } = await appOver(
      (s) => ({ ...withRefreshFriend(s), settings: { ...s.settings, identityOnline: 'dark' } }),
      false,
    );
    const frame = await frameWhere(r, (f) => expect(f).toContain('◇○ refresh-friend'));
    expect(frame).toContain('DARK | 0 online | UNPROTECTED | tor ready');
  });

  it('the help lists the keys and the identity-only mark', async () => {
    const { r } = await appOver(withRefreshFriend, true);
    await frameWhere(r, (f) => expect(f).toContain('open |'));
    await press(r, '?');
    let text = await frameWhere(r, (f) => expect(f).toContain('Keys'));
    for (let i = 0; i < 12 && !text.includes('reaches you only on your ID'); i++) {
      await press(r, KEY.pageDown);
      text += r.lastFrame() ?? '';
    }
    expect(text).toContain('Go dark: take my ID offline');
    expect(text).toContain('Accept contact requests for the next 30 minutes');
    expect(text).toContain('◇  reaches you only on your ID');
  });
});
