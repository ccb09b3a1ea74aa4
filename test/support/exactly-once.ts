// Exactly-once checks shared by the circuit-move tests (loopback and over tor): every text that
// reached a peer's conversation, duplicates included (a call-through spy on Conversation.receive:
// the UI's message events hide a re-sent copy), and the wire ids the sender saw delivered.
import { expect, vi } from 'vitest';
import { Conversation } from '../../src/core/conversation.js';

export interface ConversationReceipts {
  /** Asserts each text reached a conversation exactly once (nothing re-sent on a new link). */
  expectEachOnce(texts: readonly string[]): void;
}

/** Starts watching Conversation.receive (the real method still runs); restoreAllMocks ends it. */
export function watchConversationReceipts(): ConversationReceipts {
  const spy = vi.spyOn(Conversation.prototype, 'receive');
  return {
    expectEachOnce(texts) {
      expect(texts.length, 'texts to check').toBeGreaterThan(0);
      for (const t of texts)
        expect(
          spy.mock.calls.filter((c) => c[1] === t),
          t,
        ).toHaveLength(1);
    },
  };
}

/** Asserts the sender saw `count` deliveries, each with its own wire id. */
export function expectDeliveredOnce(ids: readonly number[], count: number): void {
  expect(new Set(ids).size).toBe(count);
  expect(ids).toHaveLength(count);
}
