// Sending a path that is not a regular file (src/core/file-source.ts): a FIFO made with the real
// mkfifo must be refused at once with FileTransferError, never block in open() (which stalled the
// headless command queue until someone wrote to the pipe).
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTransferError, FileTransfers } from '../../src/core/file-transfers.js';
import { PeerLink } from '../../src/core/peer-link.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { formatRicochetId } from '../../src/identity/service-id.js';
import { ALICE, BOB, seededRandom } from '../protocol/connection-harness.js';

let dir = '';
let fifo = '';
let link: PeerLink | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-fifo-'));
  fifo = join(dir, 'pipe');
  execFileSync('mkfifo', ['-m', '600', fifo]);
});

afterEach(async () => {
  link?.destroy();
  // Releases an open() that blocks on the FIFO (the bug), so no thread stays stuck.
  const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
  await writer?.close();
  await rm(dir, { recursive: true, force: true });
});

function liveLink(): PeerLink {
  return new PeerLink({
    socket: new Duplex({ read: () => undefined, write: (_chunk, _encoding, done) => done() }),
    connection: new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: Date.now,
      random: seededRandom('fifo'),
    }),
    onEvent: () => undefined,
  });
}

describe('FileTransfers.send on a non-regular file', () => {
  it('refuses a FIFO without opening it (nothing writes to it)', async () => {
    const transfers = new FileTransfers(() => undefined, join(dir, 'downloads'), Date.now);
    link = liveLink();
    const address = formatRicochetId(BOB.serviceId);
    const error: unknown = await transfers.send(address, link, fifo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTransferError);
    expect((error as Error).message).toBe('only regular files can be sent');
  });

  it('refuses a character device and a directory', async () => {
    const transfers = new FileTransfers(() => undefined, join(dir, 'downloads'), Date.now);
    link = liveLink();
    const address = formatRicochetId(BOB.serviceId);
    for (const path of ['/dev/zero', dir]) {
      await expect(transfers.send(address, link, path)).rejects.toBeInstanceOf(FileTransferError);
    }
  });
});
