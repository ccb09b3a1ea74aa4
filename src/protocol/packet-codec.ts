// Ricochet v3 packet framing: `u16 size (big endian, includes the 4-byte header) ‖ u16 channel ‖
// data`, size ≤ 65535 (doc/protocol-v3.md "Packet format"). Sans-IO: pure decode/encode plus a
// bounded push decoder for stream chunks.
import { LimitExceededError, MalformedPacketError, ProtocolViolationError } from './errors.js';

/** One framed packet. `data` empty means "close this channel". */
export interface Packet {
  readonly channel: number;
  readonly data: Uint8Array;
}

export const PACKET_HEADER_SIZE = 4;
export const MAX_PACKET_SIZE = 0xffff;
export const MAX_PACKET_DATA = MAX_PACKET_SIZE - PACKET_HEADER_SIZE;
export const MAX_CHANNEL_ID = 0xffff;

export type DecodeResult = { packet: Packet; consumed: number } | { needMore: true };

/**
 * Decodes one packet starting at `offset`. `packet.data` is a view into `bytes` (no copy): copy it
 * if `bytes` will be reused. Throws MalformedPacketError when the size field is below 4.
 */
export function decodePacket(bytes: Uint8Array, offset = 0): DecodeResult {
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new RangeError(`offset ${offset} outside 0..${bytes.length}`);
  }
  if (bytes.length - offset < PACKET_HEADER_SIZE) return { needMore: true };
  const size = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
  if (size < PACKET_HEADER_SIZE) {
    throw new MalformedPacketError(`packet size ${size} is smaller than the 4-byte header`);
  }
  if (bytes.length - offset < size) return { needMore: true };
  const channel = ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number);
  const data = bytes.subarray(offset + PACKET_HEADER_SIZE, offset + size);
  return { packet: { channel, data }, consumed: size };
}

/**
 * Frames one packet. Throws LimitExceededError for data over 65531 bytes and
 * ProtocolViolationError for a channel outside 0..65535.
 */
export function encodePacket(packet: Packet): Uint8Array {
  const { channel, data } = packet;
  if (!Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL_ID) {
    throw new ProtocolViolationError(`channel ${channel} is not a u16`);
  }
  if (data.length > MAX_PACKET_DATA) {
    throw new LimitExceededError(`packet data of ${data.length} bytes exceeds ${MAX_PACKET_DATA}`);
  }
  const size = data.length + PACKET_HEADER_SIZE;
  const out = new Uint8Array(size);
  out[0] = size >>> 8;
  out[1] = size & 0xff;
  out[2] = channel >>> 8;
  out[3] = channel & 0xff;
  out.set(data, PACKET_HEADER_SIZE);
  return out;
}

/**
 * Stateful stream decoder. Holds at most one incomplete packet (≤ 65535 bytes) between calls.
 * Packets fully contained in a pushed chunk are returned as views into that chunk (the caller
 * must not reuse the chunk's memory afterwards); packets assembled across chunks get their own
 * fresh buffer, never a view into the decoder's reusable state. After an error the decoder is
 * poisoned: every further push rethrows, since the stream can no longer be framed.
 */
export class PacketDecoder {
  /** Holds the bytes of the current incomplete packet; allocated per packet, never reused. */
  #pending: Uint8Array | undefined;
  #pendingLength = 0;
  /** Header bytes collected when fewer than 4 arrived. */
  readonly #header = new Uint8Array(PACKET_HEADER_SIZE);
  #headerLength = 0;
  #failure: MalformedPacketError | undefined;

  /** Bytes held waiting for the rest of a packet. */
  get bufferedBytes(): number {
    return this.#headerLength + this.#pendingLength;
  }

  /** Bytes allocated for the packet being assembled (its validated size: ≤ MAX_PACKET_SIZE). */
  get allocatedBytes(): number {
    return this.#pending?.length ?? 0;
  }

  push(chunk: Uint8Array): Packet[] {
    if (this.#failure) throw this.#failure;
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof MalformedPacketError) this.#failure = error;
      throw error;
    }
  }

  #push(chunk: Uint8Array): Packet[] {
    const packets: Packet[] = [];
    let pos = 0;
    // Finish a packet that started in an earlier chunk.
    if (this.#headerLength > 0 || this.#pending) {
      pos = this.#continuePending(chunk, packets);
      if (this.#headerLength > 0 || this.#pending) return packets;
    }
    // Whole packets inside this chunk: zero-copy views.
    while (pos < chunk.length) {
      const result = decodePacket(chunk, pos);
      if ('needMore' in result) break;
      packets.push(result.packet);
      pos += result.consumed;
    }
    if (pos < chunk.length) this.#startPending(chunk.subarray(pos));
    return packets;
  }

  /** Returns the position in `chunk` after the bytes consumed into the pending packet. */
  #continuePending(chunk: Uint8Array, packets: Packet[]): number {
    let pos = 0;
    if (!this.#pending) {
      const take = Math.min(PACKET_HEADER_SIZE - this.#headerLength, chunk.length);
      this.#header.set(chunk.subarray(0, take), this.#headerLength);
      this.#headerLength += take;
      pos = take;
      if (this.#headerLength < PACKET_HEADER_SIZE) return pos;
      this.#allocatePending(this.#header);
      this.#headerLength = 0;
    }
    const pending = this.#pending as Uint8Array;
    const take = Math.min(pending.length - this.#pendingLength, chunk.length - pos);
    pending.set(chunk.subarray(pos, pos + take), this.#pendingLength);
    this.#pendingLength += take;
    pos += take;
    if (this.#pendingLength === pending.length) {
      const channel = ((pending[2] as number) << 8) | (pending[3] as number);
      packets.push({ channel, data: pending.subarray(PACKET_HEADER_SIZE) });
      this.#pending = undefined;
      this.#pendingLength = 0;
    }
    return pos;
  }

  #startPending(rest: Uint8Array): void {
    if (rest.length < PACKET_HEADER_SIZE) {
      this.#header.set(rest, 0);
      this.#headerLength = rest.length;
      return;
    }
    this.#allocatePending(rest);
    const pending = this.#pending as Uint8Array;
    pending.set(rest, 0);
    this.#pendingLength = rest.length;
  }

  /** Validates the size in `header` (first 4 bytes) before allocating exactly that many bytes. */
  #allocatePending(header: Uint8Array): void {
    const size = ((header[0] as number) << 8) | (header[1] as number);
    if (size < PACKET_HEADER_SIZE) {
      throw new MalformedPacketError(`packet size ${size} is smaller than the 4-byte header`);
    }
    const pending = new Uint8Array(size);
    pending.set(header.subarray(0, PACKET_HEADER_SIZE), 0);
    this.#pending = pending;
    this.#pendingLength = PACKET_HEADER_SIZE;
  }
}
