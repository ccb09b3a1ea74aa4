// File transfers of the messenger core over `im.ricochet.file-transfer` (notes "File transfer"):
// outgoing files are hashed (SHA3-512, streaming) and read chunk by chunk on demand; incoming
// files go to a `.sotto-part` in the downloads directory, renamed once the protocol verified them.
// A big file to a Sotto peer may go on a bulk link of its own (bulk-links.ts); the transfer then
// lives on that link: accept, acks, cancel and progress are the same as on the control link.
// The file sent: file-source.ts; transfers across a replaced control link: file-relink.ts.
import type { FileHandle } from 'node:fs/promises';
import type { CoreEvent, FileDirection, RicochetId } from '../api/core-api.js';
import type { ConnectionEvent, FileResult } from '../protocol/connection-types.js';
import { removeStalePartials, startDownload, type Download } from './downloads.js';
import { TransferStats } from './transfer-stats.js';
import { toServiceId } from './vault-mapping.js';
import type { PeerLink } from './peer-link.js';
import { FileTransferError, PeerOfflineError, UnknownTransferError } from './file-errors.js';
import { hashFile, offeredFileName, openRegularFile } from './file-source.js';
import {
  ControlLinkWait,
  isSameOffer,
  moveToReplacement,
  type ControlLinks,
  type MovableTransfer,
} from './file-relink.js';

export { FileTransferError, PeerOfflineError, UnknownTransferError } from './file-errors.js';
export { REPLACEMENT_WAIT_MS, type ControlLinks } from './file-relink.js';

/** One file in or out (address, id, offer, link, answered: MovableTransfer in file-relink.ts). */
interface Transfer extends MovableTransfer {
  readonly direction: FileDirection;
  readonly name: string;
  readonly size: number;
  stats?: TransferStats;
  file?: FileHandle;
  download?: Download;
  /** The download being set up after `accept` (one per transfer, however often accepted). */
  setup?: Promise<void>;
  /** Finished (cancelled, failed, link gone…): a setup still running must undo itself. */
  ended: boolean;
  /** Serialises file I/O so chunks are read and written in order. */
  io: Promise<void>;
  failed: boolean;
  /** Received bytes queued on `io` and not yet written (bounded by MAX_UNWRITTEN_FILE_BYTES). */
  unwritten: number;
}

/**
 * Received bytes of one transfer handed to the disk but not yet written. Past this we stop reading
 * the peer (PeerLink.holdInput): no more chunks arrive and none are acked until the disk caught up
 * (to half of it), so a slow disk cannot make us hold a fast sender's file in memory.
 */
export const MAX_UNWRITTEN_FILE_BYTES = 4 * 1024 * 1024;

/** Where big files go (bulk-links.ts): a link of their own, or undefined for the control link. */
export interface BulkRoute {
  linkFor(serviceId: string, control: PeerLink, size: number): Promise<PeerLink | undefined>;
  /** No transfer is left on `link`. */
  released(link: PeerLink): void;
}

const key = (address: RicochetId, fileId: number, direction: FileDirection): string =>
  `${direction} ${fileId} ${address}`;

export class FileTransfers {
  readonly #transfers = new Map<string, Transfer>();
  readonly #emit: (event: CoreEvent) => void;
  readonly #downloadsDir: string;
  readonly #now: () => number;
  /** Partial downloads a crash left behind are removed before any new download starts. */
  readonly #staleRemoved: Promise<number>;
  readonly #bulk: BulkRoute | undefined;
  /** The contact's live control link now (a replaced link's transfers move there). */
  readonly #links: ControlLinkWait;

  constructor(
    emit: (event: CoreEvent) => void,
    downloadsDir: string,
    now: () => number,
    bulk?: BulkRoute,
    links: ControlLinks = { live: () => undefined, replacing: () => false },
  ) {
    this.#emit = emit;
    this.#downloadsDir = downloadsDir;
    this.#now = now;
    this.#staleRemoved = removeStalePartials(downloadsDir);
    this.#bulk = bulk;
    this.#links = new ControlLinkWait(links, now);
  }

  /** A control link became live: sends waiting for a replacement go on. */
  linkLive(): void {
    this.#links.linkLive();
  }

