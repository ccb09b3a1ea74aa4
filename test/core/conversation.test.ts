import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Conversation, Conversations } from '../../src/core/conversation.js';
import { InvalidMessageTextError } from '../../src/contacts/text-rules.js';
import type { MessageView } from '../../src/api/core-api.js';

const A = `ricochet:${'a'.repeat(56)}`;
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
  it('forgets the conversation of a removed contact', () => {
    const all = new Conversations();
    all.of(A).receive(1, 'keep me', -1, 10);
    all.forget(A);
    expect(all.of(A).size).toBe(0);
  });

  it('restores saved history verbatim, and its incoming ids count as seen', () => {
    const all = new Conversations();
    const saved = [
      { id: 7, direction: 'in', text: 'a', at: 1, timeDelta: -3, state: 'delivered' },
      {
        id: 7,
        direction: 'in',
        text: 'a later message reusing the id',
        at: 2,
        timeDelta: 0,
        state: 'delivered',
      },
      { id: 1, direction: 'out', text: 'b', at: 3, timeDelta: 0, state: 'failed' },
    ] as const;
    all.of(A).restore(saved);
    expect(all.of(A).list()).toEqual(saved.map((m) => ({ ...m, address: A })));
    expect(all.of(A).receive(7, 'a re-send after the restart', 0, 4)).toBeUndefined();
  });
});

describe('Conversations.receive: a conversation whose saved history waits in its log', () => {
  const savedIn = (): { all: Conversations; loaded: () => void } => {
    const all = new Conversations();
    let loaded = (): void => undefined;
    const log = new Promise<void>((resolve) => (loaded = resolve));
    const saved = [
      { id: 7, direction: 'in', text: 'saved', at: 1, timeDelta: 0, state: 'delivered' },
    ] as const;
    all.savedIn([A], () => log.then(() => saved));
    return { all, loaded };
  };

  it('accepts a message only once the saved ids are in: a re-send of a saved one is not shown', async () => {
    const { all, loaded } = savedIn();
    const shown: string[] = [];
    const show = (m: MessageView): void => void shown.push(m.text);
    expect(all.receive(A, { id: 7, text: 'saved', timeDelta: 0 }, 5, show)).toBeInstanceOf(Promise);
    void all.receive(A, { id: 8, text: 'new', timeDelta: 0 }, 6, show);
    expect(() => all.receive(A, { id: 9, text: '', timeDelta: 0 }, 6, show)).toThrow(
      InvalidMessageTextError,
    );
    expect(shown).toEqual([]); // nothing accepted before the log is read
    loaded();
    await all.loadsSettled();
    expect(shown).toEqual(['new']);
    expect(
      all
        .of(A)
        .list()
        .map((m) => [m.id, m.text]),
    ).toEqual([
      [7, 'saved'],
      [8, 'new'],
    ]);
    // Loaded: the next message is accepted at once.
    expect(all.receive(A, { id: 10, text: 'at once', timeDelta: 0 }, 7, show)).toBeUndefined();
    expect(shown).toEqual(['new', 'at once']);
  });

  it('keeps the order of arrival, also when the history is cleared while messages wait', async () => {
    const { all, loaded } = savedIn();
    const shown: number[] = [];
    const show = (m: MessageView): void => void shown.push(m.id);
    void all.receive(A, { id: 20, text: 'first', timeDelta: 0 }, 1, show);
    all.of(A).clear(); // the user clears the history: the conversation counts as loaded
    void all.receive(A, { id: 21, text: 'second', timeDelta: 0 }, 2, show);
    loaded();
    await all.loadsSettled();
    expect(shown).toEqual([20, 21]);
    expect(
      all
        .of(A)
        .list()
        .map((m) => m.id),
    ).toEqual([20, 21]);
  });

  it('drops a message still waiting when its contact is removed', async () => {
    const { all, loaded } = savedIn();
    const shown: number[] = [];
    void all.receive(A, { id: 30, text: 'too late', timeDelta: 0 }, 1, (m) => shown.push(m.id));
    all.forget(A); // the user removes the contact while its log is read
    loaded();
    await all.loadsSettled();
    expect(shown).toEqual([]);
    expect(all.of(A).list()).toEqual([]);
  });
});
