// Strict decode/encode of the Ricochet v3 auth, chat and file-transfer channel packets (field
// numbers as deployed by Ricochet Refresh 3.0.41). Each `*Packet` is a container with exactly one
// field set; optional fields 3.0.41 always sets are always emitted, so re-encoding is byte-exact.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  PacketSchema as AuthPacketSchema,
  ProofSchema,
  ResultSchema,
} from './gen/AuthHiddenService_pb.js';
import {
  ChatAcknowledgeSchema,
  ChatMessageSchema,
  PacketSchema as ChatPacketSchema,
} from './gen/ChatChannel_pb.js';
import {
  FileChunkAckSchema,
  FileChunkSchema,
  FileHeaderAckSchema,
  FileHeaderResponseSchema,
  FileHeaderSchema,
  FileTransferCompleteNotificationSchema,
  PacketSchema as FilePacketSchema,
} from './gen/FileChannel_pb.js';
import { LimitExceededError, ProtocolViolationError } from './errors.js';
import { exactlyOne, strictDecode } from './messages-control.js';
import { MAX_FILE_CHUNK } from './limits.js';
import { SERVICE_ID_PATTERN } from '../identity/service-id.js';

export const SIGNATURE_SIZE = 64;
export const FILE_HASH_SIZE = 64;

export type AuthMessage =
  | { readonly kind: 'proof'; readonly signature: Uint8Array; readonly serviceId: string }
  | { readonly kind: 'result'; readonly accepted: boolean; readonly isKnownContact: boolean };

/** `accepted: true` means "this message was delivered"; absent on the wire means true. */
export type ChatPacket =
  | {
      readonly kind: 'chat-message';
      readonly messageText: string;
      /** 0 when absent on the wire (no duplicate detection then). */
      readonly messageId: number;
      /** Seconds (≤ 0 from well-behaved peers); 0 is sent as "absent", as 3.0.41 does. */
      readonly timeDelta: number;
    }
  | { readonly kind: 'chat-acknowledge'; readonly messageId: number; readonly accepted: boolean };

export type FileTransferResult = 'success' | 'failure' | 'cancelled';
const FILE_RESULTS: readonly FileTransferResult[] = ['success', 'failure', 'cancelled'];

export type FilePacket =
  | {
      readonly kind: 'file-header';
      readonly fileId: number;
      readonly fileSize: number;
      readonly name: string;
      readonly fileHash: Uint8Array;
    }
  | { readonly kind: 'file-header-ack'; readonly fileId: number; readonly accepted: boolean }
  | { readonly kind: 'file-header-response'; readonly fileId: number; readonly accept: boolean }
  | { readonly kind: 'file-chunk'; readonly fileId: number; readonly chunkData: Uint8Array }
  | { readonly kind: 'file-chunk-ack'; readonly fileId: number; readonly bytesReceived: number }
  | {
      readonly kind: 'file-transfer-complete';
      readonly fileId: number;
      readonly result: FileTransferResult;
    };

function has(message: object, localName: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, localName);
}

function requireField(message: object, localName: string, where: string): void {
  if (!has(message, localName)) {
    throw new ProtocolViolationError(`${where}: ${localName} missing`);
  }
}

function checkServiceId(serviceId: string): void {
  if (!SERVICE_ID_PATTERN.test(serviceId)) {
    throw new ProtocolViolationError('service_id is not 56 lower-case base32 characters');
  }
}

function checkSignature(signature: Uint8Array): void {
  if (signature.length !== SIGNATURE_SIZE) {
    throw new ProtocolViolationError(`signature is ${signature.length} bytes, expected 64`);
  }
}

function toSafeNumber(value: bigint, where: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new LimitExceededError(`${where}: ${value} is beyond 2^53`);
  }
  return Number(value);
}

function checkUint32(value: number, where: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${where}: ${value} is not a uint32`);
  }
}

function checkSafeUint(value: number, where: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${where}: ${value} is not a non-negative safe integer`);
  }
}

// ---- im.ricochet.auth.hidden-service ----

