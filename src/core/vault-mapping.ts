// Converts between the vault's stored state (src/profile/vault-state.ts, keyed by service id) and
// the core's in-memory models (contact book, incoming requests, send queues, conversations, keyed by
// Ricochet ID). Loading never trusts the file: entries the models refuse are skipped and reported.
import {
  ContactBook,
  EXPLICIT_REJECTION_TEXT,
  type ContactState,
  type RejectionKind,
} from '../contacts/contact-book.js';
import { IncomingRequests, type IncomingRequestLimits } from '../contacts/incoming-requests.js';
import { defaultNickname } from '../identity/default-nickname.js';
import { MAX_NICKNAME_UNITS, validateNickname } from '../contacts/text-rules.js';
import { stripInvisible } from '../text/invisible-chars.js';
import type { RicochetId } from '../api/core-api.js';
import { Conversations } from './conversation.js';
import { SendQueue } from './send-queue.js';
import { EndpointBook } from './endpoint-book.js';
import type {
  HistoryMessageRecord,
  OutgoingRequestRecord,
  QueuedMessageRecord,
  SettingsRecord,
  VaultState,
} from '../profile/vault-state.js';

export interface CoreModel {
  readonly book: ContactBook;
  readonly requests: IncomingRequests;
  readonly queues: Map<RicochetId, SendQueue>;
  readonly conversations: Conversations;
  /** The contacts' endpoint groups (docs/ENDPOINTS.md §2); their secrets are the book's. */
  readonly endpoints: EndpointBook;
  settings: SettingsRecord;
}

const PREFIX = 'ricochet:';
export const toAddress = (serviceId: string): RicochetId => PREFIX + serviceId;
export const toServiceId = (address: RicochetId): string => address.slice(PREFIX.length);

const OUTGOING_TO_STATE: Readonly<Record<OutgoingRequestRecord['state'], ContactState>> = {
  pending: 'request-pending',
  rejected: 'request-rejected',
  failed: 'request-failed',
};

/** Builds the models from a validated vault state; `skipped` names entries that were dropped. */
export function modelFromVault(
  state: VaultState,
  selfServiceId: string,
  now: number,
  incomingLimits: Partial<IncomingRequestLimits> = {},
): { model: CoreModel; skipped: string[] } {
  const skipped: string[] = [];
  const book = new ContactBook({ self: toAddress(selfServiceId) });
  const requests = new IncomingRequests(now, incomingLimits);
  const attempt = (what: string, action: () => void): void => {
    try {
      action();
    } catch {
      skipped.push(what);
    }
  };
  for (const c of state.contacts) {
    attempt(`contact ${c.serviceId}`, () => {
      book.addAccepted(toAddress(c.serviceId), safeNickname(c.nickname, c.serviceId), c.addedAt);
      book.setHistoryEnabled(toAddress(c.serviceId), c.historyEnabled);
    });
  }
  for (const r of state.outgoingRequests) {
    attempt(`outgoing request ${r.serviceId}`, () => {
      const address = toAddress(r.serviceId);
      book.addOutgoing(address, safeNickname(r.nickname, r.serviceId), r.message, r.createdAt);
      const record = book.get(address);
      if (record === undefined) return;
      record.state = OUTGOING_TO_STATE[r.state];
      if (r.state === 'rejected') book.requestRejected(address, rejectionOf(r));
      // The saved text, not the one requestRejected writes: a save writes back what was loaded.
      if (r.lastError === undefined) delete record.lastError;
      else record.lastError = r.lastError;
      record.historyEnabled = state.settings.historyDefault;
    });
  }
  for (const b of state.blocked) {
    attempt(`blocked ${b.serviceId}`, () => {
      const address = toAddress(b.serviceId);
      requests.block(address);
      const record = book.get(address);
      if (record !== undefined) record.blocked = true;
    });
  }
  for (const r of state.rejected) requests.rememberRejected(toAddress(r.serviceId));
  for (const r of state.incomingRequests) {
    attempt(`incoming request ${r.serviceId}`, () => {
      // A request that carried no nickname (3.0.41 never sends one) stays without one.
      const nickname = r.nickname === '' ? '' : safeNickname(r.nickname, r.serviceId);
      requests.add(toAddress(r.serviceId), nickname, r.message, r.receivedAt);
    });
  }
  requests.blockUnknown = state.settings.blockUnknown;

  const conversations = new Conversations();
  for (const [serviceId, messages] of Object.entries(state.history)) {
    conversations.of(toAddress(serviceId)).restore(messages);
  }
  const queues = new Map<RicochetId, SendQueue>();
  for (const [serviceId, messages] of Object.entries(state.queues)) {
    attempt(`queue ${serviceId}`, () => {
      const history = state.history[serviceId] ?? [];
      queues.set(toAddress(serviceId), queueFromRecords(messages, history));
    });
  }
  const endpoints = EndpointBook.fromContacts(state.contacts);
  const settings = ownNickname();
  return { model: { book, requests, queues, conversations, endpoints, settings }, skipped };

  /** The saved own nickname if today's rules accept it; a refused one is dropped, never sent. */
  function ownNickname(): SettingsRecord {
    const { ownNickname: saved, ...settings } = state.settings;
    if (saved === undefined) return settings;
    try {
      return { ...settings, ownNickname: validateNickname(saved) };
    } catch {
      skipped.push('own nickname');
      return settings;
    }
  }
}

