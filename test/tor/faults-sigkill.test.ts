// Faults over the private Tor network: the real `sotto headless --json` process SIGKILLed in the
// middle of a file transfer, as sender and as receiver, against an in-process Sotto core. The
// survivor ends the transfer as failed, keeps no partial file, and the killed side restarts from
// an intact vault, comes back online with the same contact and can chat again.
// (W2-core's messenger-headless.test.ts covers SIGKILL with queued messages; this extends it.)
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HeadlessProcess, buildDist, writeTestnetDir } from './headless-process.js';
import { SottoInstance } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');
const BIG = 24 * 1024 * 1024; // long enough over the private network to be killed mid-way

describe('SIGKILL of a Sotto process mid-file', () => {
  let dir: string;
  let peer: SottoInstance;
  let proc: HeadlessProcess;
  let args: string[];
  let procAddress = '';

  const start = async (): Promise<HeadlessProcess> => {
    const p = new HeadlessProcess(args);
    await p.waitFor((e) => e.type === 'published', 120_000);
    return p;
  };
  const bothOnline = async (): Promise<void> => {
    await proc.waitFor((e) => e.type === 'online' && e.address === peer.address, 120_000, 0);
    await peer.events.waitFor((e) => e.type === 'online' && e.address === procAddress, 120_000);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-faults-kill-'));
    await writeTestnetDir(dir, testnet);
    args = ['--profile', join(dir, 'profile'), '--no-passphrase', '--testnet', dir];
    await buildDist();
    peer = await SottoInstance.create('kill-peer', testnet);
    const started = await Promise.all([start(), peer.start()]);
    proc = started[0];
    proc.send({ type: 'id' });
    const id = await proc.waitFor((e) => e.type === 'id', 10_000);
    procAddress = id.type === 'id' ? id.address : '';
    proc.send({ type: 'add', address: peer.address, nickname: 'peer', message: 'hi' });
    await peer.events.waitFor((e) => e.type === 'request' && e.address === procAddress);
    await peer.core.dispatch({ type: 'accept', address: procAddress, nickname: 'proc' });
    await bothOnline();
  }, 400_000);

  afterAll(async () => {
    proc?.kill('SIGKILL');
    await peer?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('the sender dies mid-file: the receiver fails the transfer and keeps nothing', async () => {
    const source = join(dir, 'big.bin');
    await writeFile(source, Buffer.alloc(BIG, 0x61), { mode: 0o600 });
    const mark = peer.events.mark;
    proc.send({ type: 'send-file', address: peer.address, path: source });
    const offer = await peer.events.waitFor((e) => e.type === 'file-offer', 120_000, mark);
    if (offer.type !== 'file-offer') throw new Error('no offer');
    await peer.core.dispatch({ type: 'accept-file', address: procAddress, fileId: offer.fileId });
    await peer.events.waitFor(
      (e) => e.type === 'file-progress' && e.transferred > 0 && e.transferred < BIG,
      120_000,
      mark,
    );
    proc.kill('SIGKILL');
    await proc.exited;
    const done = await peer.events.waitFor(
      (e) => e.type === 'file-done' && e.fileId === offer.fileId,
      120_000,
      mark,
    );
    expect(done).toMatchObject({ direction: 'in', result: 'failed' });
    expect(await readdir(join(peer.dir, 'downloads'))).toEqual([]);

    // The killed side restarts from its vault: same contact, online again, chat works.
    const peerMark = peer.events.mark;
    proc = await start();
    proc.send({ type: 'send', address: peer.address, text: 'back after SIGKILL' });
    await peer.events.waitFor(
      (e) => e.type === 'message' && e.text === 'back after SIGKILL',
      120_000,
      peerMark,
    );
  }, 400_000);

  it('the receiver dies mid-file: the sender fails it; after restart no partial file remains', async () => {
    const source = join(peer.dir, 'big-back.bin');
    await writeFile(source, Buffer.alloc(BIG, 0x62), { mode: 0o600 });
    const markPeer = peer.events.mark;
    const markProc = proc.mark;
    await peer.core.dispatch({ type: 'send-file', address: procAddress, path: source });
    const offer = await proc.waitFor((e) => e.type === 'file-offer', 120_000, markProc);
    if (offer.type !== 'file-offer') throw new Error('no offer');
    proc.send({ type: 'accept-file', address: peer.address, fileId: offer.fileId });
    await proc.waitFor(
      (e) => e.type === 'file-progress' && e.transferred > 0 && e.transferred < BIG,
      120_000,
      markProc,
    );
    proc.kill('SIGKILL');
    await proc.exited;
    const done = await peer.events.waitFor(
      (e) => e.type === 'file-done' && e.direction === 'out',
      120_000,
      markPeer,
    );
    expect(done).toMatchObject({ result: 'failed' });

    proc = await start();
    const downloads = join(dir, 'profile', 'downloads');
    // Nothing partial (no .part, no empty placeholder) survives the restart.
    expect(await readdir(downloads)).toEqual([]);
  }, 400_000);
});
