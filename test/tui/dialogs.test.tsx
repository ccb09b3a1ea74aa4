// Every dialog rendered and driven with keystrokes: add contact (validated as you type), share
// ID with QR, send file, transfers, file offer, contact actions, help.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { KEYMAP } from '../../src/tui/keymap.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { renderApp } from './support/render-app.js';
import { KEY, frameWhere, press, settle, until } from './support/ui.js';

const ME = ricochetIdFor(1);
const ALICE = ricochetIdFor(2);
const BARE = ALICE.slice('ricochet:'.length);

async function setup() {
  const core = new FakeCore();
  const r = renderApp({ core, ownAddress: ME });
  await settle();
  core.emit(
    { type: 'published', address: ME },
    {
      type: 'contacts',
      contacts: [
        { address: ALICE, nickname: 'alice', status: 'online', historyEnabled: true, unread: 0 },
      ],
    },
  );
  await frameWhere(r, (f) => expect(f).toContain('alice'));
  return { core, r };
}

describe('AddContact', () => {
  it('validates the address as it is typed and sends a canonical request', async () => {
    const { core, r } = await setup();
    await press(r, 'a');
    await frameWhere(r, (f) => expect(f).toContain('Add a contact'));
    await press(r, BARE.slice(0, 20));
    await frameWhere(r, (f) => expect(f).toContain('✗ wrong length'));
    await press(r, BARE.slice(20, 55), BARE[55] === 'a' ? 'b' : 'a');
    await frameWhere(r, (f) =>
      expect(f).toMatch(/✗ (checksum wrong|not a valid onion key|not a v3)/),
    );
    await press(r, KEY.backspace, `${BARE[55] ?? ''}.onion`);
    await frameWhere(r, (f) => expect(f).toContain(`✓ valid: ${ALICE.slice(0, 40)}`));
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('✗ give them a nickname'));
    await press(r, 'A<');
    await frameWhere(r, (f) => expect(f).toContain('✗ no " < > or & in nicknames'));
    await press(r, KEY.backspace, 'lice');
    await press(r, KEY.enter);
    await until(() =>
      expect(core.commands).toContainEqual({
        type: 'add',
        address: ALICE,
        nickname: 'Alice',
        message: 'Hi, this is my Ricochet ID.',
      }),
    );
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    r.unmount();
  });

  it('accepts the ricochet: form, refuses our own ID, and Esc cancels', async () => {
    const { core, r } = await setup();
    await press(r, 'a', ME);
    await frameWhere(r, (f) => expect(f).toContain('✗ that is your own ID'));
    await press(r, KEY.enter);
    await press(r, KEY.esc);
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    expect(core.commands.filter((c) => c.type === 'add')).toHaveLength(0);
    r.unmount();
  });
});

describe('quitting from a dialog', () => {
  it('Ctrl+C quits even while a dialog is open', async () => {
    const core = new FakeCore();
    let quits = 0;
    const r = render(
      <App
        core={core}
        protectedProfile
        ownAddress={ME}
        bell={false}
        colour={false}
        onQuit={() => quits++}
      />,
    );
    await settle();
    core.emit({ type: 'published', address: ME });
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    await press(r, 'a');
    await frameWhere(r, (f) => expect(f).toContain('Add a contact'));
    await press(r, KEY.ctrlC);
    await until(() => expect(quits).toBe(1));
    r.unmount();
  });
});

describe('ShareId', () => {
  it('shows the full ID and a QR code of half-block characters', async () => {
    const { r } = await setup();
    await press(r, 'i');
    const frame = await frameWhere(r, (f) => expect(f).toContain(ME));
    expect(frame).toMatch(/[█▀▄]{10}/);
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    await press(r, KEY.esc);
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    r.unmount();
  });
});