function queueFromRecords(
  messages: readonly QueuedMessageRecord[],
  history: readonly HistoryMessageRecord[],
): SendQueue {
  // Local ids must stay unique against saved history too (outgoing history is keyed by them).
  let maxId = 0;
  for (const m of messages) maxId = Math.max(maxId, m.localId);
  for (const h of history) if (h.direction === 'out') maxId = Math.max(maxId, h.id);
  return SendQueue.fromState({
    version: 1,
    nextLocalId: maxId + 1,
    recentWireIds: [],
    messages: messages.map((m) => {
      // Older vaults carry no state: a wire id means it went out once.
      const saved = m.state ?? (m.wireId === undefined ? 'queued' : 'sent');
      const state = saved === 'sent' && m.wireId === undefined ? 'queued' : saved;
      return {
        localId: m.localId,
        text: m.text,
        composedAt: m.at,
        state,
        attempts: state === 'queued' ? 0 : 1,
        ...(m.wireId === undefined ? {} : { wireId: m.wireId }),
        ...(state === 'failed' ? { failReason: m.failReason ?? 'attempts' } : {}),
      };
    }),
  });
}

/**
 * The vault form of the models. Identity comes from the previous state, and so do the fields the
 * models do not hold (a contact's origin and last connection, a request's last attempt, when and
 * under which nickname an address was blocked or rejected): a save never writes less than the
 * vault it replaces held for a record that is still there.
 */
