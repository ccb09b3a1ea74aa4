// Receiving side of `im.ricochet.file-transfer` (Ricochet Refresh 3.x): on the peer's channel we
// ack each FileHeader at once, answer the user's decision, ack chunks cumulatively, hash them
// incrementally (SHA3-512) and end with Success or Failure. No file I/O: bytes leave by event. An
// accepted transfer without a chunk for FILE_TRANSFER_IDLE_TIMEOUT_MS ends as failed (tick()).
// node:crypto (OpenSSL) SHA3-512: ~20x the pure-JS hash here, which capped transfers at ~4 MiB/s.
import { createHash, type Hash } from 'node:crypto';
import {
  FileTransferStalledError,
  LimitExceededError,
  ProtocolViolationError,
  type ProtocolError,
} from '../errors.js';
import { ChannelType, decodeFilePacket, encodeFilePacket } from '../messages.js';
import { isSafeFileName } from '../limits.js';
import { ConnectionStateError, FILE_TRANSFER_IDLE_TIMEOUT_MS } from '../connection-types.js';
import type { ChannelHandler, ChannelHost } from './channel.js';
import { equalBytes } from '@noble/ciphers/utils.js';

export const MAX_INCOMING_TRANSFERS = 16;
/** Ids of ended transfers remembered so chunks still in flight are dropped, not fatal. */
const ENDED_MEMORY = 64;

interface IncomingTransfer {
  readonly fileId: number;
  readonly size: number;
  readonly hash: Uint8Array;
  state: 'offered' | 'accepted';
  received: number;
  hasher: Hash | undefined;
  /** When the transfer last moved on (our acceptance, a chunk); for the idle deadline. */
  lastProgressAt: number;
}

