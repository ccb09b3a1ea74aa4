// Contact list and incoming-request state: upserts from CoreEvents, the order the list is shown
// in (requests first, then online, then everyone else by nickname) and the selection over it.
import type {
  ContactStatus,
  ContactView,
  IncomingRequestView,
  RicochetId,
} from '../../api/core-api.js';
import { sanitizeForTerminal } from '../sanitize.js';
import type { ContactEntry, ListEntry, UiState } from './types.js';

export const NICKNAME_MAX = 64;
export const REQUEST_MESSAGE_MAX = 2000;

export function cleanNickname(nickname: string): string {
  return sanitizeForTerminal(nickname, { maxLength: NICKNAME_MAX });
}

export function fromContactView(view: ContactView): ContactEntry {
  const entry: ContactEntry = {
    address: view.address,
    nickname: cleanNickname(view.nickname),
    status: view.status,
    historyEnabled: view.historyEnabled,
    unread: Math.max(0, view.unread),
  };
  return view.lastError === undefined
    ? entry
    : { ...entry, lastError: sanitizeForTerminal(view.lastError, { maxLength: 200 }) };
}

export function fromRequestView(view: IncomingRequestView): IncomingRequestView {
  return {
    address: view.address,
    nickname: cleanNickname(view.nickname),
    message: sanitizeForTerminal(view.message, { multiline: true, maxLength: REQUEST_MESSAGE_MAX }),
    receivedAt: view.receivedAt,
  };
}

export function upsertContact(
  contacts: readonly ContactEntry[],
  address: RicochetId,
  change: Partial<Omit<ContactEntry, 'address'>>,
): readonly ContactEntry[] {
  const index = contacts.findIndex((c) => c.address === address);
  if (index === -1) {
    const fresh: ContactEntry = {
      address,
      nickname: '',
      status: 'offline',
      historyEnabled: true,
      unread: 0,
      ...change,
    };
    return [...contacts, fresh];
  }
  return contacts.map((c, i) => (i === index ? { ...c, ...change } : c));
}

export function setStatus(
  contacts: readonly ContactEntry[],
  address: RicochetId,
  status: ContactStatus,
): readonly ContactEntry[] {
  if (!contacts.some((c) => c.address === address)) return contacts;
  return upsertContact(contacts, address, { status });
}

const STATUS_RANK: Readonly<Record<ContactStatus, number>> = {
  online: 0,
  offline: 1,
  'request-pending': 2,
  'request-failed': 3,
  'request-rejected': 4,
  'removed-us': 5,
  blocked: 6,
};

export function sortedContacts(contacts: readonly ContactEntry[]): readonly ContactEntry[] {
  return [...contacts].sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      a.nickname.localeCompare(b.nickname) ||
      a.address.localeCompare(b.address),
  );
}

/** The rows of the contact list, top to bottom. */
export function listEntries(state: Pick<UiState, 'contacts' | 'requests'>): readonly ListEntry[] {
  return [
    ...state.requests.map((r): ListEntry => ({ kind: 'request', address: r.address })),
    ...sortedContacts(state.contacts).map((c): ListEntry => ({
      kind: 'contact',
      address: c.address,
    })),
  ];
}

export function sameEntry(a: ListEntry | null, b: ListEntry | null): boolean {
  return a !== null && b !== null && a.kind === b.kind && a.address === b.address;
}

/** Moves the selection by `delta` rows, clamped to the list. */
export function moveSelection(state: UiState, delta: number): ListEntry | null {
  const entries = listEntries(state);
  if (entries.length === 0) return null;
  const current = entries.findIndex((e) => sameEntry(e, state.selected));
  const from = current === -1 ? (delta > 0 ? -1 : entries.length) : current;
  const to = Math.min(entries.length - 1, Math.max(0, from + delta));
  return entries[to] ?? null;
}

/** Keeps the selection valid after the list changed: falls back to the first row. */
export function validSelection(state: UiState): ListEntry | null {
  const entries = listEntries(state);
  const still = entries.find((e) => sameEntry(e, state.selected));
  return still ?? entries[0] ?? null;
}

export function selectedContact(state: UiState): ContactEntry | null {
  const sel = state.selected;
  if (sel === null || sel.kind !== 'contact') return null;
  return state.contacts.find((c) => c.address === sel.address) ?? null;
}

export function contactsOnline(contacts: readonly ContactEntry[]): number {
  return contacts.filter((c) => c.status === 'online').length;
}
