// SECURITY.md §2 "renamed only after its SHA3-512 hash checked out": a contact over real loopback
// TCP (our RicochetConnection behind the real PeerLink) offers a file whose bytes do not match the
// SHA3-512 it announced in the FileHeader, the user accepts it, the bytes arrive. The real
// Messenger must tell the user the transfer failed and leave nothing in the downloads directory:
// no file under the offered name, no placeholder, no `.sotto-part`. A positive control sends the
// same file with the right hash, which arrives intact.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackSotto, RawPeer } from '../abuse/loopback-support.js';

const sha3 = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha3-512').update(bytes).digest());

let bob: LoopbackSotto | undefined;
let alice: RawPeer | undefined;
afterEach(async () => {
  alice?.link.destroy();
  await bob?.stop();
  bob = alice = undefined;
});

/** Alice offers `bytes` as `name` announcing `hash`; Bob accepts; returns Bob's file-done. */
async function sendFile(
  name: string,
  bytes: Uint8Array,
  hash: Uint8Array,
): Promise<{ done: CoreEvent; downloads: string }> {
  const aliceKey = IdentityKey.generate();
  bob = await LoopbackSotto.start([aliceKey]);
  const peer = new RawPeer(aliceKey, bob.key.serviceId, bob.port);
  alice = peer;
  await peer.waitFor('chat-ready');
  const fileId = peer.link.run((c) => c.offerFile({ name, size: bytes.length, hash }));
  if (fileId === undefined) throw new Error('the offer did not go out');
  const address = `ricochet:${aliceKey.serviceId}`;
  await bob.waitFor((e) => e.type === 'file-offer' && e.fileId === fileId);
  await bob.messenger.dispatch({ type: 'accept-file', address, fileId });
  // Alice serves every chunk Bob asks for, from the real bytes.
  let served = 0;
  const serve = setInterval(() => {
    for (const event of peer.events.slice(served)) {
      served++;
      if (event.type !== 'file-chunk-needed') continue;
      const data = bytes.subarray(event.offset, event.offset + event.length);
      peer.link.run((c) => c.sendFileChunk(event.fileId, event.offset, data));
    }
  }, 5);
  try {
    const done = await bob.waitFor((e) => e.type === 'file-done' && e.fileId === fileId);
    return { done, downloads: join(bob.dir, 'downloads') };
  } finally {
    clearInterval(serve);
  }
}

describe('a received file whose bytes do not match the announced SHA3-512', () => {
  const file = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);

  it('fails the transfer and leaves nothing in the downloads directory', async () => {
    const tampered = file.slice();
    tampered[123_456] = (tampered[123_456] ?? 0) ^ 1; // one bit differs from what was hashed
    const { done, downloads } = await sendFile('report.pdf', tampered, sha3(file));
    expect(done).toMatchObject({ type: 'file-done', direction: 'in', result: 'failed' });
    expect(done).not.toHaveProperty('path');
    expect(await readdir(downloads)).toEqual([]);
  });

  it('positive control: the same file with its real hash arrives intact under its name', async () => {
    const { done, downloads } = await sendFile('report.pdf', file, sha3(file));
    expect(done).toMatchObject({ type: 'file-done', direction: 'in', result: 'success' });
    expect(await readdir(downloads)).toEqual(['report.pdf']);
    expect(new Uint8Array(await readFile(join(downloads, 'report.pdf')))).toEqual(file);
  });
});