describe('SendFile and Transfers', () => {
  it('sends a path, then shows progress, speed and ETA, and cancels with x', async () => {
    const { core, r } = await setup();
    await press(r, 'f');
    await frameWhere(r, (f) => expect(f).toContain('Send a file to alice'));
    await press(r, '/home/me/report.pdf', KEY.enter);
    await until(() =>
      expect(core.commands).toContainEqual({
        type: 'send-file',
        address: ALICE,
        path: '/home/me/report.pdf',
      }),
    );
    // As the core does: the offer is announced with its id and name before any progress.
    core.emit({
      type: 'file-offered',
      address: ALICE,
      fileId: 1,
      name: 'report.pdf',
      size: 1024 * 1024,
    });
    core.emit({
      type: 'file-progress',
      address: ALICE,
      fileId: 1,
      direction: 'out',
      transferred: 512 * 1024,
      size: 1024 * 1024,
      bytesPerSecond: 64 * 1024,
    });
    await press(r, 't');
    const frame = await frameWhere(r, (f) => expect(f).toContain('report.pdf'));
    expect(frame).toContain('50%');
    expect(frame).toContain('64.0 KiB/s');
    expect(frame).toContain('ETA 00:08');
    expect(frame).toContain('to alice');
    await press(r, 'x');
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'cancel-file', address: ALICE, fileId: 1 }),
    );
    r.unmount();
  });

  it('accepts a file offer from its dialog and rejects another from the list', async () => {
    const { core, r } = await setup();
    core.emit(
      { type: 'file-offer', address: ALICE, fileId: 5, name: 'photo.jpg', size: 3_000_000 },
      { type: 'file-offer', address: ALICE, fileId: 6, name: 'notes.txt', size: 10 },
    );
    await press(r, 't');
    await frameWhere(r, (f) => expect(f).toContain('photo.jpg'));
    await press(r, KEY.enter);
    const offer = await frameWhere(r, (f) => expect(f).toContain('File offer'));
    expect(offer).toContain('Size: 2.9 MiB');
    await press(r, 'y');
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'accept-file', address: ALICE, fileId: 5 }),
    );
    await frameWhere(r, (f) => expect(f).toContain('File transfers'));
    await press(r, KEY.down, 'n');
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'reject-file', address: ALICE, fileId: 6 }),
    );
    core.emit({
      type: 'file-done',
      address: ALICE,
      fileId: 6,
      direction: 'in',
      result: 'rejected',
    });
    await frameWhere(r, (f) => expect(f).toContain('notes.txt (10 B) from alice — rejected'));
    r.unmount();
  });
});

describe('ContactActions', () => {
  it('renames a contact', async () => {
    const { core, r } = await setup();
    await press(r, 'c');
    await frameWhere(r, (f) => expect(f).toContain('Contact: alice'));
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('New nickname'));
    await press(r, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, 'Al');
    await frameWhere(r, (f) => expect(f).toContain('New nickname: Al'));
    await press(r, KEY.enter);
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'rename', address: ALICE, nickname: 'Al' }),
    );
    r.unmount();
  });

  it('runs retry and history toggles directly, and asks before remove', async () => {
    const { core, r } = await setup();
    await press(r, 'c', KEY.down, KEY.enter);
    await until(() => expect(core.commands).toContainEqual({ type: 'retry', address: ALICE }));
    await press(r, 'c', KEY.down, KEY.down, KEY.enter);
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'history', address: ALICE, enabled: false }),
    );
    await press(r, 'c');
    await frameWhere(r, (f) => expect(f).toContain('Remove contact'));
    await press(r, KEY.down, KEY.down, KEY.down, KEY.down, KEY.down, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('Remove this contact? (y/n)'));
    await press(r, 'n');
    await frameWhere(r, (f) => expect(f).toContain('Remove contact'));
    expect(core.commands.some((c) => c.type === 'remove')).toBe(false);
    await press(r, KEY.enter, 'y');
    await until(() => expect(core.commands).toContainEqual({ type: 'remove', address: ALICE }));
    r.unmount();
  });

  it('offers to resend failed messages', async () => {
    const { core, r } = await setup();
    await press(r, KEY.enter, 'lost', KEY.enter);
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'send', address: ALICE, text: 'lost' }),
    );
    core.emit(
      { type: 'queued', address: ALICE, id: 7, text: 'lost' },
      { type: 'message-state', address: ALICE, id: 7, state: 'failed' },
    );
    await frameWhere(r, (f) => expect(f).toContain('[FAILED]'));
    await press(r, KEY.esc, 'c');
    await frameWhere(r, (f) => expect(f).toContain('Resend 1 failed message(s)'));
    await press(r, KEY.down, KEY.down, KEY.enter);
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'retry-message', address: ALICE, id: 7 }),
    );
    r.unmount();
  });

  it('blocks after confirmation and clears history after confirmation', async () => {
    const { core, r } = await setup();
    await press(r, 'c', KEY.down, KEY.down, KEY.down, KEY.enter, 'y');
    await until(() =>
      expect(core.commands).toContainEqual({ type: 'clear-history', address: ALICE }),
    );
    await press(r, 'c', KEY.down, KEY.down, KEY.down, KEY.down, KEY.enter, 'y');
    await until(() => expect(core.commands).toContainEqual({ type: 'block', address: ALICE }));
    r.unmount();
  });
});