  /** Whether a transfer still runs on `link`. */
  activeOn(link: PeerLink): boolean {
    for (const t of this.#transfers.values()) if (t.link === link) return true;
    return false;
  }

  /** Offers a local file to the peer on `link`; returns the file id. */
  async send(address: RicochetId, link: PeerLink | undefined, path: string): Promise<number> {
    const first = await this.#links.controlLink(address, link);
    const name = offeredFileName(path);
    const file = await openRegularFile(path);
    let bulk: Promise<PeerLink | undefined> | undefined;
    try {
      const info = await file.stat();
      // The bulk link is dialled while the file is hashed.
      bulk = this.#bulk?.linkFor(toServiceId(address), first, info.size);
      const offer = { name, size: info.size, hash: await hashFile(file, info.size) };
      const bulkLink = await bulk;
      // The link may have been replaced while the file was hashed: offer on the live one.
      const control = await this.#links.controlLink(address, first);
      let carrier = bulkLink ?? control;
      let fileId = carrier.run((c) => c.offerFile(offer));
      if (fileId === undefined && bulkLink !== undefined) {
        this.#bulk?.released(bulkLink); // it closed meanwhile: the control link takes the file
        carrier = control;
        fileId = control.run((c) => c.offerFile(offer));
      }
      if (fileId === undefined) throw new PeerOfflineError('the connection closed');
      this.#transfers.set(key(address, fileId, 'out'), {
        address,
        fileId,
        direction: 'out',
        name,
        size: info.size,
        link: carrier,
        offer,
        answered: false,
        file,
        io: Promise.resolve(),
        failed: false,
        ended: false,
        unwritten: 0,
      });
      // The sender learns the id now, so it can cancel an offer the peer never answers.
      this.#emit({ type: 'file-offered', address, fileId, name, size: info.size });
      return fileId;
    } catch (error) {
      await file.close();
      void bulk?.then((l) => l !== undefined && !this.activeOn(l) && this.#bulk?.released(l));
      throw error;
    }
  }

