// Typed errors of the Ricochet v3 byte layer: one class per cause, each with a stable `code`.
// Callers branch on the class (or `code`), never on message text; wrapping keeps `{ cause }`.

/** Base class of every error raised by src/protocol/. */
export abstract class ProtocolError extends Error {
  /** Stable machine-readable cause, e.g. `malformed-packet`. */
  abstract readonly code: string;
  override name = 'ProtocolError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The bytes do not parse: framing, protobuf wire format, truncation, wrong wire type. */
export class MalformedPacketError extends ProtocolError {
  readonly code = 'malformed-packet';
  override name = 'MalformedPacketError';
}

/** The bytes parse but break the protocol rules (wrong parity, bad field combination, wrong channel…). */
export class ProtocolViolationError extends ProtocolError {
  readonly code = 'protocol-violation';
  override name = 'ProtocolViolationError';
}

/** The peer asked for something it is not allowed to do (e.g. before authentication). */
export class UnauthorizedError extends ProtocolError {
  readonly code = 'unauthorized';
  override name = 'UnauthorizedError';
}

/** A size or count limit was exceeded (checked before any allocation). */
export class LimitExceededError extends ProtocolError {
  readonly code = 'limit-exceeded';
  override name = 'LimitExceededError';
}

/** The peer offers no protocol version we speak (only version 3 is supported). */
export class UnsupportedVersionError extends ProtocolError {
  readonly code = 'unsupported-version';
  override name = 'UnsupportedVersionError';
}

/** An accepted file transfer made no progress (no chunk, ack or result) for too long. */
export class FileTransferStalledError extends ProtocolError {
  readonly code = 'file-transfer-stalled';
  override name = 'FileTransferStalledError';
}

/**
 * The peer's contact request carried an invalid nickname or message: it was answered
 * `Response{Error}` and the connection ends right after that answer.
 */
export class InvalidContactRequestError extends ProtocolError {
  readonly code = 'invalid-contact-request';
  override name = 'InvalidContactRequestError';
}