describe('IncomingRequest', () => {
  it('rejects with n and blocks with b', async () => {
    const { core, r } = await setup();
    const X = ricochetIdFor(10);
    const Y = ricochetIdFor(11);
    core.emit(
      { type: 'request', address: X, nickname: 'x', message: 'hello from x' },
      { type: 'request', address: Y, nickname: 'y', message: 'hello from y' },
    );
    await frameWhere(r, (f) => expect(f).toContain('Requests (2)'));
    await press(r, KEY.up, KEY.up, KEY.up, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('hello from x'));
    await press(r, 'n');
    await until(() => expect(core.commands).toContainEqual({ type: 'reject', address: X }));
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await press(r, 'r');
    await frameWhere(r, (f) => expect(f).toContain('hello from y'));
    await press(r, 'b');
    await until(() => expect(core.commands).toContainEqual({ type: 'block', address: Y }));
    r.unmount();
  });
});

describe('IncomingRequest: the name the new contact gets', () => {
  const X = ricochetIdFor(12);
  const DEFAULT_NAME = X.slice('ricochet:'.length, 'ricochet:'.length + 8);

  async function openRequest(nickname: string) {
    const { core, r } = await setup();
    core.emit({ type: 'request', address: X, nickname, message: 'hi' });
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await press(r, 'r');
    await frameWhere(r, (f) => expect(f).toContain('Contact request'));
    return { core, r };
  }
  const accepts = (core: FakeCore) => core.commands.filter((c) => c.type === 'accept');

  it('prefills the nickname the request carried; y accepts with it and asks the core for its list', async () => {
    const { core, r } = await openRequest('Bob');
    await frameWhere(r, (f) => expect(f).toContain('  Name: Bob'));
    await press(r, 'y');
    await until(() =>
      expect(accepts(core)).toEqual([{ type: 'accept', address: X, nickname: 'Bob' }]),
    );
    expect(core.commands.at(-1)).toEqual({ type: 'requests' });
    r.unmount();
  });

  it('a blank or unusable nickname from the peer is replaced by the default name', async () => {
    for (const sent of ['   ', 'x'.repeat(40)]) {
      const { core, r } = await openRequest(sent);
      await frameWhere(r, (f) => expect(f).toContain(`  Name: ${DEFAULT_NAME}`));
      await press(r, 'y');
      await until(() =>
        expect(accepts(core)).toEqual([{ type: 'accept', address: X, nickname: DEFAULT_NAME }]),
      );
      r.unmount();
    }
  });

  it('while editing, y is typed into the name; Enter accepts; Esc stops editing', async () => {
    const { core, r } = await openRequest('');
    await press(r, KEY.tab);
    await frameWhere(r, (f) => expect(f).toContain(`> Name: ${DEFAULT_NAME}`));
    await press(r, 'y');
    await frameWhere(r, (f) => expect(f).toContain(`> Name: ${DEFAULT_NAME}y`));
    expect(accepts(core)).toEqual([]);
    await press(r, KEY.esc);
    await frameWhere(r, (f) => expect(f).toContain(`  Name: ${DEFAULT_NAME}y`));
    await frameWhere(r, (f) => expect(f).toContain('Contact request')); // Esc left the dialog open
    await press(r, 'e', KEY.enter);
    await until(() =>
      expect(accepts(core)).toEqual([{ type: 'accept', address: X, nickname: `${DEFAULT_NAME}y` }]),
    );
    r.unmount();
  });

  it('a refused name is shown and never sent; y then opens the field to fix it', async () => {
    const { core, r } = await openRequest('');
    await press(r, 'e', 'a<b');
    await frameWhere(r, (f) => expect(f).toContain('✗ no " < > or & in nicknames'));
    await press(r, KEY.enter);
    await press(r, KEY.esc, 'y');
    await frameWhere(r, (f) => expect(f).toContain(`> Name: ${DEFAULT_NAME}a<b`));
    expect(accepts(core)).toEqual([]);
    for (let i = 0; i < DEFAULT_NAME.length + 3; i++) await press(r, KEY.backspace);
    await frameWhere(r, (f) => expect(f).toContain('✗ give them a nickname'));
    await press(r, KEY.enter);
    expect(accepts(core)).toEqual([]);
    await press(r, 'Ann', KEY.enter);
    await until(() =>
      expect(accepts(core)).toEqual([{ type: 'accept', address: X, nickname: 'Ann' }]),
    );
    r.unmount();
  });

  it('Esc decides later: nothing is sent and the request stays', async () => {
    const { core, r } = await openRequest('');
    await press(r, KEY.esc);
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    expect(accepts(core)).toEqual([]);
    r.unmount();
  });
});

