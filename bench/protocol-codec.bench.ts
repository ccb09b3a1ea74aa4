// Throughput of the byte layer: framing (PacketDecoder) + strict message decode, over the real
// Ricochet Refresh 3.0.41 chat session and over a stream of small chat packets.
// Run: npx vitest bench --run bench/protocol-codec.bench.ts
import { bench, describe } from 'vitest';
import { PacketDecoder, encodePacket } from '../src/protocol/packet-codec.js';
import { decodeChatPacket, encodeChatPacket } from '../src/protocol/messages.js';

const PACKETS = 10_000;
const chunks: Uint8Array[] = [];
{
  const frames: Uint8Array[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const data =
      i % 2 === 0
        ? encodeChatPacket({
            kind: 'chat-message',
            messageText: `message number ${i} — grüße ✓`,
            messageId: i,
            timeDelta: 0,
          })
        : encodeChatPacket({ kind: 'chat-acknowledge', messageId: i - 1, accepted: true });
    frames.push(encodePacket({ channel: 5, data }));
  }
  const all = Buffer.concat(frames);
  // Deliver in 1400-byte chunks, like TCP segments.
  for (let pos = 0; pos < all.length; pos += 1400) chunks.push(all.subarray(pos, pos + 1400));
}

describe(`decode ${PACKETS} chat packets (framing + strict protobuf decode)`, () => {
  bench(
    'PacketDecoder.push + decodeChatPacket',
    () => {
      const decoder = new PacketDecoder();
      let count = 0;
      for (const chunk of chunks) {
        for (const packet of decoder.push(chunk)) {
          decodeChatPacket(packet.data);
          count++;
        }
      }
      if (count !== PACKETS) throw new Error(`decoded ${count}`);
    },
    { time: 2000 },
  );
});
