// Public types of the sans-IO Ricochet v3 connection (src/protocol/connection.ts): construction
// options, the events it emits, close reasons, and the errors a local caller can get.
import { ProtocolError } from './errors.js';
import type { ConnectionPurpose } from './introduction.js';
import type { InboundLimits } from './inbound-packets.js';

export type Role = 'client' | 'server';

export interface LocalIdentity {
  /** Our v3 service id, 56 lower-case base32 chars, no ".onion". */
  readonly serviceId: string;
  /** Ed25519 signature (64 bytes) by our onion key. */
  sign(message: Uint8Array): Uint8Array;
}

export interface ConnectionOptions {
  readonly role: Role;
  readonly identity: LocalIdentity;
  /** Client role: the service id we dialled (Tor proved it). Required for clients. */
  readonly peerServiceId?: string;
  /** Server role: whether an authenticated peer is an accepted contact. */
  readonly isKnownContact?: (serviceId: string) => boolean;
  /**
   * Client role: 'bulk' opens a Sotto bulk connection (docs/PROTOCOL.md "Bulk connections"; only
   * to a peer that negotiated BULK_CONNECTION_FEATURE). Server role: learned from the introduction,
   * or, on an endpoint stream (`endpointPeer`, both roles), from its Gosling endpoint channel.
   */
  readonly purpose?: ConnectionPurpose;
  /** Features we support for EnableFeatures (default: SOTTO_FEATURES). */
  readonly features?: readonly string[];
  /** Milliseconds, monotonic enough for deadlines. */
  readonly now: () => number;
  /** Cryptographically secure random bytes (cookies, first message/file ids). */
  readonly random: (n: number) => Uint8Array;
  /** Send KeepAlive after this long without input once authenticated; 0 disables (default 60 s). */
  readonly keepAliveIntervalMs?: number;
  /** Open chat and file channels automatically when the peer is a known contact (default true). */
  readonly autoOpenChannels?: boolean;
  /** Largest incoming file we will be offered (default 2^53 - 1 bytes). */
  readonly maxIncomingFileSize?: number;
  /**
   * An endpoint stream (docs/ENDPOINTS.md §2): the Gosling endpoint handshake already proved the
   * peer, a known contact, so the connection starts open and authenticated, with no introduction
   * and no auth channel. The client (the side that dialled) sends EnableFeatures first.
   */
  readonly endpointPeer?: string;
  /**
   * Inbound pacing: packets handled per call and the peer's chat budget (inbound-packets.ts;
   * default UNLIMITED_INBOUND). With limits, drive continueInput() while hasPendingInput.
   */
  readonly inbound?: InboundLimits;
  /**
   * Acknowledge an accepted ChatMessage only when the caller calls acknowledgeChat(id) (it saved
   * the message), not on arrival (default false: at once, as 3.0.41). Refusals stay immediate.
   */
  readonly deferChatAcks?: boolean;
}

/** Feature that enables several FileChunks in flight between two Sotto peers. */
export const WINDOWED_FILE_FEATURE = 'im.sotto.file-transfer.windowed';
/** Feature that lets a Sotto peer send a windowed file on a bulk connection of its own. */
export const BULK_CONNECTION_FEATURE = 'im.sotto.file-transfer.bulk-connection';
/** Feature under which two Sotto contacts negotiate endpoint onions (docs/ENDPOINTS.md §2). */
export const ENDPOINTS_FEATURE = 'im.sotto.endpoints';
export const SOTTO_FEATURES: readonly string[] = [
  WINDOWED_FILE_FEATURE,
  BULK_CONNECTION_FEATURE,
  ENDPOINTS_FEATURE,
];

/** Deadlines of 3.0.41 (Connection.cpp) and our keepalive policy. */
export const UNKNOWN_PURPOSE_TIMEOUT_MS = 15_000;
export const FORCED_CLOSE_TIMEOUT_MS = 5_000;
export const KEEPALIVE_RESPONSE_TIMEOUT_MS = 30_000;
/**
 * An accepted file transfer that sees no progress (sender: no FileChunkAck or result; receiver: no
 * FileChunk) for this long ends as failed: both sides send FileTransferCompleteNotification Failure
 * (3.0.41 has no such deadline, and ends its own record on any result it receives).
 */
export const FILE_TRANSFER_IDLE_TIMEOUT_MS = 120_000;

