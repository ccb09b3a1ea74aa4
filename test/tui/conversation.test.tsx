// The conversation view draws only the window of messages that fits, scrolls with PgUp/PgDn,
// and shows delivery states and lateness in words.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { Conversation, visibleWindow } from '../../src/tui/components/Conversation.js';
import type { ContactEntry, UiMessage } from '../../src/tui/state/types.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { KEY, frameWhere, press, settle } from './support/ui.js';

const ALICE = ricochetIdFor(2);
const NOW = 1_800_000_000_000;
const contact: ContactEntry = {
  address: ALICE,
  nickname: 'alice',
  status: 'offline',
  historyEnabled: false,
  unread: 0,
};

function messages(count: number): UiMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    key: String(i),
    id: i,
    direction: i % 3 === 0 ? ('out' as const) : ('in' as const),
    text: `msg-${i}`,
    at: NOW - (count - i) * 1000,
    timeDelta: 0,
    state: i % 3 === 0 ? ('failed' as const) : ('delivered' as const),
  }));
}

describe('Conversation', () => {
  it('windows 1,000 messages to what fits and says how many are above', () => {
    const all = messages(1000);
    const shown = visibleWindow(all, 'alice', 0, 55, 17);
    expect(shown.length).toBeLessThanOrEqual(17);
    expect(shown[shown.length - 1]?.text).toBe('msg-999');
    const r = render(
      <Conversation
        contact={contact}
        messages={all}
        scrollBack={0}
        width={55}
        height={17}
        now={NOW}
      />,
    );
    const frame = r.lastFrame() ?? '';
    expect(frame).toContain('msg-999');
    expect(frame).not.toContain('msg-900');
    expect(frame).toContain(`[${1000 - shown.length} earlier] alice`);
    expect(frame).toContain('alice — offline — history off');
    expect(frame).toContain('[FAILED]');
    r.unmount();
  });

  it('always shows at least the newest message, even when it is taller than the window', () => {
    const tall: UiMessage[] = [{ ...messages(1)[0]!, text: 'x'.repeat(5000) }];
    expect(visibleWindow(tall, 'alice', 0, 40, 3)).toHaveLength(1);
  });

  it('PgUp/PgDn scroll a long conversation in the App', async () => {
    const core = new FakeCore();
    const ME = ricochetIdFor(1);
    const r = render(
      <App
        core={core}
        protectedProfile
        ownAddress={ME}
        bell={false}
        colour={false}
        onQuit={() => undefined}
        width={80}
        height={24}
        now={() => NOW}
      />,
    );
    await settle();
    core.emit(
      { type: 'published', address: ME },
      { type: 'contacts', contacts: [{ ...contact, status: 'online' }] },
    );
    for (let i = 0; i < 1000; i++)
      core.emit({ type: 'message', address: ALICE, id: i, text: `line-${i}`, timeDelta: 0 });
    await press(r, KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('line-999'));
    await press(r, KEY.pageUp);
    let frame = await frameWhere(r, (f) => expect(f).not.toContain('line-999'));
    expect(frame).toMatch(/\[\d+ earlier · \d+ newer\] alice/);
    await press(r, KEY.pageDown);
    frame = await frameWhere(r, (f) => expect(f).toContain('line-999'));
    expect(frame).not.toContain('newer]');
    r.unmount();
  });
});
