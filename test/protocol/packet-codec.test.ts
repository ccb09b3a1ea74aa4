import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodePacket,
  encodePacket,
  MAX_PACKET_DATA,
  PacketDecoder,
  type Packet,
} from '../../src/protocol/packet-codec.js';
import {
  LimitExceededError,
  MalformedPacketError,
  ProtocolError,
  ProtocolViolationError,
} from '../../src/protocol/errors.js';
import { hex, toHex } from './session-vectors.js';

const view = (p: Packet): [number, string] => [p.channel, toHex(p.data)];

describe('encodePacket / decodePacket', () => {
  it('frames size (incl. header) and channel big endian', () => {
    expect(toHex(encodePacket({ channel: 0x0102, data: hex('aabb') }))).toBe('00060102aabb');
    expect(toHex(encodePacket({ channel: 1, data: new Uint8Array(0) }))).toBe('00040001');
  });

  it('decodes an empty-data packet (channel close)', () => {
    const r = decodePacket(hex('00040005'));
    expect('packet' in r && view(r.packet)).toEqual([5, '']);
    expect('consumed' in r && r.consumed).toBe(4);
  });

  it('asks for more on a truncated header or body, from any offset', () => {
    expect(decodePacket(hex('0006'))).toEqual({ needMore: true });
    expect(decodePacket(hex('00060001aa'))).toEqual({ needMore: true });
    expect(decodePacket(hex('ff00040001'), 1)).toMatchObject({ consumed: 4 });
    expect(() => decodePacket(hex('00'), 2)).toThrow(RangeError);
  });

  it('rejects a size below the header with MalformedPacketError', () => {
    for (const h of ['00000000', '00010000', '00030001']) {
      expect(() => decodePacket(hex(h))).toThrow(MalformedPacketError);
    }
  });

  it('accepts the largest packet and refuses a larger one, and a bad channel', () => {
    const data = new Uint8Array(MAX_PACKET_DATA).fill(7);
    const framed = encodePacket({ channel: 0xffff, data });
    expect(toHex(framed.subarray(0, 4))).toBe('ffffffff');
    const r = decodePacket(framed);
    expect('packet' in r && r.packet.data.length).toBe(MAX_PACKET_DATA);
    expect(() => encodePacket({ channel: 1, data: new Uint8Array(MAX_PACKET_DATA + 1) })).toThrow(
      LimitExceededError,
    );
    for (const channel of [0x10000, -1, 1.5, Number.NaN]) {
      expect(() => encodePacket({ channel, data: new Uint8Array(0) })).toThrow(
        ProtocolViolationError,
      );
    }
  });
});

describe('PacketDecoder', () => {
  const stream = hex('00060001aabb' + '00040002' + '00050000cc');
  const expected = [
    [1, 'aabb'],
    [2, ''],
    [0, 'cc'],
  ];

  it('works one byte at a time', () => {
    const decoder = new PacketDecoder();
    const got: [number, string][] = [];
    for (const byte of stream) got.push(...decoder.push(Uint8Array.of(byte)).map(view));
    expect(got).toEqual(expected);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('works with everything in one chunk, and with empty chunks', () => {
    const decoder = new PacketDecoder();
    expect(decoder.push(new Uint8Array(0))).toEqual([]);
    expect(decoder.push(stream).map(view)).toEqual(expected);
  });

  it('never hands out views into memory it will overwrite', () => {
    const decoder = new PacketDecoder();
    const first = decoder.push(hex('00060001aa'));
    expect(first).toEqual([]);
    const [packet] = decoder.push(hex('bb00060002'));
    expect(packet && view(packet)).toEqual([1, 'aabb']);
    decoder.push(hex('ccdd'));
    expect(packet && view(packet)).toEqual([1, 'aabb']);
  });

  it('holds at most one incomplete packet', () => {
    const decoder = new PacketDecoder();
    decoder.push(hex('ffff0001'));
    decoder.push(new Uint8Array(60000));
    expect(decoder.bufferedBytes).toBe(60004);
    const out = decoder.push(new Uint8Array(5531 + 3));
    expect(out.length).toBe(1);
    expect(out[0]?.data.length).toBe(MAX_PACKET_DATA);
    expect(decoder.bufferedBytes).toBe(3);
  });

  it('rejects a bad size split across chunks, and stays failed', () => {
    const decoder = new PacketDecoder();
    expect(decoder.push(hex('00'))).toEqual([]);
    expect(() => decoder.push(hex('020001'))).toThrow(MalformedPacketError);
    expect(() => decoder.push(hex('00040001'))).toThrow(MalformedPacketError);
  });

  it('property: any chunking yields the same packets as one chunk', () => {
    const packetArb = fc.record({
      channel: fc.integer({ min: 0, max: 0xffff }),
      data: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(packetArb, { maxLength: 12 }),
        fc.array(fc.nat(400)),
        (packets, cuts) => {
          const bytes = Buffer.concat(packets.map((p) => encodePacket(p)));
          const decoder = new PacketDecoder();
          const got: [number, string][] = [];
          let pos = 0;
          for (const cut of cuts) {
            const end = Math.min(bytes.length, pos + cut);
            got.push(...decoder.push(bytes.subarray(pos, end)).map(view));
            pos = end;
          }
          got.push(...decoder.push(bytes.subarray(pos)).map(view));
          expect(got).toEqual(packets.map((p) => [p.channel, toHex(p.data)]));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('property: garbage only ever raises ProtocolError, and buffers ≤ one max packet', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (chunks) => {
        const decoder = new PacketDecoder();
        try {
          for (const chunk of chunks) {
            decoder.push(chunk);
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(0xffff);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
