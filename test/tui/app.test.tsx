// Drives the whole App with keystrokes over an in-memory MessengerCore: tor start-up, contact
// list, conversation, composer limits, bell, quitting.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { App } from '../../src/tui/components/App.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { KEY, frameWhere, press, settle, until } from './support/ui.js';

const ME = ricochetIdFor(1);
const ALICE = ricochetIdFor(2);
const BOB = ricochetIdFor(3);
const NOW = 1_800_000_000_000;

interface Setup {
  readonly core: FakeCore;
  readonly r: ReturnType<typeof render>;
  readonly bells: { count: number };
  readonly quits: { count: number };
}

async function setup(options: { bell?: boolean; published?: boolean } = {}): Promise<Setup> {
  const core = new FakeCore();
  const bells = { count: 0 };
  const quits = { count: 0 };
  const r = render(
    <App
      core={core}
      protectedProfile={true}
      ownAddress={ME}
      bell={options.bell ?? true}
      colour={false}
      onQuit={() => quits.count++}
      ringBell={() => bells.count++}
      now={() => NOW}
      width={80}
      height={24}
    />,
  );
  await settle();
  if (options.published ?? true) {
    core.emit(
      { type: 'published', address: ME },
      {
        type: 'contacts',
        contacts: [
          { address: ALICE, nickname: 'alice', status: 'online', historyEnabled: true, unread: 0 },
          { address: BOB, nickname: 'bob', status: 'offline', historyEnabled: true, unread: 0 },
        ],
      },
    );
    await frameWhere(r, (f) => expect(f).toContain('alice'));
  }
  return { core, r, bells, quits };
}

