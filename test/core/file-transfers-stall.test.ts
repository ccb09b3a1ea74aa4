// A transfer the protocol ends as stalled (FILE_TRANSFER_IDLE_TIMEOUT_MS, FileTransferStalledError)
// ends in the core as failed: the download file is closed and nothing partial stays on disk.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { FileTransfers } from '../../src/core/file-transfers.js';
import { PeerLink } from '../../src/core/peer-link.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { FileTransferStalledError } from '../../src/protocol/errors.js';
import { formatRicochetId } from '../../src/identity/service-id.js';
import { ALICE, BOB, seededRandom } from '../protocol/connection-harness.js';
import { until as waitUntil } from '../support/wait.js';

let dir = '';
let link: PeerLink | undefined;
afterEach(async () => {
  link?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const until = (condition: () => boolean): Promise<void> =>
  waitUntil(condition, undefined, { intervalMs: 0 });

describe('a stalled incoming transfer in the core', () => {
  it('ends as failed and deletes the partial download and its placeholder', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-stall-'));
    const downloads = join(dir, 'downloads');
    const events: CoreEvent[] = [];
    const transfers = new FileTransfers((e) => events.push(e), downloads, Date.now);
    link = new PeerLink({
      socket: new Duplex({ read: () => undefined, write: (_c, _e, done) => done() }),
      connection: new RicochetConnection({
        role: 'client',
        identity: ALICE,
        peerServiceId: BOB.serviceId,
        now: Date.now,
        random: seededRandom('stall'),
      }),
      onEvent: () => undefined,
    });
    const address = formatRicochetId(BOB.serviceId);
    transfers.handle(address, link, {
      type: 'file-offer',
      fileId: 9,
      name: 'half.bin',
      size: 1000,
      hash: new Uint8Array(64),
    });
    await transfers.accept(address, 9);
    transfers.handle(address, link, {
      type: 'file-chunk',
      fileId: 9,
      offset: 0,
      data: new Uint8Array(400).fill(7),
    });
    expect((await readdir(downloads)).sort()).toEqual(['half.bin', 'half.bin.sotto-part']);

    transfers.handle(address, link, {
      type: 'file-complete',
      fileId: 9,
      direction: 'in',
      result: 'failed',
      error: new FileTransferStalledError('file 9: no data for 120 s'),
    });
    await until(() => events.some((e) => e.type === 'file-done'));
    expect(events.find((e) => e.type === 'file-done')).toEqual({
      type: 'file-done',
      address,
      fileId: 9,
      direction: 'in',
      result: 'failed',
    });
    expect(await readdir(downloads)).toEqual([]);
  });
});
