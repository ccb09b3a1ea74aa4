// The real `sotto headless --json` process on the private network, talking to an in-process Sotto
// core: id, bad input answered with error events, request/accept/chat, and messages queued before
// the process is SIGKILLed delivered exactly once after it restarts. Ends with a clean `quit`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { openVault } from '../../src/profile/vault.js';
import { HeadlessProcess, buildDist, writeTestnetDir } from './headless-process.js';
import { SottoInstance } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');

describe('sotto headless --json (real process)', () => {
  let dir: string;
  let peer: SottoInstance;
  let proc: HeadlessProcess;
  let args: string[];
  let procAddress = '';

  /** Texts of the messages to `serviceId` in the process's saved vault (read-only open). */
  const savedQueue = async (serviceId: string): Promise<string[]> => {
    const vault = await openVault(join(dir, 'profile', 'vault.sotto'), null);
    try {
      return (vault.state.queues[serviceId] ?? []).map((m) => m.text);
    } finally {
      vault.close();
    }
  };

  const start = async (): Promise<HeadlessProcess> => {
    const p = new HeadlessProcess(args);
    await p.waitFor((e) => e.type === 'published', 120_000);
    return p;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-headless-'));
    await writeTestnetDir(dir, testnet);
    args = ['--profile', join(dir, 'profile'), '--no-passphrase', '--testnet', dir];
    await buildDist();
    peer = await SottoInstance.create('hl-peer', testnet);
    const started = await Promise.all([start(), peer.start()]);
    proc = started[0];
  });

  afterAll(async () => {
    proc?.kill('SIGKILL');
    await peer?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers id, and bad lines with error events without exiting', async () => {
    const mark = proc.mark;
    proc.send({ type: 'id' });
    const id = await proc.waitFor((e) => e.type === 'id', 10_000, mark);
    procAddress = (id as Extract<CoreEvent, { type: 'id' }>).address;
    expect(procAddress).toMatch(/^ricochet:[a-z2-7]{56}$/);
    proc.send('{not json');
    proc.send('{"type":"launch-missiles"}');
    proc.send('{"type":"send","address":"nope","text":"x"}');
    const errors = async (code: string): Promise<void> => {
      await proc.waitFor((e) => e.type === 'error' && e.code === code, 10_000, mark);
    };
    await errors('bad-json');
    await errors('unknown-command');
    await errors('invalid-address');
    proc.send({ type: 'contacts' });
    await proc.waitFor((e) => e.type === 'contacts', 10_000, mark);
  });

  it('request, accept and chat both ways with delivery', async () => {
    const mark = proc.mark;
    proc.send({ type: 'add', address: peer.address, nickname: 'peer', message: 'from a script' });
    await peer.events.waitFor((e) => e.type === 'request' && e.address === procAddress);
    await peer.core.dispatch({ type: 'accept', address: procAddress, nickname: 'script' });
    await proc.waitFor((e) => e.type === 'online' && e.address === peer.address, 120_000, mark);
    proc.send({ type: 'send', address: peer.address, text: 'hello from headless' });
    const queued = await proc.waitFor((e) => e.type === 'queued', 10_000, mark);
    await peer.events.waitFor((e) => e.type === 'message' && e.text === 'hello from headless');
    await proc.waitFor(
      (e) => e.type === 'delivered' && e.id === (queued as { id: number }).id,
      60_000,
      mark,
    );
    const peerMark = peer.events.mark;
    await peer.core.dispatch({ type: 'send', address: procAddress, text: 'hello script' });
    await proc.waitFor((e) => e.type === 'message' && e.text === 'hello script', 60_000, mark);
    await peer.events.waitFor((e) => e.type === 'delivered', 60_000, peerMark);
  });

  it('messages queued before SIGKILL are delivered exactly once after a restart', async () => {
    await peer.stop();
    const mark = proc.mark;
    await proc.waitFor((e) => e.type === 'offline' && e.address === peer.address, 120_000, 0);
    const texts = ['queued before the crash 1', 'queued before the crash 2'];
    for (const text of texts) proc.send({ type: 'send', address: peer.address, text });
    for (const text of texts) {
      await proc.waitFor((e) => e.type === 'queued' && e.text === text, 10_000, mark);
    }
    // The core saves after a short debounce. Wait until the saved queue holds both messages: a
    // newer file alone proves nothing (an earlier save still in flight can land after `send`).
    const peerServiceId = peer.address.slice('ricochet:'.length);
    await expect.poll(() => savedQueue(peerServiceId), { timeout: 10_000 }).toEqual(texts);
    proc.kill('SIGKILL');
    await proc.exited;
    proc = await start();
    const { log } = await peer.start();
    // On a timeout, say what the restarted process saw too (its side of the connection).
    const explained = <T>(wait: Promise<T>): Promise<T> =>
      wait.catch((error: unknown) => {
        const seen = proc.events.map((e) => JSON.stringify(e)).join('\n');
        throw new Error(`${String(error)}\nthe restarted headless process saw:\n${seen}`, {
          cause: error,
        });
      });
    for (const text of texts) {
      await explained(log.waitFor((e) => e.type === 'message' && e.text === text));
    }
    await explained(proc.waitFor((e) => e.type === 'delivered', 120_000, 0));
    // One more round trip, then count: each text arrived exactly once.
    proc.send({ type: 'send', address: peer.address, text: 'after the restart' });
    await log.waitFor((e) => e.type === 'message' && e.text === 'after the restart');
    for (const text of texts) {
      expect(log.events.filter((e) => e.type === 'message' && e.text === text)).toHaveLength(1);
    }
  });

  it('quit closes the process cleanly with exit code 0', async () => {
    const mark = proc.mark;
    proc.send({ type: 'quit' });
    await proc.waitFor((e) => e.type === 'quit', 30_000, mark);
    expect(await proc.exited).toBe(0);
  });
});
