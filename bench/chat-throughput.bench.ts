// Chat throughput of two sans-IO RicochetConnections wired back to back in memory (no sockets, no
// Tor): each iteration sends 1000 messages and pumps until all 1000 acks are back.
// Run: npx vitest bench --run bench/chat-throughput.bench.ts   (messages/s = 1000 × hz)
import { bench, describe } from 'vitest';
import { FakeClock, Pair } from '../test/protocol/connection-harness.js';

const BATCH = 1000;
const pair = new Pair({ clock: new FakeClock(), known: true });
pair.connectAsContacts();
const text = 'The quick brown fox jumps over the lazy dog — ünïcödé ✓';

describe('chat throughput (in-memory, both endpoints)', () => {
  bench(`${BATCH} messages sent, received and acknowledged`, () => {
    for (let i = 0; i < BATCH; i++) pair.client.conn.sendChatMessage(text);
    pair.pump();
    pair.client.events.length = 0;
    pair.server.events.length = 0;
    pair.clientWrote.length = 0;
    pair.serverWrote.length = 0;
  });
});
