// The per-connection inbound budget, sans-IO: the token bucket's properties (fast-check), the
// packet queue's slices (bounded, in order, exactly once), and a Sotto connection given a burst
// of the 2,000-unit message Ricochet Refresh 3.0.41 sent in the recordings: 500 queued messages
// (one full offline queue) go through without waiting; past the budget the rest waits for time,
// nothing is refused, every message is acknowledged once, in order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/protocol/token-bucket.js';
import {
  InboundPackets,
  SOTTO_INBOUND_LIMITS,
  UNLIMITED_INBOUND,
} from '../../src/protocol/inbound-packets.js';
import type { Packet } from '../../src/protocol/packet-codec.js';
import { FakeClock, Pair } from './connection-harness.js';
import { recordedLongestMessage } from './session-vectors.js';

const LONGEST = recordedLongestMessage();

const config = fc.record({
  capacity: fc.integer({ min: 1, max: 1000 }),
  refillPerSecond: fc.double({ min: 0.01, max: 10_000, noNaN: true }),
});
const steps = fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 });

describe('TokenBucket', () => {
  it('property: never grants more than capacity + rate × elapsed', () => {
    fc.assert(
      fc.property(config, steps, (cfg, gaps) => {
        const start = 1_000;
        const bucket = new TokenBucket(cfg, start);
        let now = start;
        let granted = 0;
        for (const gap of gaps) {
          now += gap;
          while (bucket.take(now)) granted++;
          const allowed = cfg.capacity + ((now - start) * cfg.refillPerSecond) / 1000;
          expect(granted).toBeLessThanOrEqual(Math.floor(allowed + 1e-9));
        }
      }),
    );
  });

  it('property: a spent bucket grants again exactly from readyAt, never before', () => {
    fc.assert(
      fc.property(config, steps, (cfg, gaps) => {
        const bucket = new TokenBucket(cfg, 0);
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          while (bucket.take(now));
          const ready = bucket.readyAt(now);
          expect(ready).toBeGreaterThan(now);
          if (ready - 1 > now) expect(bucket.available(ready - 1)).toBe(0);
          expect(bucket.take(ready)).toBe(true);
          now = ready;
        }
      }),
    );
  });

  it('property: it never holds more than its capacity, and a clock going back takes nothing', () => {
    fc.assert(
      fc.property(config, steps, fc.integer({ min: 1, max: 10_000 }), (cfg, gaps, back) => {
        const bucket = new TokenBucket(cfg, 0);
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          expect(bucket.available(now)).toBeLessThanOrEqual(cfg.capacity);
        }
        const before = bucket.available(now);
        expect(bucket.available(now - back)).toBe(before);
      }),
    );
  });

  it('refuses a capacity or rate it cannot honour', () => {
    for (const bad of [
      { capacity: 0, refillPerSecond: 1 },
      { capacity: 1.5, refillPerSecond: 1 },
      { capacity: 1, refillPerSecond: 0 },
      { capacity: 1, refillPerSecond: Number.NaN },
      { capacity: 1, refillPerSecond: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => new TokenBucket(bad, 0)).toThrow(RangeError);
    }
  });
});

const packetsOf = (channels: readonly number[]): Packet[] =>
  channels.map((channel, i) => ({ channel, data: Uint8Array.of(i & 255, i >> 8) }));

describe('InboundPackets', () => {
  it('property: every packet comes out exactly once, in order, at most a slice per call', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 50 }),
        (channels, perSlice, capacity, gaps) => {
          const chatMessages = { capacity, refillPerSecond: 100 };
          const queue = new InboundPackets({ packetsPerSlice: perSlice, chatMessages }, 0);
          const input = packetsOf(channels);
          queue.push(input);
          const out: Packet[] = [];
          let now = 0;
          for (let call = 0; queue.pending > 0; call++) {
            const slice = [...queue.slice(now, (channel) => channel === 1)];
            expect(slice.length).toBeLessThanOrEqual(perSlice);
            out.push(...slice);
            if (queue.pending > 0 && queue.blockedUntil !== undefined) {
              expect(queue.blockedUntil).toBeGreaterThan(now);
              now = queue.blockedUntil + (gaps[call % gaps.length] as number);
            }
          }
          expect(out).toEqual(input);
        },
      ),
    );
  });

  it('stops at a chat packet over budget, holding the packets after it (no reordering)', () => {
    const chatMessages = { capacity: 2, refillPerSecond: 10 };
    const queue = new InboundPackets({ packetsPerSlice: 100, chatMessages }, 0);
    queue.push(packetsOf([1, 1, 1, 2, 0]));
    expect([...queue.slice(0, (c) => c === 1)]).toHaveLength(2);
    expect(queue.pending).toBe(3);
    expect(queue.blockedUntil).toBe(100);
    expect([...queue.slice(99, (c) => c === 1)]).toHaveLength(0);
    expect([...queue.slice(100, (c) => c === 1)].map((p) => p.channel)).toEqual([1, 2, 0]);
    expect(queue.blockedUntil).toBeUndefined();
  });

  it('never counts file or control packets against the chat budget', () => {
    const chatMessages = { capacity: 1, refillPerSecond: 1 };
    const queue = new InboundPackets({ packetsPerSlice: 10_000, chatMessages }, 0);
    queue.push(packetsOf(Array.from({ length: 5_000 }, (_, i) => (i % 2 === 0 ? 3 : 0))));
    expect([...queue.slice(0, (c) => c === 1)]).toHaveLength(5_000);
  });

  it('refuses a slice below one packet', () => {
    for (const packetsPerSlice of [0, -1, 2.5, Number.NaN]) {
      expect(() => new InboundPackets({ ...UNLIMITED_INBOUND, packetsPerSlice }, 0)).toThrow(
        RangeError,
      );
    }
  });
});

