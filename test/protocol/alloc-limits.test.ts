// SECURITY.md §2 "every limit is checked before allocating": each length a peer controls is fed
// at its hostile extreme into the real decoder or connection, and the test observes what was
// allocated, buffered or handed on, not the predicate. Packet size: the stream decoder's own
// allocation. Protobuf length prefixes, file size (FileHeader.file_size, a u64 on the wire),
// contact request nickname and text: refused with a typed reason before anything reaches the user
// (docs/PROTOCOL.md "File transfer"). Chunk overflow and chat text length are in
// connection-adversarial.test.ts.
import fc from 'fast-check';
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, MalformedPacketError } from '../../src/protocol/errors.js';
import { MAX_PACKET_SIZE, PacketDecoder, encodePacket } from '../../src/protocol/packet-codec.js';
import {
  ChannelType,
  decodeControlPacket,
  encodeControlPacket,
} from '../../src/protocol/messages.js';
import {
  FileHeaderSchema,
  PacketSchema as FilePacketSchema,
} from '../../src/protocol/gen/FileChannel_pb.js';
import { MAX_MESSAGE_LENGTH, MAX_NICKNAME_LENGTH } from '../../src/protocol/limits.js';
import { FakeClock, Pair, closedReason } from './connection-harness.js';

const frame = (channel: number, data: Uint8Array) => encodePacket({ channel, data });

describe('packet size: the stream decoder allocates at most one packet of its validated size', () => {
  it('a header claiming the largest size allocates exactly that, byte by byte', () => {
    const decoder = new PacketDecoder();
    decoder.push(Uint8Array.of(0xff, 0xff, 0x00, 0x01));
    expect(decoder.allocatedBytes).toBe(MAX_PACKET_SIZE);
    for (let i = 4; i < MAX_PACKET_SIZE - 1; i++) decoder.push(Uint8Array.of(i & 0xff));
    expect(decoder.allocatedBytes).toBe(MAX_PACKET_SIZE);
    expect(decoder.push(Uint8Array.of(0))).toHaveLength(1);
    expect(decoder.allocatedBytes).toBe(0);
  });

  it('a header claiming less than its own 4 bytes is refused before anything is allocated', () => {
    for (const size of [0, 1, 2, 3]) {
      const decoder = new PacketDecoder();
      decoder.push(Uint8Array.of(0, size));
      expect(() => decoder.push(Uint8Array.of(0, 1))).toThrow(MalformedPacketError);
      expect(decoder.allocatedBytes).toBe(0);
    }
  });

  it('property: whatever arrives, in any chunking, allocation stays within one packet', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (chunks) => {
        const decoder = new PacketDecoder();
        for (const chunk of chunks) {
          try {
            const packets = decoder.push(chunk);
            for (const p of packets) expect(p.data.length).toBeLessThan(MAX_PACKET_SIZE);
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedPacketError);
            return;
          }
          expect(decoder.allocatedBytes).toBeLessThanOrEqual(MAX_PACKET_SIZE);
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(MAX_PACKET_SIZE);
        }
      }),
    );
  });
});

/** Two authenticated contacts; the client opened its chat (3) and file (5) channels. */
function contacts(): Pair {
  const pair = new Pair({ clock: new FakeClock(), known: true });
  pair.connectAsContacts();
  return pair;
}

describe('lengths inside a packet', () => {
  it('a protobuf length prefix claiming 2^31 bytes ends the connection (MalformedPacketError)', () => {
    const pair = contacts();
    // ChatChannel Packet { chat_message { message_text: <claims 0x7fffffff bytes> "hi" } }
    const inner = Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x68, 0x69);
    pair.server.conn.receive(frame(3, Uint8Array.of(0x0a, inner.length, ...inner)));
    pair.server.drainEvents();
    expect(closedReason(pair.server)).toBeInstanceOf(MalformedPacketError);
    expect(pair.server.of('chat-message')).toEqual([]);
  });

  it('a FileHeader claiming 2^64−1 bytes ends the connection before any offer exists', () => {
    const pair = contacts();
    const header = create(FilePacketSchema, {
      fileHeader: create(FileHeaderSchema, {
        fileId: 1,
        fileSize: 2n ** 64n - 1n,
        name: 'huge.bin',
        fileHash: new Uint8Array(64),
      }),
    });
    pair.server.conn.receive(frame(5, toBinary(FilePacketSchema, header)));
    pair.server.drainEvents();
    expect(closedReason(pair.server)).toBeInstanceOf(LimitExceededError);
    expect(pair.server.of('file-offer')).toEqual([]);
  });

  it('a contact request with a nickname or text over the limit is answered Error, not stored', () => {
    const cases = [
      { nickname: 'n'.repeat(MAX_NICKNAME_LENGTH + 1), messageText: 'hi' },
      { nickname: '', messageText: 'm'.repeat(MAX_MESSAGE_LENGTH + 1) },
    ];
    for (const contactRequest of cases) {
      const pair = new Pair({ clock: new FakeClock() });
      pair.pump(); // introduction and authentication, not yet a contact
      pair.server.conn.receive(
        frame(
          0,
          encodeControlPacket({
            kind: 'open-channel',
            channelIdentifier: 3,
            channelType: ChannelType.ContactRequest,
            contactRequest,
          }),
        ),
      );
      const out = new PacketDecoder().push(
        Uint8Array.from(Buffer.concat(pair.server.conn.takeOutput())),
      );
      expect(decodeControlPacket((out[0] as { data: Uint8Array }).data)).toMatchObject({
        kind: 'channel-result',
        contactResponse: 'error',
      });
      expect(pair.server.conn.takeEvents().map((e) => e.type)).not.toContain(
        'contact-request-received',
      );
    }
  });
});
