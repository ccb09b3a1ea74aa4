// Accepting an incoming file while the transfer ends (src/core/file-transfers.ts): the peer
// cancels, the link drops, the user cancels or Sotto shuts down right after each file-system step
// of the download's setup (stale cleanup, directory check, placeholder, `.sotto-part`), and the
// user accepts twice. Real files; node:fs/promises is only wrapped to tell the test when each step
// completed, so every interleaving is driven deterministically. Whatever the interleaving, nothing
// is left in the downloads directory and no file descriptor into it stays open.
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { FileTransfers } from '../../src/core/file-transfers.js';
import { PeerLink } from '../../src/core/peer-link.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { formatRicochetId } from '../../src/identity/service-id.js';
import { ALICE, BOB, seededRandom } from '../protocol/connection-harness.js';
import { until as waitUntil } from '../support/wait.js';

/** Called after each wrapped file-system call completed (resolved or rejected), by name. */
const fsSteps = vi.hoisted(() => ({ after: undefined as ((name: string) => void) | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<Record<string, unknown>>();
  const wrapped: Record<string, unknown> = { ...real };
  for (const name of ['open', 'mkdir', 'lstat', 'stat', 'readdir', 'chmod', 'unlink', 'rename']) {
    const fn = real[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await fn(...args);
      } finally {
        fsSteps.after?.(name);
      }
    };
  }
  return { ...wrapped, default: wrapped };
});

const ADDRESS = formatRicochetId(BOB.serviceId);
const FILE_ID = 7;

let dir = '';
const links: PeerLink[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) link.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function newLink(): PeerLink {
  const link = new PeerLink({
    socket: new Duplex({ read: () => undefined, write: (_c, _e, done) => done() }),
    connection: new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: Date.now,
      random: seededRandom('accept-races'),
    }),
    onEvent: () => undefined,
  });
  links.push(link);
  return link;
}

/** The peer offers `report.pdf` as FILE_ID. */
function offerReport(transfers: FileTransfers, link: PeerLink): void {
  transfers.handle(ADDRESS, link, {
    type: 'file-offer',
    fileId: FILE_ID,
    name: 'report.pdf',
    size: 1000,
    hash: new Uint8Array(64),
  });
}

/** Names in the downloads directory (none if it was never created). */
function listing(downloads: string): string[] {
  return existsSync(downloads) ? readdirSync(downloads).sort() : [];
}

/** Open descriptors of this process that point into `downloads` (Linux procfs). */
function openFdsInto(downloads: string): string[] {
  const fds: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(downloads)) fds.push(target);
    } catch {
      // closed meanwhile (the descriptor readdir itself used)
    }
  }
  return fds;
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

const until = (condition: () => boolean): Promise<void> =>
  waitUntil(condition, undefined, { intervalMs: 0 });

type Interruption = 'peer-cancels' | 'link-drops' | 'user-cancels' | 'shutdown';

interface Round {
  /** The setup finished before its `step`-th file-system step: the sweep is complete. */
  readonly setupDoneFirst: boolean;
  /** What the downloads directory held when the interruption came. */
  readonly seen: string;
}

/** Offer, accept, and right after the `step`-th file-system step end the transfer as `how`. */
async function round(how: Interruption, step: number): Promise<Round> {
  dir = await mkdtemp(join(tmpdir(), 'sotto-accept-race-'));
  const downloads = join(dir, 'downloads');
  const events: CoreEvent[] = [];
  const link = newLink();
  let closed: Promise<void> | undefined;
  let seen = '';
  let interrupted = false;
  const interrupt = (): void => {
    if (interrupted) return;
    interrupted = true;
    seen = listing(downloads).join(',');
    switch (how) {
      case 'peer-cancels':
        transfers.handle(ADDRESS, link, {
          type: 'file-complete',
          fileId: FILE_ID,
          direction: 'in',
          result: 'cancelled',
        });
        break;
      case 'link-drops':
        link.destroy();
        transfers.linkGone(link);
        break;
      case 'user-cancels':
        transfers.cancel(ADDRESS, FILE_ID);
        break;
      case 'shutdown':
        closed = transfers.closeAll();
        break;
    }
  };
  let steps = 0;
  fsSteps.after = () => {
    steps++;
    if (steps === step) interrupt();
  };
  // Constructed after the hook is set: its stale-partials scan is the first step.
  const transfers = new FileTransfers((e) => events.push(e), downloads, Date.now);
  offerReport(transfers, link);
  const accepted = transfers.accept(ADDRESS, FILE_ID).catch(() => undefined);
  if (step === 0) interrupt();
  await accepted;
  const setupDoneFirst = !interrupted;
  fsSteps.after = undefined;
  interrupt();
  if (closed !== undefined) await closed;
  else await until(() => events.some((e) => e.type === 'file-done'));
  // What the end reported is final: check right away, then once more after everything settled.
  expect(listing(downloads)).toEqual([]);
  expect(openFdsInto(downloads)).toEqual([]);
  await turns(20);
  expect(listing(downloads)).toEqual([]);
  expect(openFdsInto(downloads)).toEqual([]);
  expect(events.filter((e) => e.type === 'file-done')).toHaveLength(closed ? 0 : 1);
  await rm(dir, { recursive: true, force: true });
  return { setupDoneFirst, seen };
}

describe('accepting a file while the transfer ends leaves nothing behind', () => {
  for (const how of ['peer-cancels', 'link-drops', 'user-cancels', 'shutdown'] as const) {
    it(`${how}: after every file-system step of the download's setup`, async () => {
      const seen: string[] = [];
      for (let step = 0; step < 100; step++) {
        const r = await round(how, step);
        if (r.setupDoneFirst) break;
        seen.push(r.seen);
      }
      // The sweep met the setup before anything existed, with the placeholder alone, and with
      // both files reserved (the last step: opening the `.sotto-part`).
      expect(seen).toContain('');
      expect(seen).toContain('report.pdf');
      expect(seen.at(-1)).toBe('report.pdf,report.pdf.sotto-part');
    });
  }
  it('accepting twice reserves one download, and ending it leaves nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-accept-twice-'));
    const downloads = join(dir, 'downloads');
    const events: CoreEvent[] = [];
    const transfers = new FileTransfers((e) => events.push(e), downloads, Date.now);
    const link = newLink();
    offerReport(transfers, link);
    await Promise.all([transfers.accept(ADDRESS, FILE_ID), transfers.accept(ADDRESS, FILE_ID)]);
    await transfers.accept(ADDRESS, FILE_ID);
    expect(listing(downloads)).toEqual(['report.pdf', 'report.pdf.sotto-part']);
    expect(openFdsInto(downloads)).toHaveLength(1);
    transfers.cancel(ADDRESS, FILE_ID);
    await until(() => events.some((e) => e.type === 'file-done'));
    expect(listing(downloads)).toEqual([]);
    expect(openFdsInto(downloads)).toEqual([]);
  });
});
