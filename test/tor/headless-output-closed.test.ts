// The real `sotto headless --json` process whose reader closes stdout mid-download (EPIPE on the
// next event): it must not crash. It saves the profile (a rename made just before is in the
// vault), deletes the partial download and its placeholder, stops its tor, and exits with the
// documented code 5 (EXIT_OUTPUT_CLOSED, docs/HEADLESS.md), one line on stderr, no stack trace.
import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { EXIT_OUTPUT_CLOSED } from '../../src/cli/main.js';
import { openVault } from '../../src/profile/vault.js';
import { HeadlessProcess, buildDist, writeTestnetDir } from './headless-process.js';
import { SottoInstance } from './messenger-support.js';
import { processesMentioning } from '../support/processes.js';

const testnet = inject('torTestnetClientTorrc');

describe('sotto headless --json: the reader closes stdout', () => {
  let dir: string;
  let peer: SottoInstance;
  let proc: HeadlessProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-epipe-'));
    await writeTestnetDir(dir, testnet);
    await buildDist();
    peer = await SottoInstance.create('epipe-peer', testnet);
    await peer.start();
  });

  afterAll(async () => {
    proc?.kill('SIGKILL');
    await peer?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('saves, removes the partial download, stops tor and exits with EXIT_OUTPUT_CLOSED', async () => {
    const profile = join(dir, 'profile');
    const p = new HeadlessProcess(['--profile', profile, '--no-passphrase', '--testnet', dir]);
    proc = p;
    await p.waitFor((e) => e.type === 'published', 120_000);
    p.send({ type: 'id' });
    const id = (await p.waitFor((e) => e.type === 'id')) as Extract<CoreEvent, { type: 'id' }>;
    const mark = p.mark;
    p.send({ type: 'add', address: peer.address, nickname: 'peer', message: '' });
    await peer.events.waitFor((e) => e.type === 'request' && e.address === id.address);
    await peer.core.dispatch({ type: 'accept', address: id.address, nickname: 'script' });
    await p.waitFor((e) => e.type === 'online' && e.address === peer.address, 120_000, mark);

    // A file far too large to finish before the pipe closes (sparse: no disk used to send it).
    const source = join(peer.dir, 'large.bin');
    await writeFile(source, '', { mode: 0o600 });
    await truncate(source, 256 * 1024 * 1024);
    await peer.core.dispatch({ type: 'send-file', address: id.address, path: source });
    const offer = (await p.waitFor((e) => e.type === 'file-offer', 60_000, mark)) as Extract<
      CoreEvent,
      { type: 'file-offer' }
    >;
    p.send({ type: 'accept-file', address: peer.address, fileId: offer.fileId });
    await p.waitFor((e) => e.type === 'file-progress' && e.direction === 'in', 120_000, mark);
    const downloads = join(profile, 'downloads');
    expect((await readdir(downloads)).some((n) => n.endsWith('.sotto-part'))).toBe(true);

    // A change in the last moment (saved after a short debounce), then the reader goes away.
    p.send({ type: 'rename', address: peer.address, nickname: 'renamed at the end' });
    await p.waitFor((e) => e.type === 'contact' && e.nickname === 'renamed at the end');
    p.child.stdout?.destroy();

    expect(await p.exited).toBe(EXIT_OUTPUT_CLOSED);
    const stderr = p.stderr.join('');
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(await readdir(downloads)).toEqual([]);
    expect(await processesMentioning(join(profile, 'tor'))).toEqual([]);
    const vault = await openVault(join(profile, 'vault.sotto'), null);
    try {
      const saved = vault.state.contacts.find((c) => `ricochet:${c.serviceId}` === peer.address);
      expect(saved?.nickname).toBe('renamed at the end');
    } finally {
      vault.close();
    }
  });
});
