// Regression: the real Messenger emits `queued` (and `message-state`) synchronously inside
// dispatch('send'); the UI must still show exactly one line per sent message, and mark it.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CoreCommand } from '../../src/api/core-api.js';
import { App } from '../../src/tui/components/App.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { KEY, frameWhere, press, settle } from './support/ui.js';

const ME = ricochetIdFor(1);
const ALICE = ricochetIdFor(2);

/** Answers `send` like the real core: queued + sent before dispatch returns. */
class SynchronousCore extends FakeCore {
  #nextId = 1;
  override dispatch(command: CoreCommand): Promise<void> {
    const result = super.dispatch(command);
    if (command.type === 'send') {
      const id = this.#nextId++;
      this.emit(
        { type: 'queued', address: command.address, id, text: command.text },
        { type: 'message-state', address: command.address, id, state: 'sent' },
      );
    }
    return result;
  }
}

describe('App over a core that answers send synchronously', () => {
  it('shows one line per message and its delivered mark', async () => {
    const core = new SynchronousCore();
    const r = render(
      <App
        core={core}
        protectedProfile={false}
        ownAddress={ME}
        bell={false}
        colour={false}
        onQuit={() => undefined}
        ringBell={() => undefined}
        now={() => 1_800_000_000_000}
        width={80}
        height={24}
      />,
    );
    await settle();
    core.emit(
      { type: 'published', address: ME },
      {
        type: 'contacts',
        contacts: [
          { address: ALICE, nickname: 'alice', status: 'online', historyEnabled: false, unread: 0 },
        ],
      },
    );
    await frameWhere(r, (f) => expect(f).toContain('alice'));
    await press(r, KEY.enter, 'first', KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('me: first [sent]'));
    await press(r, 'second', KEY.enter);
    await frameWhere(r, (f) => expect(f).toContain('me: second [sent]'));
    core.emit(
      { type: 'delivered', address: ALICE, id: 1 },
      { type: 'delivered', address: ALICE, id: 2 },
    );
    const frame = await frameWhere(r, (f) => expect(f).toContain('me: second [delivered]'));
    expect(frame.match(/me: first/g)).toHaveLength(1);
    expect(frame.match(/me: second/g)).toHaveLength(1);
    expect(frame).toContain('me: first [delivered]');
    expect(frame).not.toContain('[queued]');
    r.unmount();
  });
});