  /**
   * The user accepts an offered file: reserve a `.sotto-part`, then tell the peer. Accepting again
   * while (or after) it is set up waits for that same setup. If the transfer ends meanwhile (the
   * peer cancels, the link drops, the user cancels, shutdown), the setup deletes what it created
   * and closes its file before the end is reported: nothing is left behind.
   */
  async accept(address: RicochetId, fileId: number): Promise<void> {
    const t = this.#require(address, fileId, 'in');
    t.answered = true;
    t.setup ??= this.#setUpDownload(t).catch((error: unknown) => {
      delete t.setup; // a failed setup (disk, names) may be tried again
      throw error;
    });
    await t.setup;
    if (!t.ended && t.link.run((c) => c.acceptFile(fileId)) === undefined && t.link.closed) {
      await this.#finish(t, 'failed');
    }
  }

  async #setUpDownload(t: Transfer): Promise<void> {
    await this.#staleRemoved;
    if (t.ended) return;
    const download = await startDownload(this.#downloadsDir, t.name);
    if (t.ended) {
      await download.abort();
      return;
    }
    t.download = download;
    t.stats = new TransferStats(t.size, this.#now());
  }

  reject(address: RicochetId, fileId: number): void {
    const t = this.#require(address, fileId, 'in');
    t.answered = true;
    t.link.run((c) => c.rejectFile(fileId));
    void this.#finish(t, 'rejected');
  }

  cancel(address: RicochetId, fileId: number): void {
    const t =
      this.#transfers.get(key(address, fileId, 'out')) ?? this.#require(address, fileId, 'in');
    t.link.run((c) => c.cancelFile(fileId, t.direction));
    void this.#finish(t, 'cancelled');
  }

  /** A connection event that concerns files; returns true if it was one. */
  handle(address: RicochetId, link: PeerLink, event: ConnectionEvent): boolean {
    switch (event.type) {
      case 'file-offer': {
        const previous = this.#transfers.get(key(address, event.fileId, 'in'));
        // The same offer again on a new link (its first link was replaced before anyone
        // answered): the user already has it, it only moves (docs/ENDPOINTS.md §2).
        if (previous !== undefined && isSameOffer(previous, event) && !previous.answered) {
          previous.link = link;
          return true;
        }
        // The same id again (a new connection): the old transfer ended with its connection.
        if (previous !== undefined) void this.#finish(previous, 'failed');
        const t: Transfer = {
          address,
          fileId: event.fileId,
          direction: 'in',
          name: event.name,
          size: event.size,
          link,
          offer: { name: event.name, size: event.size, hash: event.hash },
          answered: false,
          io: Promise.resolve(),
          failed: false,
          ended: false,
          unwritten: 0,
        };
        this.#transfers.set(key(address, event.fileId, 'in'), t);
        this.#emit({
          type: 'file-offer',
          address,
          fileId: event.fileId,
          name: event.name,
          size: event.size,
        });
        return true;
      }
      case 'file-accepted': {
        const t = this.#transfers.get(key(address, event.fileId, 'out'));
        if (t) t.answered = true;
        if (t) t.stats = new TransferStats(t.size, this.#now());
        return true;
      }
      case 'file-chunk-needed': {
        const t = this.#transfers.get(key(address, event.fileId, 'out'));
        const file = t?.file;
        if (t === undefined || file === undefined) return true;
        t.io = t.io
          .then(async () => {
            if (t.failed) return;
            const data = Buffer.alloc(event.length);
            const { bytesRead } = await file.read(data, 0, event.length, event.offset);
            if (bytesRead !== event.length) throw new FileTransferError('the file changed');
            t.link.run((c) => c.sendFileChunk(event.fileId, event.offset, data));
          })
          .catch(() => {
            t.link.run((c) => c.cancelFile(event.fileId, 'out'));
            void this.#finish(t, 'failed');
          });
        return true;
      }
      case 'file-chunk': {
        const t = this.#transfers.get(key(address, event.fileId, 'in'));
        const download = t?.download;
        if (t === undefined || download === undefined) return true;
        const data = event.data;
        const hold = key(t.address, t.fileId, t.direction);
        t.unwritten += data.length;
        if (t.unwritten > MAX_UNWRITTEN_FILE_BYTES) t.link.holdInput(hold);
        t.io = t.io
          .then(async () => {
            if (t.failed) return;
            await download.handle.write(data, 0, data.length, event.offset);
          })
          .catch(() => {
            t.link.run((c) => c.cancelFile(event.fileId, 'in'));
            void this.#finish(t, 'failed');
          })
          .finally(() => {
            t.unwritten -= data.length;
            if (t.unwritten <= MAX_UNWRITTEN_FILE_BYTES / 2) t.link.releaseInput(hold);
          });
        return true;
      }
      case 'file-progress': {
        const t = this.#transfers.get(key(address, event.fileId, event.direction));
        if (t === undefined) return true;
        t.stats ??= new TransferStats(t.size, this.#now());
        const now = this.#now();
        const p = t.stats.update(event.transferred, now);
        if (t.stats.shouldEmit(now) || p.transferred === t.size) {
          this.#emit({
            type: 'file-progress',
            address,
            fileId: event.fileId,
            direction: event.direction,
            transferred: p.transferred,
            size: t.size,
            bytesPerSecond: p.bytesPerSecond,
          });
        }
        return true;
      }
      case 'file-complete': {
        const t = this.#transfers.get(key(address, event.fileId, event.direction));
        if (t === undefined) return true;
        // A closing connection fails what its file channel holds: an unanswered offer on a
        // control link is left to `linkGone`, which moves it if another link took over.
        const unanswered = !t.answered && link.connection.purpose !== 'bulk';
        if (event.result !== 'failed' || event.error !== undefined || !unanswered) {
          void this.#finish(t, event.result);
        } else {
          setImmediate(() => t.link === link && !link.closed && void this.#finish(t, 'failed'));
        }
        return true;
      }
      case 'file-header-ack':
      case 'file-ready':
        return true;
      default:
        return false;
    }
  }

  /**
   * A connection ended: every transfer that ran on it failed, but for an offer nobody answered
   * yet on a control link that another live link of the contact (`next`) replaced: it moves
   * there, the sender offers it again once under the same id, and the receiver takes that as the
   * same offer (`file-offer` above), so the user sees it exactly once.
   */
  linkGone(link: PeerLink, next?: PeerLink): void {
    for (const t of [...this.#transfers.values()]) {
      if (t.link !== link) continue;
      if (!moveToReplacement(t, link, next, this.#links)) void this.#finish(t, 'failed');
    }
  }

  /** Shutdown: close files, delete partial downloads. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#transfers.values()].map((t) => this.#finish(t, 'failed', false)));
  }

  #require(address: RicochetId, fileId: number, direction: FileDirection): Transfer {
    const t = this.#transfers.get(key(address, fileId, direction));
    if (t === undefined) throw new UnknownTransferError(`no ${direction} transfer ${fileId}`);
    return t;
  }

  async #finish(t: Transfer, result: FileResult, emit = true): Promise<void> {
    const k = key(t.address, t.fileId, t.direction);
    if (this.#transfers.get(k) !== t) return;
    this.#transfers.delete(k);
    t.ended = true;
    if (result !== 'success') t.failed = true;
    await t.setup?.catch(() => undefined);
    await t.io.catch(() => undefined);
    t.link.releaseInput(k);
    if (!this.activeOn(t.link)) this.#bulk?.released(t.link);
    let path: string | undefined;
    let final: FileResult = result;
    try {
      if (t.direction === 'out') await t.file?.close();
      else if (t.download !== undefined) {
        if (result === 'success') path = await t.download.complete();
        else await t.download.abort();
      }
    } catch {
      final = 'failed';
      await t.download?.abort().catch(() => undefined);
    }
    if (!emit) return;
    this.#emit({
      type: 'file-done',
      address: t.address,
      fileId: t.fileId,
      direction: t.direction,
      result: final,
      ...(path === undefined ? {} : { path }),
    });
  }
}