describe('AddContact: our own nickname', () => {
  const fillValidRequest = async (r: Awaited<ReturnType<typeof setup>>['r']) => {
    await press(r, 'a', BARE);
    await frameWhere(r, (f) => expect(f).toContain('✓ valid'));
    await press(r, KEY.tab, 'Alice', KEY.tab, KEY.tab);
    await frameWhere(r, (f) => expect(f).toContain('> Your nickname:'));
  };

  it('is empty by default and then sends no set-nickname', async () => {
    const { core, r } = await setup();
    await fillValidRequest(r);
    await frameWhere(r, (f) => expect(f).toContain('your ID (no nickname)'));
    await press(r, KEY.enter);
    await until(() => expect(core.commands.some((c) => c.type === 'add')).toBe(true));
    expect(core.commands.filter((c) => c.type === 'set-nickname')).toEqual([]);
    r.unmount();
  });

  it('shows the current one; a changed one is set before the request is sent', async () => {
    const { core, r } = await setup();
    core.emit({ type: 'own-nickname', nickname: 'Me' });
    await fillValidRequest(r);
    await frameWhere(r, (f) => expect(f).toContain('> Your nickname: Me'));
    await press(r, 'g<');
    await frameWhere(r, (f) => expect(f).toContain('✗ no " < > or & in nicknames'));
    await press(r, KEY.enter);
    expect(core.commands.filter((c) => c.type === 'add')).toEqual([]);
    await press(r, KEY.backspace, KEY.enter);
    await until(() => expect(core.commands.some((c) => c.type === 'add')).toBe(true));
    const sent = core.commands.filter((c) => c.type === 'set-nickname' || c.type === 'add');
    expect(sent.map((c) => c.type)).toEqual(['set-nickname', 'add']);
    expect(sent[0]).toEqual({ type: 'set-nickname', nickname: 'Meg' });
    r.unmount();
  });
});

describe('HelpOverlay', () => {
  it('lists every key binding of the keymap, page by page', async () => {
    const { r } = await setup();
    await press(r, '?');
    await frameWhere(r, (f) => expect(f).toContain('Keys'));
    const seen = new Set<string>();
    for (let page = 0; page < 10; page++) {
      for (const line of (r.lastFrame() ?? '').split('\n'))
        seen.add(line.replace(/[│|]/g, '').trim());
      await press(r, KEY.pageDown);
    }
    const text = [...seen].join('\n');
    for (const binding of KEYMAP) expect(text).toContain(binding.description);
    await press(r, KEY.esc);
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    r.unmount();
  });
});
