// The ACCEPTING side over the private Tor network, with a requester whose own nickname is empty —
// what every Ricochet Refresh 3.0.41 request looks like (docs/PROTOCOL.md; recording
// session-request-accept-chat.json) and Sotto's default. (a) The real UI (built bin/sotto.js in
// tmux) answers with `y` and no typing, then the two chat both ways with the delivered mark.
// (b) `sotto headless --json` answers `{"type":"accept","address":…}` without a nickname, then chat.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { HeadlessProcess } from './headless-process.js';
import { REPO, TmuxPane, createUiProfile, privateBuild, quitUi, startUi } from './tui-support.js';

let SOTTO = join(REPO, 'bin/sotto.js'); // replaced by a private build in beforeAll
const testnet = inject('torTestnetClientTorrc');

const idOf = (e: CoreEvent): string => (e.type === 'id' ? e.address : '');
const shortName = (address: string): string => address.slice('ricochet:'.length).slice(0, 8);

describe('accepting a request that carries no nickname, over the private Tor network', () => {
  let root: string;
  let torrcFile: string;
  let requester: HeadlessProcess | undefined;
  let acceptor: HeadlessProcess | undefined;
  let requesterAddress = '';
  const pane = new TmuxPane();

  const headless = (name: string, extra: readonly string[] = []): HeadlessProcess =>
    new HeadlessProcess(
      ['--no-passphrase', '--profile', join(root, name), '--torrc-extra', torrcFile, ...extra],
      { NO_COLOR: '1' },
      SOTTO,
    );

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sotto-accept-e2e-'));
    SOTTO = await privateBuild(join(root, 'build'));
    torrcFile = join(root, 'client-torrc-extra');
    await writeFile(torrcFile, `${testnet.join('\n')}\n`, { mode: 0o600 });
    // The requester: a default Sotto profile, so its own nickname is empty (checked below).
    requester = headless('requester');
    requester.send({ type: 'id' });
    requesterAddress = idOf(await requester.waitFor((e) => e.type === 'id'));
    requester.send({ type: 'own-nickname' });
    const own = await requester.waitFor((e) => e.type === 'own-nickname');
    expect(own).toEqual({ type: 'own-nickname', nickname: '' });
  });

  afterAll(async () => {
    await pane.kill();
    await requester?.stop();
    await acceptor?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('the UI accepts with y, and the two chat both ways', async () => {
    const peer = requester as HeadlessProcess;
    const uiProfile = join(root, 'ui');
    const uiAddress = await createUiProfile(SOTTO, uiProfile);
    expect(uiAddress).toMatch(/^ricochet:[a-z2-7]{56}$/);
    const stderrFile = join(root, 'ui-stderr');
    await startUi(pane, { sotto: SOTTO, profile: uiProfile, torrcFile, stderrFile });
    await pane.waitForScreen('the main screen', (s) => s.includes('[Contacts]'));
    await peer.waitFor((e) => e.type === 'published');

    peer.send({ type: 'add', address: uiAddress, nickname: 'ui', message: 'it is me, the peer' });
    await pane.waitForScreen('the request in the list', (s) => s.includes('Requests (1)'));
    await pane.type('r');
    const name = shortName(requesterAddress);
    const dialog = await pane.waitForScreen(
      'the request dialog',
      (s) => s.includes('Contact request') && s.includes(`Name: ${name}`),
      10_000,
    );
    expect(dialog).toContain('Nickname sent: (none given)');
    expect(dialog).toContain('it is me, the peer');
    await pane.type('y');
    await pane.waitForScreen(
      'the new contact online',
      (s) => s.includes(`● ${name}`) && !s.includes('Requests ('),
    );
    await peer.waitFor((e) => e.type === 'online' && e.address === uiAddress);

    await pane.key('Enter'); // open the conversation; the composer has the focus
    await pane.waitForScreen('the composer', (s) => s.includes(`${name} — online`), 10_000);
    await pane.type('hi peer, accepted from the UI');
    await pane.waitForScreen(
      'the text',
      (s) => s.includes('hi peer, accepted from the UI'),
      10_000,
    );
    await pane.key('Enter');
    const got = await peer.waitFor((e) => e.type === 'message' && e.address === uiAddress);
    expect(got).toMatchObject({ text: 'hi peer, accepted from the UI' });
    await pane.waitForScreen('the delivered mark', (s) =>
      s.includes('me: hi peer, accepted from the UI [delivered]'),
    );

    peer.send({ type: 'send', address: uiAddress, text: 'hello UI, from the requester' });
    await pane.waitForScreen('the peer message', (s) =>
      s.includes(`${name}: hello UI, from the requester`),
    );
    await peer.waitFor((e) => e.type === 'delivered' && e.address === uiAddress);

    expect(await quitUi(pane)).toBe('0');
  });

  it('headless accept without a nickname, then chat both ways', async () => {
    const peer = requester as HeadlessProcess;
    // `--nickname` only names the acceptor's own future requests; it plays no part in accepting.
    const started = headless('acceptor', ['--nickname', 'Hana']);
    acceptor = started;
    started.send({ type: 'id' });
    const acceptorAddress = idOf(await started.waitFor((e) => e.type === 'id'));
    started.send({ type: 'own-nickname' });
    await started.waitFor((e) => e.type === 'own-nickname' && e.nickname === 'Hana');
    await started.waitFor((e) => e.type === 'published');

    const mark = peer.mark;
    peer.send({ type: 'add', address: acceptorAddress, nickname: 'acceptor', message: 'me again' });
    const request = await started.waitFor(
      (e) => e.type === 'request' && e.address === requesterAddress,
    );
    expect(request).toEqual({
      type: 'request',
      address: requesterAddress,
      nickname: '',
      message: 'me again',
    });
    started.send({ type: 'accept', address: requesterAddress });
    const contact = await started.waitFor(
      (e) => e.type === 'contact' && e.address === requesterAddress,
    );
    expect(contact).toMatchObject({ nickname: shortName(requesterAddress) });
    expect(started.events.filter((e) => e.type === 'error')).toEqual([]);
    await peer.waitFor((e) => e.type === 'online' && e.address === acceptorAddress, 120_000, mark);

    started.send({ type: 'send', address: requesterAddress, text: 'accepted by a script' });
    await peer.waitFor(
      (e) =>
        e.type === 'message' && e.address === acceptorAddress && e.text === 'accepted by a script',
      120_000,
      mark,
    );
    await started.waitFor((e) => e.type === 'delivered' && e.address === requesterAddress);
    peer.send({ type: 'send', address: acceptorAddress, text: 'thanks, script' });
    await started.waitFor((e) => e.type === 'message' && e.text === 'thanks, script');
    await peer.waitFor(
      (e) => e.type === 'delivered' && e.address === acceptorAddress,
      120_000,
      mark,
    );
  });
});
