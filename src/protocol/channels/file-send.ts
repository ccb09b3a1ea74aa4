// Sending side of `im.ricochet.file-transfer` (Ricochet Refresh 3.x): FileHeader → peer's
// FileHeaderAck/FileHeaderResponse → FileChunks ≤ 64512 B → cumulative FileChunkAck →
// FileTransferCompleteNotification. Stop-and-wait, or a bounded window when both peers
// negotiated WINDOWED_FILE_FEATURE, a larger one on a bulk connection (file-window.ts). No file I/O:
// chunk bytes are asked for by event. An accepted transfer without progress for
// FILE_TRANSFER_IDLE_TIMEOUT_MS ends as failed (tick()).
import { FileTransferStalledError, ProtocolViolationError, type ProtocolError } from '../errors.js';
import { ChannelType, decodeFilePacket, encodeFilePacket } from '../messages.js';
import { MAX_FILE_CHUNK, isSafeFileName } from '../limits.js';
import { ConnectionStateError, FILE_TRANSFER_IDLE_TIMEOUT_MS } from '../connection-types.js';
import type { ConnectionPurpose } from '../introduction.js';
import { randomUint32, type ChannelHandler, type ChannelHost } from './channel.js';
import { FileWindow, type FileWindowMode } from './file-window.js';

export { FILE_WINDOW_CHUNKS } from './file-window.js';
export const FILE_HASH_SIZE = 64;
export const MAX_OUTGOING_TRANSFERS = 8;

export interface FileOffer {
  readonly name: string;
  readonly size: number;
  /** SHA3-512 of the whole file. */
  readonly hash: Uint8Array;
}

interface OutgoingTransfer {
  readonly fileId: number;
  readonly size: number;
  state: 'offered' | 'sending' | 'awaiting-result';
  /** Bytes asked of the application (file-chunk-needed). */
  requested: number;
  /** Bytes put on the wire. */
  sent: number;
  /** Bytes the receiver acknowledged (cumulative). */
  acked: number;
  /** When the peer last moved this transfer on (acceptance, an ack); for the idle deadline. */
  lastProgressAt: number;
}