export type CloseReason = ProtocolError | 'peer-closed' | 'local-close' | 'timeout';

export type ContactRequestStatus = 'pending' | 'accepted' | 'rejected' | 'error';

export type FileResult = 'success' | 'failed' | 'cancelled' | 'rejected';

export type ConnectionEvent =
  | {
      readonly type: 'authenticated';
      readonly peerServiceId: string;
      readonly isKnownContact: boolean;
    }
  | { readonly type: 'features-enabled'; readonly features: readonly string[] }
  | {
      readonly type: 'contact-request-received';
      readonly nickname: string;
      readonly message: string;
    }
  | { readonly type: 'contact-request-response'; readonly status: ContactRequestStatus }
  /**
   * Transport ended while our request was Pending (how 3.0.41 rejects, but also a busy or
   * restarting peer): not a rejection; see docs/PROTOCOL.md "Pending requests".
   */
  | { readonly type: 'contact-request-closed-while-pending' }
  | { readonly type: 'chat-ready' }
  | {
      readonly type: 'chat-message';
      readonly id: number;
      readonly text: string;
      readonly timeDelta: number;
      /** Not acknowledged yet (option deferChatAcks): acknowledgeChat(id) once it is saved. */
      readonly ackDeferred?: true;
    }
  | { readonly type: 'chat-ack'; readonly id: number; readonly accepted: boolean }
  /** A KeepAlive we sent (a probe or the idle one) was answered after `ms` (issue 14). */
  | { readonly type: 'round-trip'; readonly ms: number }
  /** Our chat channel ended with these messages unacknowledged: re-send them with these ids. */
  | { readonly type: 'chat-undelivered'; readonly ids: readonly number[] }
  | { readonly type: 'file-ready' }
  | {
      readonly type: 'file-offer';
      readonly fileId: number;
      readonly name: string;
      readonly size: number;
      readonly hash: Uint8Array;
    }
  | { readonly type: 'file-header-ack'; readonly fileId: number; readonly accepted: boolean }
  | { readonly type: 'file-accepted'; readonly fileId: number }
  | {
      readonly type: 'file-chunk-needed';
      readonly fileId: number;
      readonly offset: number;
      readonly length: number;
    }
  | {
      readonly type: 'file-chunk';
      readonly fileId: number;
      readonly offset: number;
      readonly data: Uint8Array;
    }
  | {
      readonly type: 'file-progress';
      readonly fileId: number;
      readonly direction: 'in' | 'out';
      readonly transferred: number;
      readonly size: number;
    }
  | {
      readonly type: 'file-complete';
      readonly fileId: number;
      readonly direction: 'in' | 'out';
      readonly result: FileResult;
      readonly error?: ProtocolError;
    }
  /** The negotiation channel (im.sotto.endpoint.identity) opened: ours accepted, or the peer's. */
  | {
      readonly type: 'endpoint-channel-opened';
      readonly channelId: number;
      readonly direction: 'inbound' | 'outbound';
    }
  /** Bytes of the Gosling identity handshake stream on a negotiation channel. */
  | {
      readonly type: 'endpoint-channel-data';
      readonly channelId: number;
      readonly data: Uint8Array;
    }
  | { readonly type: 'endpoint-channel-closed'; readonly channelId: number }
  /** The adapter should flush pending output, then end the transport (TCP FIN). */
  | { readonly type: 'closing'; readonly reason: CloseReason }
  /** Final event. `forced`: the graceful close did not finish in 5 s; destroy the transport. */
  | { readonly type: 'closed'; readonly reason: CloseReason; readonly forced: boolean };

/** A bug on our side caught at the receive() boundary; the connection ends with it. */
export class InternalConnectionError extends ProtocolError {
  readonly code = 'internal-error';
  override name = 'InternalConnectionError';
}

/** The peer's Result refused our proof, or it sent us a proof that does not verify. */
export class AuthenticationFailedError extends ProtocolError {
  readonly code = 'authentication-failed';
  override name = 'AuthenticationFailedError';
}

/**
 * A local command that does not fit the connection's state (a caller bug, not a peer's). Not a
 * ProtocolError on purpose: those close the connection as the peer's fault.
 */
export class ConnectionStateError extends Error {
  readonly code = 'connection-state';
  override name = 'ConnectionStateError';
}
