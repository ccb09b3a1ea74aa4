// Ricochet v3 version negotiation (doc/protocol-v3.md "Introduction and version negotiation"):
// client sends `0x49 0x4D n v1..vn`, server answers one byte, the chosen version or 0xFF. Sans-IO.
// Sotto extension (docs/PROTOCOL.md "Bulk connections"): a client that also offers the marker
// BULK_PURPOSE_MARKER opens a bulk connection (one windowed file transfer, never a control link).
import { MalformedPacketError, ProtocolViolationError, UnsupportedVersionError } from './errors.js';

export const PROTOCOL_VERSION = 3;
export const NO_VERSION = 0xff;
const MAGIC_0 = 0x49;
const MAGIC_1 = 0x4d;
/**
 * Not a protocol version: offered beside 3 (`49 4D 02 03 B0`), it marks a Sotto bulk connection.
 * Only sent to a peer that negotiated BULK_CONNECTION_FEATURE on its control connection.
 */
export const BULK_PURPOSE_MARKER = 0xb0;
export type ConnectionPurpose = 'control' | 'bulk';
/** The introduction of a connection of `purpose`. */
export function introductionFor(purpose: ConnectionPurpose): Uint8Array {
  return encodeIntroduction(
    purpose === 'bulk' ? [PROTOCOL_VERSION, BULK_PURPOSE_MARKER] : [PROTOCOL_VERSION],
  );
}
/** Most versions we accept in one introduction (3.0.41 offers one). */
export const MAX_OFFERED_VERSIONS = 16;

/** Client introduction; 3.0.41 sends `49 4D 01 03`. */
export function encodeIntroduction(versions: readonly number[] = [PROTOCOL_VERSION]): Uint8Array {
  if (versions.length < 1 || versions.length > MAX_OFFERED_VERSIONS) {
    throw new RangeError(`must offer 1..${MAX_OFFERED_VERSIONS} versions`);
  }
  for (const v of versions) {
    if (!Number.isInteger(v) || v < 0 || v > 0xfe) throw new RangeError(`bad version ${v}`);
  }
  return Uint8Array.from([MAGIC_0, MAGIC_1, versions.length, ...versions]);
}

export type IntroductionResult =
  | { readonly done: false }
  | {
      readonly done: true;
      /** 3, or null when no offered version is supported (answer 0xFF, then close). */
      readonly version: number | null;
      /** 'bulk' when the client offered BULK_PURPOSE_MARKER as well. */
      readonly purpose: ConnectionPurpose;
      /** The single byte to send back. */
      readonly reply: Uint8Array;
      /** Bytes received after the introduction: feed them to the packet decoder. */
      readonly rest: Uint8Array;
    };

/** Server side: consumes the client introduction byte by byte. One use per connection. */
export class IntroductionParser {
  #state: 'magic0' | 'magic1' | 'count' | 'versions' | 'done' = 'magic0';
  #remaining = 0;
  #supported = false;
  #bulk = false;

  push(chunk: Uint8Array): IntroductionResult {
    if (this.#state === 'done') throw new ProtocolViolationError('introduction already complete');
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      switch (this.#state) {
        case 'magic0':
        case 'magic1': {
          const want = this.#state === 'magic0' ? MAGIC_0 : MAGIC_1;
          if (byte !== want) {
            throw new MalformedPacketError(`introduction byte ${i} is 0x${byte.toString(16)}`);
          }
          this.#state = this.#state === 'magic0' ? 'magic1' : 'count';
          break;
        }
        case 'count':
          if (byte < 1 || byte > MAX_OFFERED_VERSIONS) {
            throw new MalformedPacketError(`introduction offers ${byte} versions`);
          }
          this.#remaining = byte;
          this.#state = 'versions';
          break;
        case 'versions':
          if (byte === PROTOCOL_VERSION) this.#supported = true;
          if (byte === BULK_PURPOSE_MARKER) this.#bulk = true;
          this.#remaining -= 1;
          if (this.#remaining === 0) {
            this.#state = 'done';
            const version = this.#supported ? PROTOCOL_VERSION : null;
            return {
              done: true,
              version,
              purpose: this.#bulk ? 'bulk' : 'control',
              reply: Uint8Array.of(version ?? NO_VERSION),
              rest: chunk.subarray(i + 1),
            };
          }
          break;
      }
    }
    return { done: false };
  }
}

/**
 * Client side: reads the server's one-byte answer from `chunk` (non-empty). Returns the leftover
 * bytes for the packet decoder; throws UnsupportedVersionError on 0xFF or any version but 3.
 */
export function parseIntroductionReply(chunk: Uint8Array): { version: 3; rest: Uint8Array } {
  if (chunk.length === 0) throw new RangeError('empty chunk');
  const answer = chunk[0] as number;
  if (answer !== PROTOCOL_VERSION) {
    throw new UnsupportedVersionError(
      answer === NO_VERSION ? 'peer supports none of our versions' : `peer chose version ${answer}`,
    );
  }
  return { version: PROTOCOL_VERSION, rest: chunk.subarray(1) };
}
