// End to end: the real `sotto` UI (built bin/sotto.js) in a tmux pseudo-terminal against a
// `sotto headless --json` peer, both with their own tor on the private network. Add the peer in
// the add dialog, the peer accepts, one message each way, the delivered mark shows on screen.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_REQUEST_MESSAGE } from '../../src/tui/components/AddContact.js';
import { HeadlessProcess } from './headless-process.js';
import { REPO, TmuxPane, createUiProfile, privateBuild, quitUi, startUi } from './tui-support.js';

let SOTTO = join(REPO, 'bin/sotto.js'); // replaced by a private build in beforeAll
const testnet = inject('torTestnetClientTorrc');

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('sotto UI end to end over the private Tor network', () => {
  let root: string;
  let torrcFile: string;
  let peer: HeadlessProcess | undefined;
  const pane = new TmuxPane();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sotto-tui-e2e-'));
    SOTTO = await privateBuild(join(root, 'build'));
    torrcFile = join(root, 'client-torrc-extra');
    await writeFile(torrcFile, `${testnet.join('\n')}\n`, { mode: 0o600 });
  });

  afterAll(async () => {
    await pane.kill();
    await peer?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('adds a contact, chats both ways and shows the delivered mark', async () => {
    const uiProfile = join(root, 'ui');
    const peerProfile = join(root, 'peer');
    const uiAddress = await createUiProfile(SOTTO, uiProfile);
    expect(uiAddress).toMatch(/^ricochet:[a-z2-7]{56}$/);

    const started = new HeadlessProcess(
      ['--no-passphrase', '--profile', peerProfile, '--torrc-extra', torrcFile],
      { NO_COLOR: '1' },
      SOTTO,
    );
    peer = started;
    started.send({ type: 'id' });
    const own = await started.waitFor((e) => e.type === 'id');
    const peerAddress = own.type === 'id' ? own.address : '';

    const stderrFile = join(root, 'ui-stderr');
    await startUi(pane, { sotto: SOTTO, profile: uiProfile, torrcFile, stderrFile });
    await pane.waitForScreen(
      'the tor progress screen',
      (s) => s.includes('Connecting to Tor'),
      30_000,
    );
    await started.waitFor((e) => e.type === 'published');
    await pane.waitForScreen('the main screen', (s) => s.includes('[Contacts]'));

    // Each step waits for the screen: the UI applies a key against the last rendered state.
    await pane.type('a');
    await pane.waitForScreen('the add dialog', (s) => s.includes('> ID:'), 10_000);
    await pane.type(peerAddress);
    await pane.waitForScreen('a valid ID', (s) => s.includes(`✓ valid: ${peerAddress}`), 10_000);
    await pane.key('Tab');
    await pane.waitForScreen('the nickname field', (s) => s.includes('> Nickname:'), 10_000);
    await pane.type('peer');
    await pane.waitForScreen('the nickname', (s) => s.includes('> Nickname: peer'), 10_000);
    await pane.key('Tab');
    await pane.waitForScreen('the message field', (s) => s.includes('> Message:'), 10_000);
    // Erase the suggested message one key at a time, each checked on screen.
    for (let left = DEFAULT_REQUEST_MESSAGE.length - 1; left >= 0; left--) {
      await pane.key('BSpace');
      const shown = new RegExp(
        `> Message: ${escapeRegExp(DEFAULT_REQUEST_MESSAGE.slice(0, left))} *│`,
      );
      await pane.waitForScreen(`${left} characters left`, (s) => shown.test(s), 10_000);
    }
    await pane.type('hello from the UI');
    await pane.waitForScreen(
      'the message',
      (s) => s.includes('> Message: hello from the UI'),
      10_000,
    );
    await pane.key('Enter');
    await pane.waitForScreen(
      'the contact list again',
      (s) => s.includes('peer') && !s.includes('Add a contact'),
      10_000,
    );

    const request = await started.waitFor((e) => e.type === 'request' && e.address === uiAddress);
    expect(request).toMatchObject({ message: 'hello from the UI' });
    started.send({ type: 'accept', address: uiAddress, nickname: 'ui' });
    await pane.waitForScreen('the peer online', (s) => s.includes('peer — online'));

    await pane.key('Enter'); // open the conversation; the composer has the focus
    await pane.waitForScreen('the composer', (s) => s.includes('Enter send'), 10_000);
    await pane.type('hi peer, from the UI');
    await pane.waitForScreen(
      'the composed text',
      (s) => s.includes('hi peer, from the UI'),
      10_000,
    );
    await pane.key('Enter');
    const got = await started.waitFor((e) => e.type === 'message' && e.address === uiAddress);
    expect(got).toMatchObject({ text: 'hi peer, from the UI' });
    const delivered = await pane.waitForScreen('the delivered mark', (s) =>
      s.includes('me: hi peer, from the UI [delivered]'),
    );
    expect(delivered.match(/me: hi peer, from the UI/g)).toHaveLength(1);

    started.send({ type: 'send', address: uiAddress, text: 'hello UI, from headless' });
    await pane.waitForScreen('the peer message', (s) =>
      s.includes('peer: hello UI, from headless'),
    );
    await started.waitFor((e) => e.type === 'delivered' && e.address === uiAddress);

    expect(await quitUi(pane)).toBe('0');
  });
});
