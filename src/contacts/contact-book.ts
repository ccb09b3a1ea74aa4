// The contacts model: each contact's request state, presence, block flag, history opt-in and
// unread count, with the transitions Ricochet v3 implies (notes "Contact requests", "What deployed
// peers actually do"). Sans-IO: every mutation returns the CoreEvents a front end should see.

import type { ContactStatus, ContactView, CoreEvent, RicochetId } from '../api/core-api.js';
import { isWellFormedServiceId } from '../identity/service-id.js';
import { MAX_REQUEST_MESSAGE_UNITS, validateMessageText, validateNickname } from './text-rules.js';
import { LIMITS } from '../schema/limits.js';
import { ContactsError } from './errors.js';

/** Where our relationship with a contact stands (independent of presence and block flag). */
export type ContactState =
  'accepted' | 'request-pending' | 'request-rejected' | 'request-failed' | 'removed-us';

/** Why an outgoing request was judged rejected; the two are kept apart for the UI. */
export type RejectionKind = 'explicit' | 'closed-while-pending';

export interface ContactRecord {
  readonly address: RicochetId;
  nickname: string;
  state: ContactState;
  blocked: boolean;
  online: boolean;
  historyEnabled: boolean;
  unread: number;
  /** The text of our outgoing request, kept so it can be re-sent while the request is open. */
  requestMessage?: string;
  rejection?: RejectionKind;
  lastError?: string;
  addedAt: number;
}

export class ContactBookError extends ContactsError {
  readonly code: string = 'invalid-address';
  override name = 'ContactBookError';
}
export class ContactExistsError extends ContactBookError {
  override readonly code: string = 'contact-exists';
  override name = 'ContactExistsError';
}
export class UnknownContactError extends ContactBookError {
  override readonly code: string = 'unknown-contact';
  override name = 'UnknownContactError';
}
export class SelfContactError extends ContactBookError {
  override readonly code: string = 'self-contact';
  override name = 'SelfContactError';
}
export class ContactBookFullError extends ContactBookError {
  override readonly code: string = 'too-many-contacts';
  override name = 'ContactBookFullError';
}

/** Contacts and outgoing requests together (the saved-data limit, src/schema/limits.ts). */
export const MAX_CONTACTS = LIMITS.contacts;
/**
 * lastError of a refusal at connection level: the peer closed right after authentication, before
 * answering our request (kind `closed-while-pending`, kept for saved vaults). A close after Pending
 * is not a rejection (docs/PROTOCOL.md "Pending requests").
 */
export const CLOSED_WHILE_PENDING_TEXT =
  'the contact closed the connection before answering the request (likely rejected)';
/** lastError of an explicit rejection (the peer answered Rejected). */
export const EXPLICIT_REJECTION_TEXT = 'the contact rejected the request';
const PREFIX = 'ricochet:';

/**
 * True for `ricochet:<service id>` of canonical structure (length, base32, version, checksum).
 * The book does not redo the prime-order key check (about 1 ms an id, tens of seconds for a
 * profile of 10,000 contacts): every address was fully checked where it entered Sotto — typed by
 * the user (`parseRicochetAddress` in commands.ts), proven by an authenticated connection
 * (`verifyAuthProof`), or imported (`parseRicochetSettings`) — and the vault that kept it since is
 * authenticated.
 */
export function isCanonicalRicochetId(address: string): boolean {
  return address.startsWith(PREFIX) && isWellFormedServiceId(address.slice(PREFIX.length));
}

export class ContactBook {
  readonly #contacts = new Map<RicochetId, ContactRecord>();
  readonly #self: RicochetId | undefined;
  readonly #max: number;

  constructor(options: { readonly self?: RicochetId; readonly maxContacts?: number } = {}) {
    this.#self = options.self;
    this.#max = options.maxContacts ?? MAX_CONTACTS;
  }

  get size(): number {
    return this.#contacts.size;
  }

  has(address: RicochetId): boolean {
    return this.#contacts.has(address);
  }

  get(address: RicochetId): ContactRecord | undefined {
    return this.#contacts.get(address);
  }