export function decodeAuthPacket(data: Uint8Array): AuthMessage {
  const packet = strictDecode(AuthPacketSchema, data);
  if (exactlyOne('auth packet', [packet.proof, packet.result]) === 0) {
    const proof = packet.proof as NonNullable<typeof packet.proof>;
    requireField(proof, 'signature', 'Proof');
    requireField(proof, 'serviceId', 'Proof');
    checkSignature(proof.signature);
    checkServiceId(proof.serviceId);
    return { kind: 'proof', signature: proof.signature, serviceId: proof.serviceId };
  }
  const result = packet.result as NonNullable<typeof packet.result>;
  if (!result.accepted && result.isKnownContact) {
    throw new ProtocolViolationError('a refused Result cannot say is_known_contact');
  }
  return { kind: 'result', accepted: result.accepted, isKnownContact: result.isKnownContact };
}

/**
 * Like 3.0.41, an accepted Result always carries `is_known_contact` (`10 00` for unknown peers);
 * a refused one carries only `accepted = false`.
 */
export function encodeAuthPacket(message: AuthMessage): Uint8Array {
  const packet = create(AuthPacketSchema);
  if (message.kind === 'proof') {
    checkSignature(message.signature);
    checkServiceId(message.serviceId);
    packet.proof = create(ProofSchema, {
      signature: message.signature,
      serviceId: message.serviceId,
    });
  } else {
    if (!message.accepted && message.isKnownContact) {
      throw new ProtocolViolationError('a refused Result cannot say is_known_contact');
    }
    packet.result = create(ResultSchema, { accepted: message.accepted });
    if (message.accepted) packet.result.isKnownContact = message.isKnownContact;
  }
  return toBinary(AuthPacketSchema, packet);
}

// ---- im.ricochet.chat ----

export function decodeChatPacket(data: Uint8Array): ChatPacket {
  const packet = strictDecode(ChatPacketSchema, data);
  if (exactlyOne('chat packet', [packet.chatMessage, packet.chatAcknowledge]) === 0) {
    const message = packet.chatMessage as NonNullable<typeof packet.chatMessage>;
    return {
      kind: 'chat-message',
      messageText: message.messageText,
      messageId: message.messageId,
      timeDelta: toSafeNumber(message.timeDelta, 'time_delta'),
    };
  }
  const ack = packet.chatAcknowledge as NonNullable<typeof packet.chatAcknowledge>;
  // `accepted` defaults to true in the schema; protobuf-es applies that default when absent.
  return { kind: 'chat-acknowledge', messageId: ack.messageId, accepted: ack.accepted };
}

/** Chat message: message_id always, time_delta only when non-zero. Ack: both fields always. */
export function encodeChatPacket(message: ChatPacket): Uint8Array {
  const packet = create(ChatPacketSchema);
  checkUint32(message.messageId, 'message_id');
  if (message.kind === 'chat-message') {
    if (!Number.isSafeInteger(message.timeDelta)) throw new RangeError('time_delta not an integer');
    const chat = create(ChatMessageSchema, {
      messageText: message.messageText,
      messageId: message.messageId,
    });
    if (message.timeDelta !== 0) chat.timeDelta = BigInt(message.timeDelta);
    packet.chatMessage = chat;
  } else {
    packet.chatAcknowledge = create(ChatAcknowledgeSchema, {
      messageId: message.messageId,
      accepted: message.accepted,
    });
  }
  return toBinary(ChatPacketSchema, packet);
}

// ---- im.ricochet.file-transfer ----

