import { describe, expect, it } from 'vitest';
import { ContactBook } from '../../src/contacts/contact-book.js';
import { IncomingRequests } from '../../src/contacts/incoming-requests.js';
import { Conversations } from '../../src/core/conversation.js';
import { SendQueue, outgoingView } from '../../src/core/send-queue.js';
import {
  type CoreModels,
  fromVaultSections,
  toVaultSections,
} from '../../src/core/vault-bridge.js';
import { emptyVaultState, validateVaultState } from '../../src/profile/vault-state.js';
import { ricochetId } from '../support/ricochet-ids.js';

const [ALICE, BOB, CAROL, DAVE, EVE, MALLORY, TRENT] = [1, 2, 3, 4, 5, 6, 7].map(ricochetId) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

function buildModels(): CoreModels {
  const book = new ContactBook();
  book.addAccepted(ALICE, 'Alice', 100);
  book.setHistoryEnabled(ALICE, true);
  book.addAccepted(BOB, 'Bob', 200); // history off
  book.addOutgoing(CAROL, 'Carol', 'hi Carol', 300);
  book.requestRejected(CAROL, 'closed-while-pending');
  book.addOutgoing(DAVE, 'Dave', 'hi Dave', 400);
  book.requestFailed(DAVE, 'tor: host unreachable');
  book.block(BOB);
  const requests = new IncomingRequests(0);
  requests.add(EVE, '', 'let me in', 500);
  requests.add(MALLORY, '', 'spam', 600);
  requests.reject(MALLORY);
  requests.block(TRENT);
  requests.blockUnknown = true;
  const conversations = new Conversations();
  const queues = new Map<string, SendQueue>();
  const qa = new SendQueue();
  const m1 = qa.enqueue('delivered one', 1000);
  const m2 = qa.enqueue('still pending', 2000);
  qa.onConnected(() => 0.5);
  const wire = qa.takeSendable(3000);
  const delivered = qa.onAck(wire[0]!.wireId, true)!;
  conversations.of(ALICE).recordOutgoing(outgoingView(ALICE, delivered));
  conversations.of(ALICE).recordOutgoing(outgoingView(ALICE, qa.get(m2.localId)!));
  conversations.of(ALICE).receive(99, 'hello from Alice', -2, 4000);
  conversations.of(BOB).receive(5, 'secret, not saved', 0, 4000);
  queues.set(ALICE, qa);
  expect(m1.localId).toBe(1);
  return { book, requests, queues, conversations };
}

describe('vault bridge', () => {
  it('writes sections that the vault validator accepts, and reads them back', () => {
    const models = buildModels();
    const sections = toVaultSections(models, 9999);
    const { blockUnknown, ...rest } = sections;
    const state = {
      ...emptyVaultState({ expandedKey: Buffer.alloc(64, 1).toString('base64') }),
      ...rest,
      settings: { historyDefault: false, blockUnknown },
    };
    const checked = validateVaultState(JSON.parse(JSON.stringify(state)));
    expect(JSON.stringify(checked)).not.toContain('secret, not saved');
    expect(checked.contacts.map((c) => c.nickname).sort()).toEqual(['Alice', 'Bob']);
    expect(checked.outgoingRequests.map((r) => r.state)).toEqual(['rejected', 'failed']);

    const back = fromVaultSections({ ...checked, blockUnknown: checked.settings.blockUnknown }, 0);
    expect(back.book.list()).toEqual(models.book.list().map((c) => ({ ...c, unread: 0 })));
    expect(back.book.get(CAROL)?.rejection).toBe('closed-while-pending');
    expect(back.book.get(DAVE)?.requestMessage).toBe('hi Dave');
    expect(back.requests.list()).toEqual(models.requests.list());
    expect(back.requests.isRejected(MALLORY)).toBe(true);
    expect(back.requests.isBlocked(TRENT)).toBe(true);
    expect(back.requests.blockUnknown).toBe(true);
    expect(back.conversations.of(ALICE).list()).toEqual(models.conversations.of(ALICE).list());
    expect(back.conversations.of(BOB).size).toBe(0);
    const q = back.queues.get(ALICE)!;
    expect(q.list().map((m) => [m.localId, m.text, m.wireId])).toEqual([
      [2, 'still pending', models.queues.get(ALICE)!.get(2)!.wireId],
    ]);
    // new local ids never collide with saved history
    expect(q.enqueue('new', 5000).localId).toBe(3);
  });

  it('gives a contact with saved outgoing history but no queue a queue past those ids', () => {
    const models = buildModels();
    const qa = models.queues.get(ALICE)!;
    qa.discard(2);
    const sections = toVaultSections(models, 0);
    expect(sections.queues).toEqual({});
    const back = fromVaultSections(sections, 0);
    expect(back.queues.get(ALICE)?.enqueue('x', 0).localId).toBe(3);
  });
});