describe('App', () => {
  it('shows tor bootstrap progress, then the main screen once published', async () => {
    const { core, r } = await setup({ published: false });
    core.emit({ type: 'tor', progress: 45, summary: 'Loading relay descriptors' });
    const frame = await frameWhere(r, (f) => expect(f).toContain('45%'));
    expect(frame).toContain('Loading relay descriptors');
    expect(frame).toContain('Connecting to Tor');
    core.emit({ type: 'published', address: ME });
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    r.unmount();
  });

  it('fits 80×24: every line at most 80 columns, at most 24 lines', async () => {
    const { r } = await setup();
    const frame = r.lastFrame() ?? '';
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    r.unmount();
  });

  it('shows the status bar: short own ID, contacts online, protection, tor state', async () => {
    const { r } = await setup();
    const frame = r.lastFrame() ?? '';
    expect(frame).toContain(`ID ${ME.slice(9, 17)}…`);
    expect(frame).toContain('1 online');
    expect(frame).toContain('| protected |');
    expect(frame).toContain('tor ready');
    r.unmount();
  });

  it('opens a conversation, sends on Enter and shows the delivery state', async () => {
    const { core, r } = await setup();
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('alice — online'));
    await press(r, 'hello');
    await press(r, KEY.ctrlJ, 'second line', KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('[queued]'));
    expect(core.commands).toContainEqual({
      type: 'send',
      address: ALICE,
      text: 'hello\nsecond line',
    });
    core.emit({ type: 'message-state', address: ALICE, id: 1, state: 'sent' });
    await frameWhere(r, (f) => expect(f).toContain('[sent]'));
    core.emit({ type: 'delivered', address: ALICE, id: 1 });
    const frame = await frameWhere(r, (f) => expect(f).toContain('[delivered]'));
    expect(frame).toContain('me: hello');
    expect(frame).toContain('second line');
    r.unmount();
  });

  it('treats Alt+Enter as a newline, not send', async () => {
    const { core, r } = await setup();
    await press(r, KEY.enter, 'a', KEY.altEnter, 'b');
    await frameWhere(r, (f) => expect(f).toContain('3/2000'));
    expect(core.commands.filter((c) => c.type === 'send')).toHaveLength(0);
    r.unmount();
  });

  it('counts UTF-16 units live and refuses to send over 2000', async () => {
    const { core, r } = await setup();
    await press(r, KEY.enter, 'x'.repeat(1999), '😀');
    await frameWhere(r, (f) => expect(f).toContain('TOO LONG: 2001/2000'));
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('NOT SENT'));
    expect(core.commands.filter((c) => c.type === 'send')).toHaveLength(0);
    await press(r, KEY.backspace);
    await frameWhere(r, (f) => expect(f).toContain('1999/2000'));
    await press(r, KEY.enter);
    await until(() => expect(core.commands.filter((c) => c.type === 'send')).toHaveLength(1));
    r.unmount();
  });

  it('shows incoming messages with "written N minutes ago", counts unread and rings the bell', async () => {
    const { core, r, bells } = await setup();
    const message: CoreEvent = {
      type: 'message',
      address: BOB,
      id: 4,
      text: 'late news',
      timeDelta: -600,
    };
    core.emit(message);
    await frameWhere(r, (f) => expect(f).toContain('bob (1)'));
    await until(() => expect(bells.count).toBe(1));
    await press(r, 'j', KEY.enter);
    const frame = await frameWhere(r, (f) => expect(f).toContain('late news'));
    expect(frame).toContain('(written 10 minutes ago)');
    expect(frame).not.toContain('bob (1)');
    r.unmount();
  });

  it('asks the core for id, contacts and requests at start, and marks messages read while reading', async () => {
    const { core, r } = await setup();
    expect(core.commands.slice(0, 3)).toEqual([
      { type: 'id' },
      { type: 'contacts' },
      { type: 'requests' },
    ]);
    await press(r, KEY.enter);
    await until(() => expect(core.commands).toContainEqual({ type: 'messages', address: ALICE }));
    core.emit({ type: 'message', address: ALICE, id: 1, text: 'while you read', timeDelta: 0 });
    await frameWhere(r, (f) => expect(f).toContain('while you read'));
    await until(() => expect(core.commands).toContainEqual({ type: 'mark-read', address: ALICE }));
    r.unmount();
  });

  it('starts on the main screen when told Tor is already published', async () => {
    const core = new FakeCore();
    const r = render(
      <App
        core={core}
        protectedProfile
        ownAddress={ME}
        bell={false}
        colour={false}
        published
        onQuit={() => undefined}
      />,
    );
    await frameWhere(r, (f) => expect(f).toContain('[Contacts]'));
    r.unmount();
  });

  it('n turns the bell off; then new messages do not ring', async () => {
    const { core, r, bells } = await setup();
    await press(r, 'n');
    await frameWhere(r, (f) => expect(f).toContain('bell off'));
    core.emit({ type: 'message', address: BOB, id: 1, text: 'hi', timeDelta: 0 });
    await frameWhere(r, (f) => expect(f).toContain('bob (1)'));
    expect(bells.count).toBe(0);
    r.unmount();
  });

  it('lists incoming requests first and answers them from the request dialog', async () => {
    const { core, r, bells } = await setup();
    const CAROL = ricochetIdFor(4);
    core.emit({ type: 'request', address: CAROL, nickname: 'carol', message: 'it is me' });
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await until(() => expect(bells.count).toBe(1));
    await press(r, 'r');
    await frameWhere(r, (f) => expect(f).toContain('it is me'));
    await press(r, 'y');
    await frameWhere(r, (f) => expect(f).not.toContain('Requests (1)'));
    expect(core.commands).toContainEqual({ type: 'accept', address: CAROL, nickname: 'carol' });
    r.unmount();
  });

  it('shows a rejected command as an error line', async () => {
    const { core, r } = await setup();
    core.failWith = new Error('contact is offline');
    await press(r, KEY.enter, 'x', KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('Error (Error): contact is offline'));
    await press(r, KEY.esc, KEY.esc);
    await frameWhere(r, (f) => expect(f).not.toContain('contact is offline'));
    r.unmount();
  });

  it('quits with q, with Ctrl+C, and when the core says quit', async () => {
    const a = await setup();
    await press(a.r, 'q');
    expect(a.quits.count).toBe(1);
    a.r.unmount();
    const b = await setup();
    await press(b.r, KEY.enter, KEY.ctrlC);
    await until(() => expect(b.quits.count).toBe(1));
    b.r.unmount();
    const c = await setup();
    c.core.emit({ type: 'quit' });
    await until(() => expect(c.quits.count).toBe(1));
    c.r.unmount();
  });

  it('unsubscribes from the core on unmount', async () => {
    const { core, r } = await setup();
    expect(core.listenerCount).toBe(1);
    r.unmount();
    expect(core.listenerCount).toBe(0);
  });
});
