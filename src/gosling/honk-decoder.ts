// Incremental Honk-RPC v0.1.0 message decoder: bytes in, one validated message out at a time.
// BSON 1.1 frames itself with a little-endian int32 total length; that prefix is checked against
// the message size limit ("message_too_big", default 4096 bytes) before a single byte of the body
// is gathered. Any error poisons the decoder (the session must end); bytes after the last message
// a handshake consumes are handed back untouched by takeRemainder() (the stream is then the app's).
import { deserialize } from 'bson';
import {
  BsonParseError,
  DecoderPoisonedError,
  GoslingError,
  MessageTooBigError,
} from './errors.js';
import { MAX_MESSAGE_SIZE, parseHonkMessage, type HonkMessage } from './honk-message.js';

const LENGTH_PREFIX = 4;
const MIN_DOCUMENT = 5; // int32 length + the terminating 0x00

const DESERIALIZE_OPTIONS = {
  promoteValues: false,
  promoteBuffers: false,
  promoteLongs: false,
  useBigInt64: false,
  bsonRegExp: true,
  allowObjectSmallerThanBufferSize: false,
  validation: { utf8: true },
} as const;

export class HonkDecoder {
  readonly maxMessageSize: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #poisoned: GoslingError | undefined;

  constructor(maxMessageSize = MAX_MESSAGE_SIZE) {
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < MIN_DOCUMENT) {
      throw new RangeError('maxMessageSize must be an integer of at least 5');
    }
    this.maxMessageSize = maxMessageSize;
  }

  /** Queues received bytes (kept by reference, not copied). Throws only once poisoned. */
  push(bytes: Uint8Array): void {
    if (this.#poisoned)
      throw new DecoderPoisonedError('the decoder failed before', { cause: this.#poisoned });
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
  }

  /** The next complete, validated message, or undefined until more bytes arrive. */
  next(): HonkMessage | undefined {
    if (this.#poisoned)
      throw new DecoderPoisonedError('the decoder failed before', { cause: this.#poisoned });
    try {
      if (this.#buffered < LENGTH_PREFIX) return undefined;
      const prefix = this.#peek(LENGTH_PREFIX);
      const length = new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX).getInt32(
        0,
        true,
      );
      if (length < MIN_DOCUMENT) throw new BsonParseError(`BSON length ${length} is too small`);
      if (length > this.maxMessageSize) {
        throw new MessageTooBigError(`message of ${length} bytes exceeds ${this.maxMessageSize}`);
      }
      if (this.#buffered < length) return undefined;
      const bytes = this.#take(length);
      let doc: Record<string, unknown>;
      try {
        doc = deserialize(bytes, DESERIALIZE_OPTIONS);
      } catch (cause) {
        throw new BsonParseError('the message is not a valid BSON document', { cause });
      }
      return parseHonkMessage(doc);
    } catch (error) {
      this.#poisoned =
        error instanceof GoslingError ? error : new BsonParseError('undecodable', { cause: error });
      this.#chunks = [];
      this.#buffered = 0;
      throw this.#poisoned;
    }
  }

  /** True once an error ended this decoder. */
  get poisoned(): boolean {
    return this.#poisoned !== undefined;
  }

  /** Hands back (and forgets) every byte not consumed as a message. */
  takeRemainder(): Uint8Array {
    const out = this.#take(this.#buffered);
    return out;
  }

  #peek(count: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array;
    if (first.length >= count) return first.subarray(0, count);
    const out = new Uint8Array(count);
    let filled = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, count - filled);
      out.set(part, filled);
      filled += part.length;
      if (filled === count) break;
    }
    return out;
  }

  #take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[0] as Uint8Array;
      const part = chunk.subarray(0, count - filled);
      out.set(part, filled);
      filled += part.length;
      if (part.length === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part.length);
    }
    this.#buffered -= count;
    return out;
  }
}
