// Sanitisation at the rendering boundary: hostile peer strings (OSC 8 links, OSC 52 clipboard
// writes, screen clears, bidi overrides) never reach the terminal raw, wherever they are shown.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { KEY, frameWhere, press, settle } from './support/ui.js';

const ME = ricochetIdFor(1);
const EVIL = ricochetIdFor(66);
const EVIL2 = ricochetIdFor(67);
const OSC8 = '\x1b]8;;http://evil\x07click\x1b]8;;\x07';
const OSC52 = '\x1b]52;c;cm0gLXJmIH4K\x07';
const CLEAR = '\x1b[2J';
const RLO = '\u202Egnp.exe';
const ATTACK = `${OSC8}${OSC52}${CLEAR}${RLO}`;

function assertClean(frame: string): void {
  expect(frame).not.toContain('\x1b]');
  expect(frame).not.toContain('\x1b[2J');
  expect(frame).not.toContain('\u202E');
  expect(frame).not.toContain('\x07');
  expect(frame).not.toContain('\u009b');
  expect(frame).not.toContain('\u009d');
}

async function setup() {
  const core = new FakeCore();
  const r = render(
    <App
      core={core}
      protectedProfile={false}
      ownAddress={ME}
      bell={false}
      colour={false}
      onQuit={() => undefined}
      width={80}
      height={24}
    />,
  );
  await settle();
  core.emit({ type: 'published', address: ME });
  return { core, r };
}

describe('sanitisation at the rendering boundary', () => {
  it('neutralises a hostile nickname and message in the list and the conversation', async () => {
    const { core, r } = await setup();
    core.emit({
      type: 'contacts',
      contacts: [
        {
          address: EVIL,
          nickname: `x${ATTACK}`,
          status: 'online',
          historyEnabled: true,
          unread: 0,
        },
      ],
    });
    core.emit({
      type: 'message',
      address: EVIL,
      id: 1,
      text: `hi ${ATTACK}\u009b2J\u009d52;c;AA\u009c`,
      timeDelta: 0,
    });
    await frameWhere(r, (f) => expect(f).toContain('xclick'));
    assertClean(r.lastFrame() ?? '');
    await press(r, KEY.enter);
    const frame = await frameWhere(r, (f) => expect(f).toContain('hi click'));
    expect(frame).toContain('⟨U+202E⟩gnp.exe');
    assertClean(frame);
    r.unmount();
  });

  it('neutralises a hostile contact request (nickname and message)', async () => {
    const { core, r } = await setup();
    core.emit({ type: 'request', address: EVIL2, nickname: ATTACK, message: `please ${ATTACK}` });
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    assertClean(r.lastFrame() ?? '');
    await press(r, 'r');
    const frame = await frameWhere(r, (f) => expect(f).toContain('please click'));
    assertClean(frame);
    r.unmount();
  });

  it('neutralises a hostile file name in the transfers list and the offer dialog', async () => {
    const { core, r } = await setup();
    core.emit({ type: 'file-offer', address: EVIL, fileId: 9, name: `${ATTACK}.pdf`, size: 2048 });
    await frameWhere(r, (f) => expect(f).toContain('1 file offer(s)'));
    await press(r, 't');
    let frame = await frameWhere(r, (f) => expect(f).toContain('gnp.exe.pdf'));
    assertClean(frame);
    await press(r, KEY.enter);
    frame = await frameWhere(r, (f) => expect(f).toContain('File offer'));
    expect(frame).toContain('2.0 KiB');
    assertClean(frame);
    r.unmount();
  });

  it('neutralises hostile tor and error text', async () => {
    const core = new FakeCore();
    const r = render(
      <App
        core={core}
        protectedProfile
        ownAddress={null}
        bell={false}
        colour={false}
        onQuit={() => undefined}
      />,
    );
    await settle();
    core.emit({ type: 'tor-problem', summary: `stuck ${ATTACK}`, recommendation: ATTACK });
    const frame = await frameWhere(r, (f) => expect(f).toContain('Problem'));
    assertClean(frame);
    core.emit({ type: 'error', code: ATTACK, message: ATTACK });
    await settle();
    assertClean(r.lastFrame() ?? '');
    r.unmount();
  });
});
