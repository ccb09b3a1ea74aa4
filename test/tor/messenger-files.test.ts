// File transfer between real Sotto cores on the private network: both ways in windowed mode
// (Sotto↔Sotto), and in plain 3.0.41 mode when one side offers no features; the saved file's
// SHA3-512 equals the original's; a rejected offer and a cancelled transfer end cleanly.
import { sha3_512 } from '@noble/hashes/sha3.js';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { SottoInstance, befriend } from './messenger-support.js';

const testnet = inject('torTestnetClientTorrc');

type Offer = Extract<CoreEvent, { type: 'file-offer' }>;
type Done = Extract<CoreEvent, { type: 'file-done' }>;
type Offered = Extract<CoreEvent, { type: 'file-offered' }>;

async function transfer(
  from: SottoInstance,
  to: SottoInstance,
  size: number,
): Promise<{ sent: Buffer; received: Buffer; path: string }> {
  const sent = randomBytes(size);
  const source = join(from.dir, `outgoing-${size}.bin`);
  await writeFile(source, sent, { mode: 0o600 });
  const markTo = to.events.mark;
  const markFrom = from.events.mark;
  await from.core.dispatch({ type: 'send-file', address: to.address, path: source });
  const offer = await to.events.waitFor(
    (e): e is Offer => e.type === 'file-offer' && e.address === from.address,
    60_000,
    markTo,
  );
  expect(offer).toMatchObject({ name: `outgoing-${size}.bin`, size });
  await to.core.dispatch({ type: 'accept-file', address: from.address, fileId: offer.fileId });
  const done = await to.events.waitFor(
    (e): e is Done => e.type === 'file-done' && e.fileId === offer.fileId && e.direction === 'in',
    120_000,
    markTo,
  );
  expect(done.result).toBe('success');
  const senderDone = await from.events.waitFor(
    (e): e is Done => e.type === 'file-done' && e.direction === 'out',
    60_000,
    markFrom,
  );
  expect(senderDone.result).toBe('success');
  const path = done.path ?? '';
  return { sent, received: await readFile(path), path };
}

describe('messenger: files', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;

  beforeAll(async () => {
    alice = await SottoInstance.create('file-a', testnet);
    bob = await SottoInstance.create('file-b', testnet);
    await Promise.all([alice.start(), bob.start()]);
    await befriend(alice, bob);
  });

  afterAll(async () => {
    await alice?.remove();
    await bob?.remove();
  });

  it('sends a file both ways (windowed), hashes equal, saved 0600 without .part leftovers', async () => {
    const ab = await transfer(alice, bob, 1_000_000);
    expect(Buffer.from(sha3_512(ab.received)).equals(Buffer.from(sha3_512(ab.sent)))).toBe(true);
    const ba = await transfer(bob, alice, 300_000);
    expect(ba.received.equals(ba.sent)).toBe(true);
    const names = await readdir(join(bob.dir, 'downloads'));
    expect(names.some((n) => n.endsWith('.part'))).toBe(false);
  });

  it('a rejected offer ends as rejected on the sender', async () => {
    const source = join(alice.dir, 'unwanted.txt');
    await writeFile(source, 'no thanks', { mode: 0o600 });
    const markA = alice.events.mark;
    const markB = bob.events.mark;
    await alice.core.dispatch({ type: 'send-file', address: bob.address, path: source });
    const offer = await bob.events.waitFor(
      (e): e is Offer => e.type === 'file-offer',
      60_000,
      markB,
    );
    await bob.core.dispatch({ type: 'reject-file', address: alice.address, fileId: offer.fileId });
    const done = await alice.events.waitFor(
      (e): e is Done => e.type === 'file-done' && e.direction === 'out',
      60_000,
      markA,
    );
    expect(done.result).toBe('rejected');
  });

  it('send-file announces its fileId (file-offered), so an unanswered offer can be cancelled', async () => {
    const source = join(alice.dir, 'unanswered.txt');
    await writeFile(source, 'are you there?', { mode: 0o600 });
    const markA = alice.events.mark;
    const markB = bob.events.mark;
    await alice.core.dispatch({ type: 'send-file', address: bob.address, path: source });
    const offered = await alice.events.waitFor(
      (e): e is Offered => e.type === 'file-offered' && e.address === bob.address,
      10_000,
      markA,
    );
    expect(offered).toMatchObject({ name: 'unanswered.txt', size: 14 });
    const offer = await bob.events.waitFor(
      (e): e is Offer => e.type === 'file-offer' && e.fileId === offered.fileId,
      60_000,
      markB,
    );
    expect(offer.name).toBe('unanswered.txt');
    // Bob never answers; Alice withdraws the offer by the id she was told.
    await alice.core.dispatch({
      type: 'cancel-file',
      address: bob.address,
      fileId: offered.fileId,
    });
    const outDone = await alice.events.waitFor(
      (e): e is Done => e.type === 'file-done' && e.direction === 'out',
      60_000,
      markA,
    );
    expect(outDone).toMatchObject({ fileId: offered.fileId, result: 'cancelled' });
    const inDone = await bob.events.waitFor(
      (e): e is Done => e.type === 'file-done' && e.direction === 'in' && e.fileId === offer.fileId,
      60_000,
      markB,
    );
    expect(inDone.result).toBe('cancelled');
  });

  it('a transfer cancelled by either side ends as cancelled on both, leaving no partial file', async () => {
    for (const canceller of ['sender', 'receiver'] as const) {
      const source = join(alice.dir, `big-${canceller}.bin`);
      await writeFile(source, randomBytes(8 * 1024 * 1024), { mode: 0o600 });
      const markA = alice.events.mark;
      const markB = bob.events.mark;
      await alice.core.dispatch({ type: 'send-file', address: bob.address, path: source });
      const offer = await bob.events.waitFor(
        (e): e is Offer => e.type === 'file-offer',
        60_000,
        markB,
      );
      await bob.core.dispatch({
        type: 'accept-file',
        address: alice.address,
        fileId: offer.fileId,
      });
      await bob.events.waitFor(
        (e) => e.type === 'file-progress' && e.fileId === offer.fileId && e.transferred > 0,
        60_000,
        markB,
      );
      if (canceller === 'sender') {
        await alice.core.dispatch({
          type: 'cancel-file',
          address: bob.address,
          fileId: offer.fileId,
        });
      } else {
        await bob.core.dispatch({
          type: 'cancel-file',
          address: alice.address,
          fileId: offer.fileId,
        });
      }
      const inDone = await bob.events.waitFor(
        (e): e is Done =>
          e.type === 'file-done' && e.direction === 'in' && e.fileId === offer.fileId,
        60_000,
        markB,
      );
      const outDone = await alice.events.waitFor(
        (e): e is Done => e.type === 'file-done' && e.direction === 'out',
        60_000,
        markA,
      );
      expect([inDone.result, outDone.result]).toEqual(['cancelled', 'cancelled']);
      const names = await readdir(join(bob.dir, 'downloads'));
      expect(names.filter((n) => n.startsWith('big-'))).toEqual([]);
    }
  });

  it('plain mode (one side without the windowed feature) still transfers correctly', async () => {
    const plain = await SottoInstance.create('file-plain', testnet, { features: [] });
    try {
      await plain.start();
      await befriend(plain, alice);
      const result = await transfer(alice, plain, 400_000);
      expect(result.received.equals(result.sent)).toBe(true);
      const back = await transfer(plain, alice, 200_000);
      expect(back.received.equals(back.sent)).toBe(true);
    } finally {
      await plain.remove();
    }
  });
});
