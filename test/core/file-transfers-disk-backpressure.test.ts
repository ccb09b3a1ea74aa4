// Received file data waiting for the disk is bounded (src/core/file-transfers.ts
// MAX_UNWRITTEN_FILE_BYTES): past the bound the peer is no longer read (PeerLink.holdInput, real
// socket pause) until the real writes caught up; every byte still lands in the file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { FileTransfers, MAX_UNWRITTEN_FILE_BYTES } from '../../src/core/file-transfers.js';
import { PeerLink } from '../../src/core/peer-link.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { MAX_FILE_CHUNK } from '../../src/protocol/limits.js';
import { formatRicochetId } from '../../src/identity/service-id.js';
import { ALICE, BOB, seededRandom } from '../protocol/connection-harness.js';
import { until as waitUntil } from '../support/wait.js';

let dir = '';
let link: PeerLink | undefined;
afterEach(async () => {
  link?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A transport whose peer says nothing and takes whatever we write. */
function quietSocket(): Duplex {
  return new Duplex({ read: () => undefined, write: (_chunk, _encoding, callback) => callback() });
}

function liveLink(socket: Duplex): PeerLink {
  return new PeerLink({
    socket,
    connection: new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: Date.now,
      random: seededRandom('disk'),
    }),
    onEvent: () => undefined,
  });
}

const until = (condition: () => boolean): Promise<void> =>
  waitUntil(condition, undefined, { intervalMs: 0 });

describe('incoming file data waiting for the disk', () => {
  it('stops reading the peer past the bound, reads on once written, loses nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-disk-'));
    const events: CoreEvent[] = [];
    const transfers = new FileTransfers((e) => events.push(e), join(dir, 'downloads'), Date.now);
    const socket = quietSocket();
    link = liveLink(socket);
    const address = formatRicochetId(BOB.serviceId);
    const chunks = Math.ceil((MAX_UNWRITTEN_FILE_BYTES * 1.5) / MAX_FILE_CHUNK);
    const data = seededRandom('file')(chunks * MAX_FILE_CHUNK);
    transfers.handle(address, link, {
      type: 'file-offer',
      fileId: 7,
      name: 'big.bin',
      size: data.length,
      hash: new Uint8Array(64),
    });
    await transfers.accept(address, 7);
    expect(link.readPaused).toBe(false);

    // A fast sender: every chunk arrives before the disk wrote any of them.
    for (let offset = 0; offset < data.length; offset += MAX_FILE_CHUNK) {
      const chunk = data.slice(offset, offset + MAX_FILE_CHUNK);
      transfers.handle(address, link, { type: 'file-chunk', fileId: 7, offset, data: chunk });
    }
    expect(link.readPaused).toBe(true);
    expect(socket.isPaused()).toBe(true);

    await until(() => !link!.readPaused);
    expect(link.readPaused).toBe(false);
    expect(socket.isPaused()).toBe(false);

    transfers.handle(address, link, {
      type: 'file-complete',
      fileId: 7,
      direction: 'in',
      result: 'success',
    });
    await until(() => events.some((e) => e.type === 'file-done'));
    const done = events.find((e) => e.type === 'file-done');
    expect(done).toMatchObject({ result: 'success', path: join(dir, 'downloads', 'big.bin') });
    expect(Buffer.compare(await readFile(join(dir, 'downloads', 'big.bin')), data)).toBe(0);
  });

  it('a hold is per reason: reading resumes only when every hold is released', () => {
    const socket = quietSocket();
    link = liveLink(socket);
    link.holdInput('a');
    link.holdInput('b');
    expect(socket.isPaused()).toBe(true);
    link.releaseInput('a');
    expect(link.readPaused).toBe(true);
    link.releaseInput('b');
    expect(link.readPaused).toBe(false);
    expect(socket.isPaused()).toBe(false);
  });
});
