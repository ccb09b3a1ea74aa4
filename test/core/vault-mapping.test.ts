// Vault state ↔ core models: a round trip keeps contacts, request states, blocks, rejections,
// incoming requests, queued messages (with their wire ids) and opted-in history; the result always
// passes the vault's strict validator; bad entries are skipped, not fatal.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  modelFromVault,
  safeNickname,
  toAddress,
  vaultFromModel,
} from '../../src/core/vault-mapping.js';
import { validateNickname } from '../../src/contacts/text-rules.js';
import { SendQueue, outgoingView } from '../../src/core/send-queue.js';
import {
  CLOSED_WHILE_PENDING_TEXT,
  EXPLICIT_REJECTION_TEXT,
} from '../../src/contacts/contact-book.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { emptyVaultState, validateVaultState } from '../../src/profile/vault-state.js';
import { decodeVaultState, encodeVaultState } from '../../src/profile/vault-state-json.js';

const ids = Array.from({ length: 6 }, () => IdentityKey.generate().serviceId);
const [self, friend, asked, blocked, stranger, rejecter] = ids as [
  string,
  string,
  string,
  string,
  string,
  string,
];

function base() {
  return emptyVaultState({ expandedKey: new Uint8Array(64).fill(1) });
}

describe('vault mapping', () => {
  it('round-trips every part of the state through the models', () => {
    const now = 1_700_000_000_000;
    const { model } = modelFromVault(base(), self, now);
    model.book.addAccepted(toAddress(friend), 'friend', now);
    model.book.setHistoryEnabled(toAddress(friend), true);
    model.book.addOutgoing(toAddress(asked), 'asked', 'please', now);
    model.book.addOutgoing(toAddress(rejecter), 'rej', 'hm', now);
    model.book.requestRejected(toAddress(rejecter), 'explicit');
    model.book.addAccepted(toAddress(blocked), 'blocked', now);
    model.book.block(toAddress(blocked));
    model.requests.block(toAddress(blocked));
    model.requests.add(toAddress(stranger), 'str', 'hello', now);
    model.requests.blockUnknown = true;
    const q = new SendQueue();
    const m1 = q.enqueue('queued one', now);
    q.onConnected(() => 0.5);
    q.takeSendable(now + 2_000); // m1 now carries a wire id
    q.onDisconnected();
    q.enqueue('queued two', now + 5);
    model.queues.set(toAddress(friend), q);
    const conv = model.conversations.of(toAddress(friend));
    conv.receive(77, 'incoming text', -3, now);
    conv.recordOutgoing(outgoingView(toAddress(friend), q.get(m1.localId) ?? m1));

    const small = decodeVaultState(encodeVaultState(vaultFromModel(model, base(), now)));
    expect(small.history).toEqual({}); // history is not in the small state: the logs hold it
    // What the friend's history log replays to (test/profile/history-logs.test.ts covers that).
    const logged = conv.list().map(({ address: _a, ...m }) => m);
    const stored = { ...small, history: { [friend]: logged } };
    const { model: back, skipped } = modelFromVault(stored, self, now);
    expect(skipped).toEqual([]);
    expect(back.book.view(toAddress(friend))).toMatchObject({
      nickname: 'friend',
      historyEnabled: true,
    });
    expect(back.book.view(toAddress(asked)).status).toBe('request-pending');
    expect(back.book.view(toAddress(rejecter)).status).toBe('request-rejected');
    expect(back.book.view(toAddress(blocked)).status).toBe('blocked');
    expect(back.requests.isBlocked(toAddress(blocked))).toBe(true);
    expect(back.requests.list()).toMatchObject([
      { address: toAddress(stranger), message: 'hello' },
    ]);
    expect(back.requests.blockUnknown).toBe(true);
    const restored = back.queues.get(toAddress(friend));
    expect(restored?.list().map((m) => [m.text, m.wireId !== undefined])).toEqual([
      ['queued one', true],
      ['queued two', false],
    ]);
    expect(restored?.list()[0]?.wireId).toBe(q.get(m1.localId)?.wireId);
    const history = back.conversations.of(toAddress(friend)).list();
    expect(history.map((m) => m.text)).toEqual(['incoming text', 'queued one']);
    // A duplicate of the saved incoming message is still recognised after the restart.
    expect(back.conversations.of(toAddress(friend)).isDuplicate(77)).toBe(true);
    // New local ids never collide with saved ones.
    expect(restored?.enqueue('three', now).localId).toBeGreaterThan(2);
  });

  it('skips entries the models refuse instead of failing the whole load', () => {
    const state = {
      ...base(),
      contacts: [
        { serviceId: self, nickname: 'me?', addedAt: 1, historyEnabled: false },
        { serviceId: friend, nickname: 'ok', addedAt: 1, historyEnabled: false },
      ],
    };
    const { model, skipped } = modelFromVault(validateVaultState(state), self, 1);
    expect(skipped).toEqual([`contact ${self}`]);
    expect(model.book.size).toBe(1);
  });

  it("nicknames that today's rules refuse are cleaned, not fatal", () => {
    const state = {
      ...base(),
      contacts: [
        {
          serviceId: friend,
          nickname: '<b>"x"</b>\u202e' + 'y'.repeat(100),
          addedAt: 1,
          historyEnabled: false,
        },
      ],
    };
    const { model, skipped } = modelFromVault(validateVaultState(state), self, 1);
    expect(skipped).toEqual([]);
    const nickname = model.book.view(toAddress(friend)).nickname;
    expect(nickname).not.toMatch(/[<>"&\u202e]/u);
    expect(nickname.length).toBeLessThanOrEqual(30);
  });

  it('restores whether a rejection was explicit or a close while pending', () => {
    const now = 1_700_000_000_000;
    const { model } = modelFromVault(base(), self, now);
    model.book.addOutgoing(toAddress(rejecter), 'rej', 'hm', now);
    model.book.requestRejected(toAddress(rejecter), 'explicit');
    model.book.addOutgoing(toAddress(asked), 'asked', 'please', now);
    model.book.requestRejected(toAddress(asked), 'closed-while-pending');
    const stored = decodeVaultState(encodeVaultState(vaultFromModel(model, base(), now)));
    const { model: back } = modelFromVault(stored, self, now);
    // The kind decides whether the core keeps retrying (closed) or stops (explicit).
    expect(back.book.get(toAddress(rejecter))).toMatchObject({
      state: 'request-rejected',
      rejection: 'explicit',
      lastError: EXPLICIT_REJECTION_TEXT,
    });
    expect(back.book.get(toAddress(asked))).toMatchObject({
      state: 'request-rejected',
      rejection: 'closed-while-pending',
      lastError: CLOSED_WHILE_PENDING_TEXT,
    });
  });

  it('tells the rejection kind of vaults saved before the rejection field by its text', () => {
    const request = (serviceId: string, lastError: string) => ({
      serviceId,
      nickname: 'n',
      message: '',
      createdAt: 1,
      state: 'rejected',
      lastError,
    });
    const state = {
      ...base(),
      outgoingRequests: [
        request(rejecter, EXPLICIT_REJECTION_TEXT),
        request(asked, CLOSED_WHILE_PENDING_TEXT),
      ],
    };
    const { model } = modelFromVault(validateVaultState(state), self, 1);
    expect(model.book.get(toAddress(rejecter))?.rejection).toBe('explicit');
    expect(model.book.get(toAddress(asked))?.rejection).toBe('closed-while-pending');
  });

  it('keeps a contact whose nickname is empty or cleans to nothing, with a placeholder', () => {
    const contact = (serviceId: string, nickname: string) => ({
      serviceId,
      nickname,
      addedAt: 1,
      historyEnabled: false,
    });
    const state = {
      ...base(),
      contacts: [contact(friend, ''), contact(blocked, '<>&"\u202e'), contact(stranger, '   ')],
      outgoingRequests: [
        { serviceId: asked, nickname: '\u0007', message: '', createdAt: 1, state: 'pending' },
      ],
    };
    const { model, skipped } = modelFromVault(validateVaultState(state), self, 1);
    expect(skipped).toEqual([]);
    expect(model.book.size).toBe(4);
    for (const id of [friend, blocked, stranger, asked]) {
      expect(model.book.view(toAddress(id)).nickname).toBe(id.slice(0, 8));
    }
  });

  it('safeNickname always yields a nickname the contact book takes (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (nickname) => {
        const result = safeNickname(nickname, friend);
        expect(() => validateNickname(result)).not.toThrow();
      }),
    );
  });

  it('a failed message stays failed after a restart: it is not re-sent until the user retries', () => {
    const now = 1_700_000_000_000;
    const { model } = modelFromVault(base(), self, now);
    model.book.addAccepted(toAddress(friend), 'friend', now);
    const q = new SendQueue();
    const refused = q.enqueue('refused one', now);
    const waiting = q.enqueue('still queued', now);
    q.onConnected(() => 0.25);
    const [wire] = q.takeSendable(now);
    q.onAck(wire?.wireId ?? 0, false); // the peer refused the first one
    model.queues.set(toAddress(friend), q);
    expect(q.get(refused.localId)?.state).toBe('failed');

    const stored = decodeVaultState(encodeVaultState(vaultFromModel(model, base(), now)));
    const back = modelFromVault(stored, self, now).model.queues.get(toAddress(friend));
    expect(back?.get(refused.localId)).toMatchObject({ state: 'failed', failReason: 'refused' });
    back?.onConnected(() => 0.5);
    // Only the message that never failed goes out again; the failed one waits for a retry.
    expect(back?.takeSendable(now).map((m) => m.text)).toEqual(['still queued']);
    expect(back?.get(waiting.localId)?.state).toBe('sent');
    back?.retry(refused.localId);
    expect(back?.takeSendable(now).map((m) => m.text)).toEqual(['refused one']);
  });
});
