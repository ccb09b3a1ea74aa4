// The UI over the real Messenger and vault (tor never started): a contact request that carries no
// nickname — what Ricochet Refresh 3.0.41 always sends (recording session-request-accept-chat) and
// Sotto by default — is accepted by pressing `y` without typing; the contact list and conversation
// header show the same default name the core stored. A refused accept leaves the request listed.
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { LoopbackMessenger } from '../support/loopback-messenger.js';
import { renderApp } from './support/render-app.js';
import { KEY, frameWhere, press, settle, until } from './support/ui.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const asker = IdentityKey.generate().serviceId;
const ASKER = `ricochet:${asker}`;
const DEFAULT_NAME = asker.slice(0, 8);

async function appOver(patch: (s: VaultState) => VaultState) {
  // The Messenger is never started: tor never runs, the core only answers the UI's commands.
  const me = await LoopbackMessenger.create(
    { tor: { offline: true }, state: patch, start: false },
    cleanup,
  );
  const { messenger, events } = me;
  const r = renderApp({
    core: messenger,
    protectedProfile: false,
    ownAddress: messenger.address,
    published: true,
    width: 100,
    height: 30,
  });
  await settle();
  return { r, events, messenger };
}

const request =
  (nickname: string) =>
  (s: VaultState): VaultState => ({
    ...s,
    incomingRequests: [{ serviceId: asker, nickname, message: 'it is me', receivedAt: 1 }],
  });

describe('accepting a request in the UI, over the real core', () => {
  it('a request with no nickname: Enter opens it, y accepts with the suggested name', async () => {
    const { r, events } = await appOver(request(''));
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await press(r, KEY.enter);
    const dialog = await frameWhere(r, (f) => expect(f).toContain('Contact request'));
    expect(dialog).toContain('Nickname sent: (none given)');
    expect(dialog).toContain(`Name: ${DEFAULT_NAME}`);
    await press(r, 'y');
    await until(() =>
      expect(events).toContainEqual({
        type: 'contact',
        address: ASKER,
        status: 'offline',
        nickname: DEFAULT_NAME,
      }),
    );
    const list = await frameWhere(r, (f) => expect(f).not.toContain('Requests ('));
    expect(list).toContain(`○ ${DEFAULT_NAME}`);
    await press(r, KEY.down, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain(`${DEFAULT_NAME} — offline`));
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    r.unmount();
  });

  it('the name can be edited before accepting', async () => {
    const { r, events } = await appOver(request(''));
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await press(r, KEY.enter, 'e');
    await frameWhere(r, (f) => expect(f).toContain(`> Name: ${DEFAULT_NAME}`));
    for (let i = 0; i < DEFAULT_NAME.length; i++) await press(r, KEY.backspace);
    await press(r, 'my source');
    await frameWhere(r, (f) => expect(f).toContain('> Name: my source'));
    await press(r, KEY.enter);
    await until(() =>
      expect(events).toContainEqual({
        type: 'contact',
        address: ASKER,
        status: 'offline',
        nickname: 'my source',
      }),
    );
    await frameWhere(r, (f) => expect(f).toContain('○ my source'));
    r.unmount();
  });

  it('an accept the core refuses (already a contact) leaves the request listed', async () => {
    const { r, events } = await appOver((s) => ({
      ...request('')(s),
      contacts: [{ serviceId: asker, nickname: 'known', addedAt: 1, historyEnabled: false }],
    }));
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await press(r, 'r');
    await frameWhere(r, (f) => expect(f).toContain('Contact request'));
    await press(r, 'y');
    await until(() => expect(events.map((e) => e.type)).toContain('error'));
    const frame = await frameWhere(r, (f) => expect(f).toContain('contact-exists'));
    expect(frame).toContain('Requests (1)');
    r.unmount();
  });
});