export class FileReceiveChannel implements ChannelHandler {
  readonly type = ChannelType.FileTransfer;
  readonly direction = 'inbound';
  readonly #transfers = new Map<number, IncomingTransfer>();
  readonly #ended = new Set<number>();

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    private readonly maxFileSize: number,
  ) {}

  accept(fileId: number): void {
    const transfer = this.#transfers.get(fileId);
    if (!transfer || transfer.state !== 'offered') {
      throw new ConnectionStateError(`file ${fileId} is not awaiting a decision`);
    }
    transfer.state = 'accepted';
    transfer.hasher = createHash('sha3-512');
    transfer.lastProgressAt = this.host.now();
    this.host.send(
      this.id,
      encodeFilePacket({ kind: 'file-header-response', fileId, accept: true }),
    );
  }

  reject(fileId: number): void {
    const transfer = this.#transfers.get(fileId);
    if (!transfer || transfer.state !== 'offered') {
      throw new ConnectionStateError(`file ${fileId} is not awaiting a decision`);
    }
    // 3.0.41 sends nothing after a reject: no completion notification, no channel close.
    this.host.send(
      this.id,
      encodeFilePacket({ kind: 'file-header-response', fileId, accept: false }),
    );
    this.#end(fileId, 'rejected');
  }

  cancel(fileId: number): boolean {
    if (!this.#transfers.has(fileId)) return false;
    this.#sendResult(fileId, 'cancelled');
    this.#end(fileId, 'cancelled');
    return true;
  }

  receive(data: Uint8Array): void {
    const packet = decodeFilePacket(data);
    const transfer = this.#transfers.get(packet.fileId);
    switch (packet.kind) {
      case 'file-header': {
        if (transfer || this.#ended.has(packet.fileId)) {
          throw new ProtocolViolationError(`file id ${packet.fileId} offered twice`);
        }
        const acceptable =
          isSafeFileName(packet.name) &&
          packet.fileSize >= 1 &&
          packet.fileSize <= this.maxFileSize &&
          this.#transfers.size < MAX_INCOMING_TRANSFERS;
        this.host.send(
          this.id,
          encodeFilePacket({
            kind: 'file-header-ack',
            fileId: packet.fileId,
            accepted: acceptable,
          }),
        );
        if (!acceptable) {
          this.#remember(packet.fileId);
          return;
        }
        this.#transfers.set(packet.fileId, {
          fileId: packet.fileId,
          size: packet.fileSize,
          hash: packet.fileHash.slice(),
          state: 'offered',
          received: 0,
          hasher: undefined,
          lastProgressAt: this.host.now(),
        });
        this.host.emit({
          type: 'file-offer',
          fileId: packet.fileId,
          name: packet.name,
          size: packet.fileSize,
          hash: packet.fileHash.slice(),
        });
        return;
      }
      case 'file-chunk':
        if (!transfer) {
          if (this.#ended.has(packet.fileId)) return; // in flight when we ended it
          throw new ProtocolViolationError(`chunk for unknown file ${packet.fileId}`);
        }
        if (transfer.state !== 'accepted' || !transfer.hasher) {
          throw new ProtocolViolationError(`chunk for file ${packet.fileId} before acceptance`);
        }
        this.#chunk(transfer, packet.chunkData);
        return;
      case 'file-transfer-complete':
        if (!transfer) return;
        this.#end(packet.fileId, packet.result === 'cancelled' ? 'cancelled' : 'failed');
        return;
      default:
        throw new ProtocolViolationError(`${packet.kind} on the peer's file channel`);
    }
  }

  /**
   * Ends accepted transfers whose sender sent nothing for FILE_TRANSFER_IDLE_TIMEOUT_MS:
   * FileTransferCompleteNotification Failure to the sender, `file-complete` failed here. Offers
   * awaiting our user's decision never time out.
   */
  tick(nowMs: number): void {
    for (const transfer of [...this.#transfers.values()]) {
      if (transfer.state !== 'accepted') continue;
      if (nowMs - transfer.lastProgressAt < FILE_TRANSFER_IDLE_TIMEOUT_MS) continue;
      this.#sendResult(transfer.fileId, 'failure');
      this.#end(
        transfer.fileId,
        'failed',
        new FileTransferStalledError(
          `file ${transfer.fileId}: no data for ${FILE_TRANSFER_IDLE_TIMEOUT_MS / 1000} s`,
        ),
      );
    }
  }

  closed(): void {
    for (const fileId of [...this.#transfers.keys()]) this.#end(fileId, 'failed');
  }

  #chunk(transfer: IncomingTransfer, chunk: Uint8Array): void {
    const { fileId } = transfer;
    if (chunk.length === 0 || transfer.received + chunk.length > transfer.size) {
      const error =
        chunk.length === 0
          ? new ProtocolViolationError(`empty chunk for file ${fileId}`)
          : new LimitExceededError(`file ${fileId} data exceeds its size of ${transfer.size}`);
      this.#sendResult(fileId, 'failure');
      this.#end(fileId, 'failed', error);
      return;
    }
    const offset = transfer.received;
    transfer.hasher?.update(chunk);
    transfer.received += chunk.length;
    transfer.lastProgressAt = this.host.now();
    this.host.emit({ type: 'file-chunk', fileId, offset, data: chunk.slice() });
    this.host.send(
      this.id,
      encodeFilePacket({ kind: 'file-chunk-ack', fileId, bytesReceived: transfer.received }),
    );
    this.host.emit({
      type: 'file-progress',
      fileId,
      direction: 'in',
      transferred: transfer.received,
      size: transfer.size,
    });
    if (transfer.received < transfer.size) return;
    const digest = transfer.hasher ? new Uint8Array(transfer.hasher.digest()) : new Uint8Array(0);
    if (equalBytes(digest, transfer.hash)) {
      this.#sendResult(fileId, 'success');
      this.#end(fileId, 'success');
    } else {
      this.#sendResult(fileId, 'failure');
      this.#end(fileId, 'failed', new ProtocolViolationError(`file ${fileId} hash mismatch`));
    }
  }

  #sendResult(fileId: number, result: 'success' | 'failure' | 'cancelled'): void {
    this.host.send(this.id, encodeFilePacket({ kind: 'file-transfer-complete', fileId, result }));
  }

  #end(
    fileId: number,
    result: 'success' | 'failed' | 'cancelled' | 'rejected',
    error?: ProtocolError,
  ): void {
    this.#transfers.delete(fileId);
    this.#remember(fileId);
    this.host.emit(
      error
        ? { type: 'file-complete', fileId, direction: 'in', result, error }
        : { type: 'file-complete', fileId, direction: 'in', result },
    );
  }

  #remember(fileId: number): void {
    this.#ended.add(fileId);
    if (this.#ended.size > ENDED_MEMORY) {
      this.#ended.delete(this.#ended.values().next().value as number);
    }
  }
}