/** Known contacts over the sans-IO harness; Bob (the server) runs Sotto's inbound limits. */
function burst(messages: number): { pair: Pair; clock: FakeClock; chunk: Uint8Array } {
  const clock = new FakeClock();
  const pair = new Pair({ clock, known: true, server: { inbound: SOTTO_INBOUND_LIMITS } });
  pair.connectAsContacts();
  for (let i = 0; i < messages; i++) pair.client.conn.sendChatMessage(LONGEST);
  // What a Ricochet Refresh peer does after a reconnect: every queued message back to back.
  const frames: Uint8Array[] = [];
  for (let f = pair.client.conn.takeOutput(); f.length > 0; f = pair.client.conn.takeOutput()) {
    frames.push(...f);
  }
  return { pair, clock, chunk: Uint8Array.from(Buffer.concat(frames)) };
}

describe('a Sotto connection with the inbound budget, given a Ricochet Refresh burst', () => {
  it('handles 500 queued 2,000-unit messages in slices, without waiting for the clock', () => {
    const { pair, chunk } = burst(500);
    const server = pair.server;
    server.conn.receive(chunk);
    server.drainEvents();
    // One receive() of the whole burst handles one bounded slice; the rest waits its turn.
    expect(server.conn.hasPendingInput).toBe(true);
    expect(server.of('chat-message').length).toBeLessThan(500);
    expect(server.of('chat-message').length).toBeLessThanOrEqual(
      SOTTO_INBOUND_LIMITS.packetsPerSlice,
    );
    let calls = 1;
    while (server.conn.hasPendingInput) {
      expect(server.conn.inputBlockedUntil).toBeUndefined();
      server.conn.continueInput();
      calls++;
    }
    server.drainEvents();
    expect(calls).toBeGreaterThanOrEqual(500 / SOTTO_INBOUND_LIMITS.packetsPerSlice);
    expect(server.of('chat-message').map((e) => e.text)).toEqual(Array(500).fill(LONGEST));
    pair.pump();
    const acks = pair.client.of('chat-ack');
    expect(acks).toHaveLength(500);
    expect(acks.every((a) => a.accepted)).toBe(true);
  });

  it('past the budget the rest waits for tokens, then all arrive once, in order, acked', () => {
    const { pair, clock, chunk } = burst(620);
    const server = pair.server;
    const sentIds: number[] = [];
    server.conn.receive(chunk);
    while (server.conn.hasPendingInput && server.conn.inputBlockedUntil === undefined) {
      server.conn.continueInput();
    }
    server.drainEvents();
    expect(server.of('chat-message')).toHaveLength(500);
    let waits = 0;
    while (server.conn.hasPendingInput) {
      const until = server.conn.inputBlockedUntil;
      if (until !== undefined) {
        waits++;
        server.conn.continueInput(); // too early: nothing is handled, nothing is refused
        expect(server.conn.inputBlockedUntil).toBe(until);
        clock.t = until;
      }
      server.conn.continueInput();
    }
    server.drainEvents();
    expect(waits).toBeGreaterThanOrEqual(100);
    const received = server.of('chat-message');
    expect(received.map((e) => e.text)).toEqual(Array(620).fill(LONGEST));
    for (const e of received) sentIds.push(e.id);
    expect(new Set(sentIds).size).toBe(620);
    expect(server.of('closing')).toHaveLength(0);
    pair.pump();
    const acks = pair.client.of('chat-ack');
    expect(acks.map((a) => a.id)).toEqual(sentIds);
    expect(acks.every((a) => a.accepted)).toBe(true);
  });
});