export function vaultFromModel(model: CoreModel, previous: VaultState, now: number): VaultState {
  const { book, requests } = model;
  const before = {
    contacts: byServiceId(previous.contacts),
    outgoing: byServiceId(previous.outgoingRequests),
    blocked: byServiceId(previous.blocked),
    rejected: byServiceId(previous.rejected),
  };
  const contacts: VaultState['contacts'][number][] = [];
  const outgoingRequests: OutgoingRequestRecord[] = [];
  const blocked = new Map<string, VaultState['blocked'][number]>();
  for (const view of book.list()) {
    const c = book.get(view.address);
    if (c === undefined) continue;
    const serviceId = toServiceId(c.address);
    if (c.state === 'accepted' || c.state === 'removed-us') {
      const old = before.contacts.get(serviceId);
      // A blocked contact's endpoint group is not written: blocking erases it (and its onion).
      const endpoint = c.blocked === true ? undefined : model.endpoints.record(serviceId);
      contacts.push({
        ...(old?.lastConnectedAt === undefined ? {} : { lastConnectedAt: old.lastConnectedAt }),
        ...(old?.origin === undefined ? {} : { origin: old.origin }),
        serviceId,
        nickname: c.nickname,
        addedAt: c.addedAt,
        historyEnabled: c.historyEnabled,
        ...(endpoint === undefined ? {} : { endpoint }),
      });
    } else {
      const lastAttemptAt = before.outgoing.get(serviceId)?.lastAttemptAt;
      outgoingRequests.push({
        ...(lastAttemptAt === undefined ? {} : { lastAttemptAt }),
        serviceId,
        nickname: c.nickname,
        message: c.requestMessage ?? '',
        createdAt: c.addedAt,
        ...(c.state === 'request-rejected' && c.rejection !== undefined
          ? { rejection: c.rejection }
          : {}),
        state:
          c.state === 'request-rejected'
            ? 'rejected'
            : c.state === 'request-failed'
              ? 'failed'
              : 'pending',
        ...(c.lastError === undefined ? {} : { lastError: c.lastError.slice(0, 1000) }),
      });
    }
  }
  // Blocked addresses in the order they were blocked (the request store keeps that order), then
  // blocked contacts the store does not list.
  const stored = requests.toState();
  const blockedContacts = book.list().filter((v) => book.get(v.address)?.blocked === true);
  for (const address of [...stored.blocked, ...blockedContacts.map((v) => v.address)]) {
    const serviceId = toServiceId(address);
    if (blocked.has(serviceId)) continue;
    const nickname = book.get(address)?.nickname;
    blocked.set(
      serviceId,
      before.blocked.get(serviceId) ?? {
        serviceId,
        ...(nickname === undefined ? {} : { nickname }),
        blockedAt: now,
      },
    );
  }
  const queues: Record<string, QueuedMessageRecord[]> = {};
  for (const [address, queue] of model.queues) {
    if (!book.has(address)) continue;
    const list = queue.list().map((m): QueuedMessageRecord => ({
      localId: m.localId,
      text: m.text,
      at: m.composedAt,
      ...(m.wireId === undefined ? {} : { wireId: m.wireId }),
      ...(m.state === 'delivered' ? {} : { state: m.state }),
      ...(m.state === 'failed' && m.failReason !== undefined ? { failReason: m.failReason } : {}),
    }));
    if (list.length > 0) queues[toServiceId(address)] = list;
  }
  return {
    version: 1,
    identity: previous.identity,
    contacts,
    incomingRequests: stored.pending.map((r) => ({
      serviceId: toServiceId(r.address),
      nickname: r.nickname,
      message: r.message,
      receivedAt: r.receivedAt,
    })),
    outgoingRequests,
    blocked: [...blocked.values()],
    rejected: stored.rejected.map(
      (a) => before.rejected.get(toServiceId(a)) ?? { serviceId: toServiceId(a), rejectedAt: now },
    ),
    queues,
    history: {}, // saved change by change in the history logs (the vault ignores this field)
    settings: { ...model.settings, blockUnknown: requests.blockUnknown },
    // The send-queue journal's watermark stays until the Messenger writes a newer one.
    ...(previous.queueJournal === undefined ? {} : { queueJournal: previous.queueJournal }),
  };
}

function byServiceId<T extends { readonly serviceId: string }>(
  records: readonly T[],
): Map<string, T> {
  return new Map(records.map((r) => [r.serviceId, r]));
}

/** How a saved rejection was refused; vaults older than the `rejection` field tell by the text. */
function rejectionOf(r: OutgoingRequestRecord): RejectionKind {
  if (r.rejection !== undefined) return r.rejection;
  return r.lastError === EXPLICIT_REJECTION_TEXT ? 'explicit' : 'closed-while-pending';
}

/**
 * Nicknames from older files or imports that today's rules refuse are cleaned; if nothing valid is
 * left (empty, blank, only refused characters) the contact keeps a placeholder from its service id:
 * a contact is never lost over its nickname.
 */
export function safeNickname(nickname: string, serviceId: string): string {
  let cleaned = '';
  for (const ch of stripInvisible(nickname.replace(/["<>&\p{Cc}\p{Cs}]/gu, ''))) {
    if (cleaned.length + ch.length > MAX_NICKNAME_UNITS) break; // never split a surrogate pair
    cleaned += ch;
  }
  for (const candidate of [cleaned, cleaned.trim()]) {
    try {
      return validateNickname(candidate);
    } catch {
      // try the next candidate, then the placeholder
    }
  }
  return defaultNickname(serviceId);
}