  view(address: RicochetId): ContactView {
    return toView(this.#require(address));
  }

  list(): ContactView[] {
    return [...this.#contacts.values()].map(toView);
  }

  /** Contacts the connection manager should try to reach (not blocked, not accepted-and-online). */
  wantsConnection(address: RicochetId): boolean {
    const c = this.#contacts.get(address);
    return c !== undefined && !c.blocked && !c.online;
  }

  /** We send a contact request: a new contact in `request-pending`. */
  addOutgoing(address: RicochetId, nickname: string, message: string, now: number): CoreEvent[] {
    validateNickname(nickname);
    validateMessageText(message, MAX_REQUEST_MESSAGE_UNITS, 0);
    const c = this.#insert(address, nickname, 'request-pending', now);
    c.requestMessage = message;
    return [contactEvent(c)];
  }

  /** We accepted their incoming request: a new contact in `accepted`. */
  addAccepted(address: RicochetId, nickname: string, now: number): CoreEvent[] {
    validateNickname(nickname);
    return [contactEvent(this.#insert(address, nickname, 'accepted', now))];
  }

  /** The peer accepted (Response Accepted, or authenticated to us / answered as a known contact). */
  requestAccepted(address: RicochetId): CoreEvent[] {
    const c = this.#require(address);
    if (c.state === 'accepted') return [];
    c.state = 'accepted';
    delete c.requestMessage;
    delete c.rejection;
    delete c.lastError;
    return [contactEvent(c)];
  }

  /** The peer rejected our request, explicitly or (3.0.41) by closing while Pending. */
  requestRejected(address: RicochetId, kind: RejectionKind): CoreEvent[] {
    const c = this.#require(address);
    if (c.state === 'accepted') return [];
    c.state = 'request-rejected';
    c.rejection = kind;
    c.lastError = kind === 'explicit' ? EXPLICIT_REJECTION_TEXT : CLOSED_WHILE_PENDING_TEXT;
    return [contactEvent(c)];
  }

  /** Our request could not be delivered (network, tor); the connection manager retries. */
  requestFailed(address: RicochetId, reason: string): CoreEvent[] {
    const c = this.#require(address);
    if (c.state !== 'request-pending' && c.state !== 'request-failed') return [];
    const changed = c.state !== 'request-failed' || c.lastError !== reason;
    c.state = 'request-failed';
    c.lastError = reason;
    return changed ? [contactEvent(c)] : [];
  }

  /** User asked to send the request again (after a rejection): back to `request-pending`. */
  retryRequest(address: RicochetId): CoreEvent[] {
    const c = this.#require(address);
    if (c.state === 'accepted') return [];
    c.state = 'request-pending';
    delete c.rejection;
    delete c.lastError;
    c.requestMessage ??= '';
    return [contactEvent(c)];
  }

  /**
   * Our outbound connection authenticated with `is_known_contact = false`. With a request still
   * open that is expected; for an accepted contact it means they removed (or rejected) us.
   */
  authenticatedAsUnknown(address: RicochetId): CoreEvent[] {
    const c = this.#contacts.get(address);
    if (c === undefined || c.state !== 'accepted') return [];
    c.state = 'removed-us';
    c.online = false;
    c.lastError = 'the contact no longer knows us (removed or rejected us)';
    return [contactEvent(c)];
  }

  /** Presence from the connection manager. Only accepted contacts are ever online. */
  setOnline(address: RicochetId, online: boolean): CoreEvent[] {
    const c = this.#contacts.get(address);
    if (c === undefined || c.online === online) return [];
    if (online && (c.state !== 'accepted' || c.blocked)) return [];
    c.online = online;
    return [{ type: online ? 'online' : 'offline', address }];
  }

  rename(address: RicochetId, nickname: string): CoreEvent[] {
    validateNickname(nickname);
    const c = this.#require(address);
    if (c.nickname === nickname) return [];
    c.nickname = nickname;
    return [contactEvent(c)];
  }

  remove(address: RicochetId): CoreEvent[] {
    if (!this.#contacts.delete(address)) throw new UnknownContactError('no such contact');
    return [{ type: 'contact-removed', address }];
  }

  block(address: RicochetId): CoreEvent[] {
    const c = this.#require(address);
    if (c.blocked) return [];
    c.blocked = true;
    const events: CoreEvent[] = c.online ? [{ type: 'offline', address }] : [];
    c.online = false;
    return [...events, contactEvent(c)];
  }

  unblock(address: RicochetId): CoreEvent[] {
    const c = this.#require(address);
    if (!c.blocked) return [];
    c.blocked = false;
    return [contactEvent(c)];
  }

  setHistoryEnabled(address: RicochetId, enabled: boolean): void {
    this.#require(address).historyEnabled = enabled;
  }

  historyEnabled(address: RicochetId): boolean {
    return this.#contacts.get(address)?.historyEnabled ?? false;
  }

  /** One more unread incoming message; returns the new count. */
  addUnread(address: RicochetId): number {
    const c = this.#require(address);
    c.unread = Math.min(c.unread + 1, Number.MAX_SAFE_INTEGER);
    return c.unread;
  }

  markRead(address: RicochetId): void {
    this.#require(address).unread = 0;
  }

  #insert(address: RicochetId, nickname: string, state: ContactState, now: number): ContactRecord {
    if (!isCanonicalRicochetId(address))
      throw new ContactBookError('address is not a canonical Ricochet ID');
    if (address === this.#self) throw new SelfContactError('cannot add our own address');
    if (this.#contacts.has(address)) throw new ContactExistsError('already a contact');
    if (this.#contacts.size >= this.#max) throw new ContactBookFullError('too many contacts');
    const c: ContactRecord = {
      address,
      nickname,
      state,
      blocked: false,
      online: false,
      historyEnabled: false,
      unread: 0,
      addedAt: now,
    };
    this.#contacts.set(address, c);
    return c;
  }

  #require(address: RicochetId): ContactRecord {
    const c = this.#contacts.get(address);
    if (c === undefined) throw new UnknownContactError('no such contact');
    return c;
  }
}

export function statusOf(c: ContactRecord): ContactStatus {
  if (c.blocked) return 'blocked';
  if (c.state === 'accepted') return c.online ? 'online' : 'offline';
  return c.state;
}

function toView(c: ContactRecord): ContactView {
  return {
    address: c.address,
    nickname: c.nickname,
    status: statusOf(c),
    historyEnabled: c.historyEnabled,
    unread: c.unread,
    ...(c.lastError === undefined ? {} : { lastError: c.lastError }),
  };
}

function contactEvent(c: ContactRecord): CoreEvent {
  return { type: 'contact', address: c.address, status: statusOf(c), nickname: c.nickname };
}
