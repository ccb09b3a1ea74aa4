// End to end: hostile peers over loopback TCP → the real Messenger → the real Ink UI. Terminal
// escapes in a request message and chat text never reach a rendered frame raw; the
// visible text does arrive (the check is not passing because nothing was shown).
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/tui/components/App.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { KEY, frameWhere, press, settle } from '../tui/support/ui.js';
import { LoopbackSotto, RawPeer } from './loopback-support.js';

const OSC8 = '\x1b]8;;http://evil\x07click\x1b]8;;\x07';
const OSC52 = '\x1b]52;c;cm0gLXJmIH4K\x07';
const CLEAR = '\x1b[2J';
const TITLE = '\x1b]0;pwned\x07';
const RLO = '\u202Egnp.exe';
const ATTACK = `${OSC8}${OSC52}${CLEAR}${TITLE}${RLO}`;

function assertClean(frame: string): void {
  for (const raw of ['\x1b]', '\x1b[2J', '\u202E', '\x07', '\u009b', '\u009d']) {
    expect(frame.includes(raw), JSON.stringify(raw)).toBe(false);
  }
}

describe('hostile peer strings reach the UI sanitised (real core, real sockets)', () => {
  const mallory = IdentityKey.generate(); // a contact gone rogue
  let bob: LoopbackSotto;

  beforeAll(async () => {
    bob = await LoopbackSotto.start([mallory]);
  });
  afterAll(async () => {
    await bob?.stop();
  });

  it('request message and chat text', async () => {
    const r = render(
      <App
        core={bob.messenger}
        protectedProfile={false}
        ownAddress={`ricochet:${bob.key.serviceId}`}
        published
        bell={false}
        colour={false}
        onQuit={() => undefined}
        width={100}
        height={30}
      />,
    );
    await settle();
    const serverId = bob.key.serviceId;

    // A stranger whose request message is an attack.
    const stranger = new RawPeer(IdentityKey.generate(), serverId, bob.port);
    await stranger.waitFor('authenticated');
    stranger.link.run((c) => c.sendContactRequest('visitor', `please ${ATTACK}`));
    await bob.waitFor((e) => e.type === 'request');
    await frameWhere(r, (f) => expect(f).toContain('Requests (1)'));
    await press(r, 'r');
    await frameWhere(r, (f) => expect(f).toContain('please click'));
    await press(r, KEY.esc);

    // (A hostile nickname never gets this far: the protocol answers such a request with `error`,
    // test/protocol/connection-control.test.ts; file names likewise, test/protocol/limits.test.ts.)

    // A contact whose chat text is an attack (C1 CSI and OSC too).
    const contact = new RawPeer(mallory, serverId, bob.port);
    await contact.waitFor('chat-ready');
    contact.link.run((c) => c.sendChatMessage(`hi ${ATTACK}\u009b2J\u009d52;c;AA\u009c`));
    await bob.waitFor((e) => e.type === 'message');
    await press(r, KEY.enter);
    const frame = await frameWhere(r, (f) => expect(f).toContain('hi click'));
    expect(frame).toContain('gnp.exe');

    for (const f of r.frames) assertClean(f);
    contact.link.close();
    r.unmount();
  }, 60_000);
});
