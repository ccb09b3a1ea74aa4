// Typed errors of the Gosling layer (Gosling Protocol v0.1.0 over Honk-RPC v0.1.0). One class per
// cause, each with a stable `code`; `honkCode` is the Honk-RPC error code ("Error Section Format":
// negative for protocol errors, positive for Sotto's Gosling application errors) we send to the
// peer in an error section before ending the session.

/** Base class of every error raised by src/gosling/. */
export abstract class GoslingError extends Error {
  /** Stable machine-readable cause, e.g. `message-too-big`. */
  abstract readonly code: string;
  /** The Honk-RPC error code that reports this cause to the peer. */
  abstract readonly honkCode: number;
  override name = 'GoslingError';
}

// --- Honk-RPC protocol errors (negative codes, all fatal) ------------------------------------

/** The bytes are not a BSON 1.1 document (bad length prefix, truncation, bad element). */
export class BsonParseError extends GoslingError {
  readonly code = 'bson-parse-failed';
  readonly honkCode = -1;
  override name = 'BsonParseError';
}

/** The 4-byte length prefix announces more than the message size limit. */
export class MessageTooBigError extends GoslingError {
  readonly code = 'message-too-big';
  readonly honkCode = -2;
  override name = 'MessageTooBigError';
}

/** The document is BSON but not a Honk-RPC message (missing or mistyped `honk_rpc`/`sections`). */
export class MessageParseError extends GoslingError {
  readonly code = 'message-parse-failed';
  readonly honkCode = -3;
  override name = 'MessageParseError';
}

/** The message carries a Honk-RPC version we cannot handle. */
export class MessageVersionError extends GoslingError {
  readonly code = 'message-version-incompatible';
  readonly honkCode = -4;
  override name = 'MessageVersionError';
}

/** A section's `id` is not 0 (error), 1 (request) or 2 (response). */
export class SectionIdUnknownError extends GoslingError {
  readonly code = 'section-id-unknown';
  readonly honkCode = -5;
  override name = 'SectionIdUnknownError';
}

/** A section misses a required field or a field has the wrong BSON type. */
export class SectionParseError extends GoslingError {
  readonly code = 'section-parse-failed';
  readonly honkCode = -6;
  override name = 'SectionParseError';
}

/** A request names a namespace the receiver does not serve. */
export class RequestNamespaceError extends GoslingError {
  readonly code = 'request-namespace-invalid';
  readonly honkCode = -8;
  override name = 'RequestNamespaceError';
}

/** A request names a function that does not exist in its namespace. */
export class RequestFunctionError extends GoslingError {
  readonly code = 'request-function-invalid';
  readonly honkCode = -9;
  override name = 'RequestFunctionError';
}

/** A request asks for a function version that does not exist. */
export class RequestVersionError extends GoslingError {
  readonly code = 'request-version-invalid';
  readonly honkCode = -10;
  override name = 'RequestVersionError';
}

/** A response answers a cookie we have no request pending for. */
export class ResponseCookieError extends GoslingError {
  readonly code = 'response-cookie-invalid';
  readonly honkCode = -11;
  override name = 'ResponseCookieError';
}

/** A response has a state other than pending/complete, or a result while pending. */
export class ResponseStateError extends GoslingError {
  readonly code = 'response-state-invalid';
  readonly honkCode = -12;
  override name = 'ResponseStateError';
}

/** The decoder already failed; it accepts no more bytes (the session must end). */
export class DecoderPoisonedError extends GoslingError {
  readonly code = 'decoder-poisoned';
  readonly honkCode = -1;
  override name = 'DecoderPoisonedError';
}

// --- Gosling handshake errors (positive application codes, all fatal) -----------------------

/** A call came out of the order the handshake allows (Gosling v0.1.0 "Protocol"). */
export class HandshakeOrderError extends GoslingError {
  readonly code = 'out-of-order';
  readonly honkCode = 1;
  override name = 'HandshakeOrderError';
}

/** The client asked for a Gosling version other than 0.1.0. */
export class GoslingVersionError extends GoslingError {
  readonly code = 'gosling-version-invalid';
  readonly honkCode = 2;
  override name = 'GoslingVersionError';
}

/** A function argument is missing, mistyped, unknown or malformed (e.g. not a service id). */
export class HandshakeArgumentError extends GoslingError {
  readonly code = 'bad-argument';
  readonly honkCode = 3;
  override name = 'HandshakeArgumentError';
}

/** The client identity proof signature does not verify against the claimed service id. */
export class ClientProofError extends GoslingError {
  readonly code = 'bad-client-proof';
  readonly honkCode = 4;
  override name = 'ClientProofError';
}

/** The client-authorization signature does not verify against the x25519 key + signbit. */
export class ClientAuthSignatureError extends GoslingError {
  readonly code = 'bad-client-auth-signature';
  readonly honkCode = 5;
  override name = 'ClientAuthSignatureError';
}

/** The client asked for an endpoint this identity server does not offer. */
export class UnknownEndpointError extends GoslingError {
  readonly code = 'unknown-endpoint';
  readonly honkCode = 6;
  override name = 'UnknownEndpointError';
}

/** The client asked for a channel this endpoint server does not offer. */
export class UnknownChannelError extends GoslingError {
  readonly code = 'unknown-channel';
  readonly honkCode = 7;
  override name = 'UnknownChannelError';
}

/** The client is not allowed here (not the contact this endpoint serves, or refused by policy). */
export class ClientNotAllowedError extends GoslingError {
  readonly code = 'client-not-allowed';
  readonly honkCode = 8;
  override name = 'ClientNotAllowedError';
}

/** The handshake did not complete before its deadline. */
export class HandshakeTimeoutError extends GoslingError {
  readonly code = 'handshake-timeout';
  readonly honkCode = 9;
  override name = 'HandshakeTimeoutError';
}

/** The transport closed before the handshake completed. */
export class HandshakeAbortedError extends GoslingError {
  readonly code = 'handshake-aborted';
  readonly honkCode = 10;
  override name = 'HandshakeAbortedError';
}

/** The peer sent an error section: the handshake is refused. `peerCode` is its Honk-RPC code. */
export class PeerErrorError extends GoslingError {
  readonly code = 'peer-error';
  readonly honkCode = 11;
  override name = 'PeerErrorError';
  constructor(
    readonly peerCode: number,
    message: string,
  ) {
    super(message);
  }
}