export class FileSendChannel implements ChannelHandler {
  readonly type = ChannelType.FileTransfer;
  readonly direction = 'outbound';
  #nextFileId: number;
  #open = false;
  #gone = false;
  readonly #queued: Uint8Array[] = [];
  readonly #transfers = new Map<number, OutgoingTransfer>();

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    /** The connection: its features (windowed mode) and purpose (a bulk one's window is larger). */
    private readonly connection: {
      readonly windowedFileTransfer: boolean;
      readonly purpose: ConnectionPurpose;
    },
  ) {
    this.#nextFileId = randomUint32(host);
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /**
   * Offers a file; returns its id. `again`: offer it again under the id it had on a connection
   * that was replaced before the peer answered (ids are per connection in Ricochet v3).
   */
  offer(offer: FileOffer, again?: number): number {
    if (this.#gone) throw new ConnectionStateError('the file channel is closed');
    if (!isSafeFileName(offer.name)) throw new RangeError('unsafe file name');
    if (!Number.isSafeInteger(offer.size) || offer.size < 1) {
      throw new RangeError('file size must be a positive safe integer');
    }
    if (offer.hash.length !== FILE_HASH_SIZE) throw new RangeError('hash must be SHA3-512 (64 B)');
    if (this.#transfers.size >= MAX_OUTGOING_TRANSFERS) {
      throw new ConnectionStateError('too many outgoing file transfers');
    }
    const reuse = again !== undefined && !this.#transfers.has(again);
    const fileId = reuse ? again : this.#nextFileId;
    if (!reuse) this.#nextFileId = (this.#nextFileId + 1) >>> 0;
    this.#transfers.set(fileId, {
      fileId,
      size: offer.size,
      state: 'offered',
      requested: 0,
      sent: 0,
      acked: 0,
      lastProgressAt: this.host.now(),
    });
    const data = encodeFilePacket({
      kind: 'file-header',
      fileId,
      fileSize: offer.size,
      name: offer.name,
      fileHash: offer.hash,
    });
    if (this.#open) this.host.send(this.id, data);
    else this.#queued.push(data);
    return fileId;
  }

  /** The application hands over the bytes it was asked for by a file-chunk-needed event. */
  provideChunk(fileId: number, offset: number, data: Uint8Array): void {
    const transfer = this.#transfers.get(fileId);
    if (!transfer) return; // ended (cancelled, failed) while the caller was reading: a race
    if (transfer.state !== 'sending') {
      throw new ConnectionStateError(`file ${fileId} is not being sent`);
    }
    const expected = Math.min(MAX_FILE_CHUNK, transfer.size - transfer.sent);
    if (offset !== transfer.sent || transfer.sent >= transfer.requested) {
      throw new ConnectionStateError(`chunk at ${offset} was not asked for`);
    }
    if (data.length !== expected) throw new RangeError(`chunk must be ${expected} bytes`);
    transfer.sent += data.length;
    this.host.sendBulk(this.id, encodeFilePacket({ kind: 'file-chunk', fileId, chunkData: data }));
  }

  cancel(fileId: number): boolean {
    if (!this.#transfers.has(fileId)) return false;
    this.host.send(
      this.id,
      encodeFilePacket({ kind: 'file-transfer-complete', fileId, result: 'cancelled' }),
    );
    this.#finish(fileId, 'cancelled');
    return true;
  }

  opened(): void {
    this.#open = true;
    this.host.emit({ type: 'file-ready' });
    for (const data of this.#queued.splice(0)) this.host.send(this.id, data);
  }

  receive(data: Uint8Array): void {
    const packet = decodeFilePacket(data);
    const transfer = this.#transfers.get(packet.fileId);
    switch (packet.kind) {
      case 'file-header-ack':
        if (!transfer || transfer.state !== 'offered') return;
        this.host.emit({
          type: 'file-header-ack',
          fileId: packet.fileId,
          accepted: packet.accepted,
        });
        if (!packet.accepted) this.#finish(packet.fileId, 'failed');
        return;
      case 'file-header-response':
        if (!transfer || transfer.state !== 'offered') return;
        if (!packet.accept) {
          this.#finish(packet.fileId, 'rejected');
          return;
        }
        transfer.state = 'sending';
        transfer.lastProgressAt = this.host.now();
        this.host.emit({ type: 'file-accepted', fileId: packet.fileId });
        this.#pump(transfer);
        return;
      case 'file-chunk-ack':
        if (!transfer || transfer.state === 'offered') return;
        if (packet.bytesReceived <= transfer.acked || packet.bytesReceived > transfer.sent) {
          throw new ProtocolViolationError(`FileChunkAck of ${packet.bytesReceived} bytes`);
        }
        transfer.acked = packet.bytesReceived;
        transfer.lastProgressAt = this.host.now();
        this.host.emit({
          type: 'file-progress',
          fileId: transfer.fileId,
          direction: 'out',
          transferred: transfer.acked,
          size: transfer.size,
        });
        if (transfer.acked === transfer.size) transfer.state = 'awaiting-result';
        else this.#pump(transfer);
        return;
      case 'file-transfer-complete':
        if (!transfer) return;
        this.#finish(
          packet.fileId,
          packet.result === 'success' && transfer.acked === transfer.size
            ? 'success'
            : packet.result === 'cancelled'
              ? 'cancelled'
              : 'failed',
        );
        return;
      default:
        throw new ProtocolViolationError(`${packet.kind} on our own file channel`);
    }
  }

  /**
   * Ends accepted transfers the peer stopped acknowledging for FILE_TRANSFER_IDLE_TIMEOUT_MS:
   * FileTransferCompleteNotification Failure to the peer, `file-complete` failed here. Offers
   * awaiting the peer user's decision never time out (3.0.41 waits for them too).
   */
  tick(nowMs: number): void {
    for (const transfer of [...this.#transfers.values()]) {
      if (transfer.state === 'offered') continue;
      if (nowMs - transfer.lastProgressAt < FILE_TRANSFER_IDLE_TIMEOUT_MS) continue;
      if (this.#open) {
        this.host.send(
          this.id,
          encodeFilePacket({
            kind: 'file-transfer-complete',
            fileId: transfer.fileId,
            result: 'failure',
          }),
        );
      }
      this.#finish(
        transfer.fileId,
        'failed',
        new FileTransferStalledError(
          `file ${transfer.fileId}: no acknowledgement for ${FILE_TRANSFER_IDLE_TIMEOUT_MS / 1000} s`,
        ),
      );
    }
  }

  refused(): void {
    this.closed();
  }

  closed(): void {
    this.#open = false;
    this.#gone = true;
    this.#queued.length = 0;
    for (const fileId of [...this.#transfers.keys()]) this.#finish(fileId, 'failed');
  }

  /** Asks the application for the next chunks the window allows. */
  #pump(transfer: OutgoingTransfer): void {
    const window = this.#window().chunks * MAX_FILE_CHUNK;
    while (transfer.requested < transfer.size && transfer.requested - transfer.acked < window) {
      const length = Math.min(MAX_FILE_CHUNK, transfer.size - transfer.requested);
      this.host.emit({
        type: 'file-chunk-needed',
        fileId: transfer.fileId,
        offset: transfer.requested,
        length,
      });
      transfer.requested += length;
    }
  }

  /** The window by the connection's mode now (its features are answered after it opens). */
  #window(): FileWindow {
    const { windowedFileTransfer, purpose } = this.connection;
    const mode: FileWindowMode = !windowedFileTransfer
      ? 'stop-and-wait'
      : purpose === 'bulk'
        ? 'bulk'
        : 'windowed';
    return new FileWindow(mode);
  }

  #finish(
    fileId: number,
    result: 'success' | 'failed' | 'cancelled' | 'rejected',
    error?: ProtocolError,
  ): void {
    this.#transfers.delete(fileId);
    this.host.emit(
      error
        ? { type: 'file-complete', fileId, direction: 'out', result, error }
        : { type: 'file-complete', fileId, direction: 'out', result },
    );
  }
}
