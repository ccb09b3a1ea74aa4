import { describe, expect, it } from 'vitest';
import {
  ContactBook,
  ContactBookFullError,
  ContactExistsError,
  SelfContactError,
  UnknownContactError,
} from '../../src/contacts/contact-book.js';
import { InvalidNicknameError } from '../../src/contacts/text-rules.js';

import { ricochetId } from '../support/ricochet-ids.js';

const addr = (c: string): string => ricochetId(c.charCodeAt(0));
const A = addr('a');
const B = addr('b');
const SELF = addr('s');

describe('ContactBook', () => {
  it('takes an outgoing request from pending to accepted', () => {
    const book = new ContactBook({ self: SELF });
    expect(book.addOutgoing(A, 'Alice', 'hi, it is Bob', 1000)).toEqual([
      { type: 'contact', address: A, status: 'request-pending', nickname: 'Alice' },
    ]);
    expect(book.get(A)?.requestMessage).toBe('hi, it is Bob');
    expect(book.requestAccepted(A)).toEqual([
      { type: 'contact', address: A, status: 'offline', nickname: 'Alice' },
    ]);
    expect(book.get(A)?.requestMessage).toBeUndefined();
    expect(book.setOnline(A, true)).toEqual([{ type: 'online', address: A }]);
    expect(book.view(A).status).toBe('online');
    expect(book.setOnline(A, true)).toEqual([]);
    expect(book.requestAccepted(A)).toEqual([]);
  });

  it('keeps "closed while pending" distinguishable from an explicit rejection and a failure', () => {
    const book = new ContactBook();
    book.addOutgoing(A, 'Alice', '', 0);
    book.addOutgoing(B, 'Bob', '', 0);
    book.requestRejected(A, 'closed-while-pending');
    book.requestRejected(B, 'explicit');
    expect(book.view(A).status).toBe('request-rejected');
    expect(book.get(A)?.rejection).toBe('closed-while-pending');
    expect(book.get(B)?.rejection).toBe('explicit');
    expect(book.view(A).lastError).toMatch(/likely rejected/);
    const C = addr('c');
    book.addOutgoing(C, 'Carol', 'x', 0);
    expect(book.requestFailed(C, 'tor: host unreachable')).toHaveLength(1);
    expect(book.requestFailed(C, 'tor: host unreachable')).toEqual([]);
    expect(book.view(C)).toMatchObject({
      status: 'request-failed',
      lastError: 'tor: host unreachable',
    });
    expect(book.requestFailed(A, 'x')).toEqual([]); // a rejection is not downgraded to a failure
    expect(book.retryRequest(A)[0]).toMatchObject({ status: 'request-pending' });
    expect(book.get(A)?.rejection).toBeUndefined();
  });

  it('presence only for accepted, unblocked contacts', () => {
    const book = new ContactBook();
    book.addOutgoing(A, 'Alice', '', 0);
    expect(book.setOnline(A, true)).toEqual([]);
    expect(book.setOnline(B, true)).toEqual([]);
  });

  it('detects "removed us" only for accepted contacts', () => {
    const book = new ContactBook();
    book.addOutgoing(A, 'Alice', '', 0);
    expect(book.authenticatedAsUnknown(A)).toEqual([]);
    expect(book.view(A).status).toBe('request-pending');
    book.addAccepted(B, 'Bob', 0);
    book.setOnline(B, true);
    expect(book.authenticatedAsUnknown(B)).toEqual([
      { type: 'contact', address: B, status: 'removed-us', nickname: 'Bob' },
    ]);
    expect(book.get(B)?.online).toBe(false);
    expect(book.authenticatedAsUnknown(addr('z'))).toEqual([]);
    // connecting back as known again implicitly re-accepts
    expect(book.requestAccepted(B)[0]).toMatchObject({ status: 'offline' });
  });

  it('renames with validation, removes, blocks and unblocks', () => {
    const book = new ContactBook();
    book.addAccepted(A, 'Alice', 0);
    expect(() => book.rename(A, 'A<script>')).toThrow(InvalidNicknameError);
    expect(book.rename(A, 'Ally')[0]).toMatchObject({ nickname: 'Ally' });
    expect(book.rename(A, 'Ally')).toEqual([]);
    book.setOnline(A, true);
    expect(book.block(A)).toEqual([
      { type: 'offline', address: A },
      { type: 'contact', address: A, status: 'blocked', nickname: 'Ally' },
    ]);
    expect(book.setOnline(A, true)).toEqual([]);
    expect(book.wantsConnection(A)).toBe(false);
    expect(book.unblock(A)[0]).toMatchObject({ status: 'offline' });
    expect(book.wantsConnection(A)).toBe(true);
    expect(book.remove(A)).toEqual([{ type: 'contact-removed', address: A }]);
    expect(() => book.remove(A)).toThrow(UnknownContactError);
    expect(() => book.rename(A, 'x')).toThrow(UnknownContactError);
  });

  it('refuses duplicates, self, bad addresses, bad nicknames and overflow', () => {
    const book = new ContactBook({ self: SELF, maxContacts: 2 });
    book.addAccepted(A, 'Alice', 0);
    expect(() => book.addOutgoing(A, 'Alice', '', 0)).toThrow(ContactExistsError);
    expect(() => book.addOutgoing(SELF, 'me', '', 0)).toThrow(SelfContactError);
    expect(() => book.addOutgoing('ricochet:AAAA', 'x', '', 0)).toThrow(/canonical/);
    const badChecksum = `ricochet:${'a'.repeat(55)}d`;
    expect(() => book.addOutgoing(badChecksum, 'x', '', 0)).toThrow(/canonical/);
    expect(() => book.addOutgoing(A.slice(9), 'x', '', 0)).toThrow(/canonical/);
    expect(() => book.addOutgoing(B, 'x&y', '', 0)).toThrow(InvalidNicknameError);
    expect(() => book.addOutgoing(B, 'B', 'x'.repeat(2001), 0)).toThrow(/2000/);
    book.addAccepted(B, 'Bob', 0);
    expect(() => book.addAccepted(addr('c'), 'C', 0)).toThrow(ContactBookFullError);
  });

  it('counts unread and history opt-in', () => {
    const book = new ContactBook();
    book.addAccepted(A, 'Alice', 0);
    expect(book.historyEnabled(A)).toBe(false);
    book.setHistoryEnabled(A, true);
    expect(book.addUnread(A)).toBe(1);
    expect(book.addUnread(A)).toBe(2);
    expect(book.view(A)).toMatchObject({ unread: 2, historyEnabled: true });
    book.markRead(A);
    expect(book.view(A).unread).toBe(0);
  });
});
