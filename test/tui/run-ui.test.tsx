// runUi renders the App with Ink's real renderer and resolves when the user quits; it rings
// only the bell (BEL) and never sets the window title.
import { describe, expect, it } from 'vitest';
import { runUi } from '../../src/tui/run-ui.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { FakeStdin, FakeStdout } from './support/streams.js';
import { settle, until } from './support/ui.js';

const ME = ricochetIdFor(1);
const ALICE = ricochetIdFor(2);

function start(bell: boolean) {
  const core = new FakeCore();
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const done = runUi(core, {
    protectedProfile: true,
    ownAddress: ME,
    bell,
    colour: false,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
  });
  return { core, stdin, stdout, done };
}

describe('runUi', () => {
  it('renders, rings the bell on a new message, and resolves on q', async () => {
    const { core, stdin, stdout, done } = start(true);
    await until(() => expect(core.listenerCount).toBe(1));
    core.emit(
      { type: 'published', address: ME },
      {
        type: 'contacts',
        contacts: [
          { address: ALICE, nickname: 'alice', status: 'online', historyEnabled: true, unread: 0 },
        ],
      },
    );
    await until(() => expect(stdout.all).toContain('alice'));
    core.emit({ type: 'message', address: ALICE, id: 1, text: 'ping', timeDelta: 0 });
    await until(() => expect(stdout.writes).toContain('\x07'));
    stdout.columns = 60;
    const before = stdout.writes.length;
    stdout.emit('resize');
    await until(() => {
      const latest =
        stdout.writes
          .slice(before)
          .filter((w) => w.includes('alice'))
          .at(-1) ?? '';
      expect(latest).toContain('─'.repeat(35));
      expect(latest).not.toContain('─'.repeat(36));
    });
    await settle();
    stdin.write('q');
    await done;
    expect(core.listenerCount).toBe(0);
    for (const osc of ['\x1b]0;', '\x1b]1;', '\x1b]2;']) expect(stdout.all).not.toContain(osc);
  });

  it('does not ring when the bell is off, and resolves when the core says quit', async () => {
    const { core, stdout, done } = start(false);
    await until(() => expect(core.listenerCount).toBe(1));
    core.emit({ type: 'published', address: ME });
    core.emit({ type: 'request', address: ALICE, nickname: 'alice', message: 'hi' });
    await until(() => expect(stdout.all).toContain('Requests (1)'));
    core.emit({ type: 'quit' });
    await done;
    expect(stdout.writes).not.toContain('\x07');
  });
});
