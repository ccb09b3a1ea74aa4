import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Conversation,
  ConversationFormatError,
  Conversations,
} from '../../src/core/conversation.js';
import { InvalidMessageTextError } from '../../src/contacts/text-rules.js';
import type { MessageView } from '../../src/api/core-api.js';

const A = `ricochet:${'a'.repeat(56)}`;
const B = `ricochet:${'b'.repeat(56)}`;
const out = (id: number, text: string): MessageView => ({
  address: A,
  id,
  direction: 'out',
  text,
  at: 1,
  timeDelta: 0,
  state: 'queued',
});

describe('Conversation', () => {
  it('records incoming and outgoing messages in order and updates outgoing states', () => {
    const c = new Conversation(A);
    expect(c.receive(77, 'hi', -3, 1000)).toEqual({
      address: A,
      id: 77,
      direction: 'in',
      text: 'hi',
      at: 1000,
      timeDelta: -3,
      state: 'delivered',
    });
    c.recordOutgoing(out(1, 'hello'));
    expect(c.setOutgoingState(1, 'delivered')?.state).toBe('delivered');
    expect(c.setOutgoingState(2, 'delivered')).toBeUndefined();
    expect(c.recordOutgoing({ ...out(1, 'hello'), state: 'sent', timeDelta: -2 })).toMatchObject({
      state: 'sent',
      timeDelta: -2,
    });
    expect(c.list().map((m) => m.text)).toEqual(['hi', 'hello']);
    c.recordOutgoing(out(7, 'later'));
    expect(c.lastOutgoingId()).toBe(7);
    expect(new Conversation(A).lastOutgoingId()).toBe(0);
  });

  it('drops incoming duplicates across reconnects within the window, never id 0', () => {
    const c = new Conversation(A, { dedupWindow: 2 });
    expect(c.receive(5, 'a', 0, 0)).toBeDefined();
    expect(c.receive(5, 'a', 0, 1)).toBeUndefined();
    expect(c.receive(0, 'z', 0, 1)).toBeDefined();
    expect(c.receive(0, 'z', 0, 1)).toBeDefined();
    c.receive(6, 'b', 0, 2);
    c.receive(7, 'c', 0, 3); // window of 2: 5 is forgotten
    expect(c.isDuplicate(5)).toBe(false);
    expect(c.isDuplicate(7)).toBe(true);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.isDuplicate(7)).toBe(true);
  });

  it('validates incoming text and sanitises time_delta', () => {
    const c = new Conversation(A);
    expect(() => c.receive(1, '', 0, 0)).toThrow(InvalidMessageTextError);
    expect(() => c.receive(1, 'x'.repeat(2001), 0, 0)).toThrow(InvalidMessageTextError);
    expect(c.receive(2, 'x', 5, 0)?.timeDelta).toBe(0);
    expect(Object.is(c.receive(3, 'x', -0.5, 0)?.timeDelta, 0)).toBe(true);
    expect(c.receive(4, 'x', NaN, 0)?.timeDelta).toBe(0);
  });

  it('property: the ring never exceeds its bound and keeps the newest messages in order', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.integer({ min: 1, max: 10 }), (n, max) => {
        const c = new Conversation(A, { maxEntries: max, dedupWindow: 5 });
        for (let i = 1; i <= n; i++) {
          if (i % 2 === 0) c.receive(i, `m${i}`, 0, i);
          else c.recordOutgoing(out(i, `m${i}`));
          expect(c.size).toBeLessThanOrEqual(max);
        }
        const texts = c.list().map((m) => m.text);
        const expected = Array.from({ length: n }, (_, i) => `m${i + 1}`).slice(-max);
        expect(texts).toEqual(n === 0 ? [] : expected);
        // evicted outgoing messages cannot be updated any more; kept ones can
        for (let i = 1; i <= n; i += 2) {
          const kept = expected.includes(`m${i}`);
          expect(c.setOutgoingState(i, 'delivered') !== undefined).toBe(kept);
        }
      }),
    );
  });
});

describe('Conversations', () => {
  it('persists only contacts with history enabled and restores them', () => {
    const all = new Conversations();
    all.of(A).receive(1, 'keep me', -1, 10);
    all.of(B).receive(1, 'forget me', 0, 10);
    const state = all.toState((address) => address === A);
    expect(state).toHaveLength(1);
    expect(JSON.stringify(state)).not.toContain('forget me');
    const back = Conversations.fromState(JSON.parse(JSON.stringify(state)));
    expect(back.of(A).list()).toEqual(all.of(A).list());
    expect(back.of(B).size).toBe(0);
    all.forget(A);
    expect(all.of(A).size).toBe(0);
  });

  it('rejects malformed state with ConversationFormatError only', () => {
    const msg = { id: 1, direction: 'in', text: 'a', at: 0, timeDelta: 0, state: 'delivered' };
    for (const bad of [
      {},
      [{ version: 1, address: A, messages: [{ ...msg, timeDelta: 1 }] }],
      [{ version: 1, address: A, messages: [{ ...msg, text: '' }] }],
      [{ version: 1, address: A, messages: [{ ...msg, direction: 'sideways' }] }],
      [
        { version: 1, address: A, messages: [] },
        { version: 1, address: A, messages: [] },
      ],
    ]) {
      expect(() => Conversations.fromState(bad)).toThrow(ConversationFormatError);
    }
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          Conversations.fromState(v);
        } catch (e) {
          expect(e).toBeInstanceOf(ConversationFormatError);
        }
      }),
    );
  });
});
