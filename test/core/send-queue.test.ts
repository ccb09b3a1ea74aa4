import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SendQueue,
  SendQueueFormatError,
  SendQueueFullError,
  UnknownMessageError,
  outgoingView,
  timeDeltaSeconds,
  type WireChatMessage,
} from '../../src/core/send-queue.js';
import { InvalidMessageTextError } from '../../src/contacts/text-rules.js';

const A = `ricochet:${'a'.repeat(56)}`;

describe('timeDeltaSeconds', () => {
  it('is whole seconds, never positive, 0 when sent at once or the clock went back', () => {
    expect(timeDeltaSeconds(1000, 1000)).toBe(0);
    expect(Object.is(timeDeltaSeconds(1000, 1999), 0)).toBe(true);
    expect(timeDeltaSeconds(1000, 2000)).toBe(-1);
    expect(timeDeltaSeconds(0, 90_500)).toBe(-90);
    expect(timeDeltaSeconds(5000, 0)).toBe(0);
  });
});

describe('SendQueue', () => {
  it('queues, sends with a random first wire id, then increasing ids, and delivers on ack', () => {
    const q = new SendQueue();
    const m1 = q.enqueue('hello', 0);
    const m2 = q.enqueue('world', 1000);
    expect([m1.localId, m2.localId]).toEqual([1, 2]);
    expect(q.takeSendable(0)).toEqual([]); // not connected
    q.onConnected(() => 0.5);
    const wire = q.takeSendable(5000);
    expect(wire).toEqual([
      { localId: 1, wireId: 2 ** 31, text: 'hello', timeDelta: -5 },
      { localId: 2, wireId: 2 ** 31 + 1, text: 'world', timeDelta: -4 },
    ]);
    expect(q.takeSendable(6000)).toEqual([]); // each message once per connection
    expect(q.get(1)?.state).toBe('sent');
    expect(q.onAck(2 ** 31, true)?.state).toBe('delivered');
    expect(q.onAck(2 ** 31, true)).toBeUndefined(); // duplicate ack
    expect(q.onAck(12345, true)).toBeUndefined(); // unknown ack
    expect(q.pendingCount).toBe(1);
    expect(outgoingView(A, q.get(2)!)).toMatchObject({ id: 2, direction: 'out', state: 'sent' });
  });

  it('re-sends unacked messages with the same wire id on the next connection', () => {
    const q = new SendQueue();
    q.enqueue('hi', 0);
    q.onConnected(() => 0.25);
    const [first] = q.takeSendable(0);
    q.onDisconnected();
    q.onConnected(() => 0.75);
    const [again] = q.takeSendable(61_000);
    expect(again?.wireId).toBe(first?.wireId);
    expect(again?.timeDelta).toBe(-61);
    expect(q.get(1)?.attempts).toBe(2);
  });

  it('never hands out wire id 0 and skips ids still in use', () => {
    const q = new SendQueue();
    q.enqueue('a', 0);
    q.onConnected(() => 1 - 2 ** -40);
    const [a] = q.takeSendable(0);
    q.onDisconnected();
    q.enqueue('b', 0);
    q.onConnected(() => 1 - 2 ** -40);
    const wire = q.takeSendable(0);
    expect(a?.wireId).toBe(2 ** 32 - 1);
    expect(wire.map((w) => w.wireId)).toEqual([a?.wireId, 1]);
    expect(wire.every((w) => w.wireId > 0 && w.wireId < 2 ** 32)).toBe(true);
  });

  it('fails after the attempt limit, and a user retry keeps the wire id', () => {
    const q = new SendQueue({ maxAttempts: 2 });
    q.enqueue('x', 0);
    q.onConnected(() => 0.1);
    const id = q.takeSendable(0)[0]?.wireId;
    expect(q.onDisconnected()).toEqual([]);
    q.onConnected(() => 0.2);
    q.takeSendable(0);
    expect(q.onDisconnected().map((m) => m.state)).toEqual(['failed']);
    q.onConnected(() => 0.3);
    expect(q.takeSendable(0)).toEqual([]);
    expect(q.retry(1).state).toBe('queued');
    expect(q.takeSendable(0)[0]?.wireId).toBe(id);
    expect(() => q.retry(99)).toThrow(UnknownMessageError);
  });

  it('a refused message fails at once; a retry gets a fresh wire id', () => {
    const q = new SendQueue();
    q.enqueue('x', 0);
    q.onConnected(() => 0.1);
    const id = q.takeSendable(0)[0]!.wireId;
    expect(q.onAck(id, false)).toMatchObject({ state: 'failed', failReason: 'refused' });
    q.retry(1);
    expect(q.get(1)?.wireId).toBeUndefined();
    expect(q.takeSendable(0)[0]?.wireId).not.toBe(id);
  });

  it('can start past the local ids already used by saved history', () => {
    expect(new SendQueue({ firstLocalId: 42 }).enqueue('x', 0).localId).toBe(42);
    expect(() => new SendQueue({ firstLocalId: 0 })).toThrow(RangeError);
  });

  it('validates text and bounds the queue with a typed error', () => {
    const q = new SendQueue({ maxPending: 2 });
    expect(() => q.enqueue('', 0)).toThrow(InvalidMessageTextError);
    expect(() => q.enqueue('x'.repeat(2001), 0)).toThrow(InvalidMessageTextError);
    q.enqueue('x'.repeat(2000), 0);
    q.enqueue('y', 0);
    expect(() => q.enqueue('z', 0)).toThrow(SendQueueFullError);
    expect(q.discard(1)).toBe(true);
    expect(q.discard(1)).toBe(false);
    expect(q.enqueue('z', 0).localId).toBe(3);
  });

  it('survives a restart: state round-trips and unacked messages are re-sent with their id', () => {
    const q = new SendQueue();
    q.enqueue('one', 0);
    q.enqueue('two', 0);
    q.onConnected(() => 0.5);
    const wire = q.takeSendable(0);
    q.onAck(wire[1]!.wireId, true);
    const saved = JSON.parse(JSON.stringify(q.toState())) as unknown;
    const r = SendQueue.fromState(saved);
    expect(r.toState()).toEqual(q.toState());
    expect(r.connected).toBe(false);
    r.onConnected(() => 0.5);
    const again = r.takeSendable(3000);
    expect(again).toEqual([{ localId: 1, wireId: wire[0]!.wireId, text: 'one', timeDelta: -3 }]);
    // a new message does not reuse the delivered message's wire id
    r.enqueue('three', 3000);
    expect(r.takeSendable(3000)[0]?.wireId).not.toBe(wire[1]!.wireId);
    expect(r.enqueue('four', 0).localId).toBe(4);
  });

  it('rejects malformed saved state with SendQueueFormatError only', () => {
    const base = { version: 1, nextLocalId: 2, recentWireIds: [] };
    const msg = { localId: 1, text: 'a', composedAt: 0, state: 'queued', attempts: 0 };
    for (const bad of [
      { ...base, messages: [{ ...msg, localId: 2 }] },
      { ...base, messages: [{ ...msg, text: '' }] },
      { ...base, messages: [msg, msg] },
      { ...base, messages: [{ ...msg, state: 'delivered' }] },
      { ...base, messages: [{ ...msg, wireId: 0 }] },
      { ...base, recentWireIds: [-1], messages: [] },
    ]) {
      expect(() => SendQueue.fromState(bad)).toThrow(SendQueueFormatError);
    }
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          SendQueue.fromState(v);
        } catch (e) {
          expect(e).toBeInstanceOf(SendQueueFormatError);
        }
      }),
    );
  });

  it('property: exactly-once delivery under random reconnects, losses, duplicates and acks', () => {
    const op = fc.oneof(
      fc.constant({ k: 'enqueue' as const }),
      fc.record({
        k: fc.constant('connect' as const),
        r: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      fc.constant({ k: 'send' as const }),
      fc.record({ k: fc.constant('deliver' as const), i: fc.nat(), dup: fc.boolean() }),
      fc.record({ k: fc.constant('drop' as const), i: fc.nat() }),
      fc.record({ k: fc.constant('ack' as const), i: fc.nat(), dup: fc.boolean() }),
      fc.record({ k: fc.constant('lose-ack' as const), i: fc.nat() }),
      fc.constant({ k: 'disconnect' as const }),
      fc.record({ k: fc.constant('retry' as const), i: fc.nat() }),
      fc.constant({ k: 'restart' as const }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 20, maxLength: 200, size: 'max' }),
        fc.nat(1000),
        (ops, seed) => {
          let q = new SendQueue({ maxAttempts: 3 });
          let rnd = seed;
          const random = (): number => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
          const seenByPeer = new Set<number>(); // receiver's duplicate filter (by wire id)
          const received: number[] = []; // local ids the receiver showed to its user
          let wire: WireChatMessage[] = [];
          let acks: number[] = [];
          let now = 0;
          const deliver = (m: WireChatMessage): void => {
            if (!seenByPeer.has(m.wireId)) {
              seenByPeer.add(m.wireId);
              received.push(m.localId);
            }
            acks.push(m.wireId); // the receiver acks duplicates too
          };
          const pick = <T>(xs: T[], i: number): T | undefined => xs[i % Math.max(1, xs.length)];
          for (const o of ops) {
            now += 1000;
            if (o.k === 'enqueue' && q.pendingCount < q.options.maxPending)
              q.enqueue(`m${now}`, now);
            if (o.k === 'connect' && !q.connected) q.onConnected(() => o.r);
            if (o.k === 'send') wire.push(...q.takeSendable(now));
            if (o.k === 'deliver') {
              const m = pick(wire, o.i);
              if (m !== undefined) {
                deliver(m);
                if (o.dup) deliver(m);
                else wire = wire.filter((x) => x !== m);
              }
            }
            if (o.k === 'drop') wire = wire.filter((x) => x !== pick(wire, o.i));
            if (o.k === 'ack' && q.connected) {
              const a = pick(acks, o.i);
              if (a !== undefined) {
                q.onAck(a, true);
                if (!o.dup) acks = acks.filter((x) => x !== a);
              }
            }
            if (o.k === 'lose-ack') acks = acks.filter((x) => x !== pick(acks, o.i));
            if (o.k === 'disconnect' || o.k === 'restart') {
              q.onDisconnected();
              wire = [];
              acks = [];
            }
            if (o.k === 'restart') q = SendQueue.fromState(JSON.parse(JSON.stringify(q.toState())));
            if (o.k === 'retry') {
              const failed = q.list().filter((m) => m.state === 'failed');
              const m = pick(failed, o.i);
              if (m !== undefined) q.retry(m.localId);
            }
            // a wire id is never shared by two undelivered messages
            const ids = q.list().flatMap((m) => (m.wireId === undefined ? [] : [m.wireId]));
            expect(new Set(ids).size).toBe(ids.length);
          }
          // Finally: retry everything that failed, then one perfect connection.
          q.onDisconnected();
          for (const m of q.list()) if (m.state === 'failed') q.retry(m.localId);
          q.onConnected(random);
          for (const m of q.takeSendable(now)) {
            deliver(m);
            q.onAck(m.wireId, true);
          }
          expect(q.pendingCount).toBe(0);
          const expectedIds = [...new Set(received)];
          expect(received).toEqual(expectedIds); // nobody saw a message twice
          expect(received.length).toBe(q.toState().nextLocalId - 1); // and every message arrived
        },
      ),
      { numRuns: 300 },
    );
  });
});