export function decodeFilePacket(data: Uint8Array): FilePacket {
  const packet = strictDecode(FilePacketSchema, data);
  const which = exactlyOne('file packet', [
    packet.fileHeader,
    packet.fileHeaderAck,
    packet.fileHeaderResponse,
    packet.fileChunk,
    packet.fileChunkAck,
    packet.fileTransferCompleteNotification,
  ]);
  const inner = [
    packet.fileHeader,
    packet.fileHeaderAck,
    packet.fileHeaderResponse,
    packet.fileChunk,
    packet.fileChunkAck,
    packet.fileTransferCompleteNotification,
  ][which] as object;
  requireField(inner, 'fileId', 'file packet');
  switch (which) {
    case 0: {
      const header = packet.fileHeader as NonNullable<typeof packet.fileHeader>;
      for (const name of ['fileSize', 'name', 'fileHash']) requireField(header, name, 'FileHeader');
      if (header.fileHash.length !== FILE_HASH_SIZE) {
        throw new ProtocolViolationError(
          `file_hash is ${header.fileHash.length} bytes, expected 64`,
        );
      }
      return {
        kind: 'file-header',
        fileId: header.fileId,
        fileSize: toSafeNumber(header.fileSize, 'file_size'),
        name: header.name,
        fileHash: header.fileHash,
      };
    }
    case 1: {
      const ack = packet.fileHeaderAck as NonNullable<typeof packet.fileHeaderAck>;
      return { kind: 'file-header-ack', fileId: ack.fileId, accepted: ack.accepted };
    }
    case 2: {
      const answer = packet.fileHeaderResponse as NonNullable<typeof packet.fileHeaderResponse>;
      requireField(answer, 'response', 'FileHeaderResponse');
      if (answer.response !== 0 && answer.response !== 1) {
        throw new ProtocolViolationError(`FileHeaderResponse.response ${answer.response}`);
      }
      return { kind: 'file-header-response', fileId: answer.fileId, accept: answer.response === 0 };
    }
    case 3: {
      const chunk = packet.fileChunk as NonNullable<typeof packet.fileChunk>;
      requireField(chunk, 'chunkData', 'FileChunk');
      if (chunk.chunkData.length > MAX_FILE_CHUNK) {
        throw new LimitExceededError(`file chunk of ${chunk.chunkData.length} bytes`);
      }
      return { kind: 'file-chunk', fileId: chunk.fileId, chunkData: chunk.chunkData };
    }
    case 4: {
      const ack = packet.fileChunkAck as NonNullable<typeof packet.fileChunkAck>;
      requireField(ack, 'bytesReceived', 'FileChunkAck');
      return {
        kind: 'file-chunk-ack',
        fileId: ack.fileId,
        bytesReceived: toSafeNumber(ack.bytesReceived, 'bytes_received'),
      };
    }
    default: {
      const done = packet.fileTransferCompleteNotification as NonNullable<
        typeof packet.fileTransferCompleteNotification
      >;
      requireField(done, 'result', 'FileTransferCompleteNotification');
      return {
        kind: 'file-transfer-complete',
        fileId: done.fileId,
        result: FILE_RESULTS[done.result] as FileTransferResult,
      };
    }
  }
}

/** Every field is emitted, defaults included, as 3.0.41 does. */
export function encodeFilePacket(message: FilePacket): Uint8Array {
  const packet = create(FilePacketSchema);
  checkUint32(message.fileId, 'file_id');
  const fileId = message.fileId;
  switch (message.kind) {
    case 'file-header':
      checkSafeUint(message.fileSize, 'file_size');
      if (message.fileHash.length !== FILE_HASH_SIZE) {
        throw new ProtocolViolationError(`file_hash is ${message.fileHash.length} bytes`);
      }
      packet.fileHeader = create(FileHeaderSchema, {
        fileId,
        fileSize: BigInt(message.fileSize),
        name: message.name,
        fileHash: message.fileHash,
      });
      break;
    case 'file-header-ack':
      packet.fileHeaderAck = create(FileHeaderAckSchema, { fileId, accepted: message.accepted });
      break;
    case 'file-header-response':
      packet.fileHeaderResponse = create(FileHeaderResponseSchema, {
        fileId,
        response: message.accept ? 0 : 1,
      });
      break;
    case 'file-chunk':
      if (message.chunkData.length > MAX_FILE_CHUNK) {
        throw new LimitExceededError(`file chunk of ${message.chunkData.length} bytes`);
      }
      packet.fileChunk = create(FileChunkSchema, { fileId, chunkData: message.chunkData });
      break;
    case 'file-chunk-ack':
      checkSafeUint(message.bytesReceived, 'bytes_received');
      packet.fileChunkAck = create(FileChunkAckSchema, {
        fileId,
        bytesReceived: BigInt(message.bytesReceived),
      });
      break;
    case 'file-transfer-complete':
      packet.fileTransferCompleteNotification = create(FileTransferCompleteNotificationSchema, {
        fileId,
        result: FILE_RESULTS.indexOf(message.result),
      });
      break;
  }
  return toBinary(FilePacketSchema, packet);
}
