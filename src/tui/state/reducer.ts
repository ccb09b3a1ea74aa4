// The UI's root reducer: pure (state, action) → state over CoreEvents and user actions.
import { MAX_PENDING_REQUESTS, type CoreEvent } from '../../api/core-api.js';
import { sanitizeForTerminal } from '../sanitize.js';
import type { UiAction } from './actions.js';
import * as composer from './composer.js';
import {
  cleanNickname,
  fromContactView,
  fromRequestView,
  moveSelection,
  setStatus,
  upsertContact,
  validSelection,
} from './contacts.js';
import {
  addIncoming,
  addOutgoing,
  markQueued,
  replaceHistory,
  setDeliveryState,
} from './conversations.js';
import { identityFromEvent } from './identity.js';
import { initialTor, torProblem, torProgress } from './tor.js';
import { cleanFileName, resultState, upsertTransfer } from './transfers.js';
import type { UiState } from './types.js';

export interface InitialStateOptions {
  readonly protectedProfile: boolean;
  readonly ownAddress: string | null;
  readonly bell: boolean;
  /** The onion service was already published before the UI started. */
  readonly published?: boolean;
}

export function initialState(options: InitialStateOptions): UiState {
  return {
    ownAddress: options.ownAddress,
    ownNickname: '',
    protectedProfile: options.protectedProfile,
    tor:
      options.published === true ? { ...initialTor, progress: 100, published: true } : initialTor,
    identity: null,
    contacts: [],
    requests: [],
    conversations: {},
    transfers: [],
    focus: 'contacts',
    selected: null,
    scrollBack: 0,
    dialogs: [],
    composer: composer.emptyComposer,
    lastError: null,
    alerts: 0,
    bell: options.bell,
    quitting: false,
  };
}

/** True when the user is looking at this contact's conversation right now. */
function isReading(state: UiState, address: string): boolean {
  return (
    state.focus === 'composer' &&
    state.dialogs.length === 0 &&
    state.selected?.kind === 'contact' &&
    state.selected.address === address
  );
}

function withSelection(state: UiState): UiState {
  return { ...state, selected: validSelection(state) };
}

/** The request is gone (answered by the user, or dropped by the core), with its dialog. */
function withoutRequest(state: UiState, address: string): UiState {
  return withSelection({
    ...state,
    requests: state.requests.filter((r) => r.address !== address),
    dialogs: state.dialogs.filter((d) => !(d.kind === 'request' && d.address === address)),
  });
}

function reduceMessage(
  state: UiState,
  event: Extract<CoreEvent, { type: 'message' }>,
  now: number,
): UiState {
  const reading = isReading(state, event.address);
  const contacts = state.contacts.some((c) => c.address === event.address)
    ? state.contacts.map((c) =>
        c.address === event.address && !reading ? { ...c, unread: c.unread + 1 } : c,
      )
    : state.contacts;
  return {
    ...state,
    contacts,
    conversations: addIncoming(
      state.conversations,
      event.address,
      event.id,
      event.text,
      event.timeDelta,
      now,
    ),
    alerts: state.alerts + 1,
  };
}

export function reduceCoreEvent(state: UiState, event: CoreEvent, now: number): UiState {
  switch (event.type) {
    case 'id':
      return { ...state, ownAddress: event.address };
    case 'tor':
      return { ...state, tor: torProgress(state.tor, event.progress, event.summary) };
    case 'tor-problem':
      return { ...state, tor: torProblem(state.tor, event.summary, event.recommendation) };
    case 'tor-access':
      return { ...state, tor: { ...state.tor, access: event.access } };
    case 'published':
      return {
        ...state,
        ownAddress: event.address,
        tor: { ...state.tor, published: true, problem: null, progress: 100 },
      };
    case 'online':
    case 'offline':
      return { ...state, contacts: setStatus(state.contacts, event.address, event.type) };
    case 'request': {
      const request = fromRequestView({ ...event, receivedAt: now });
      const requests = [...state.requests.filter((r) => r.address !== event.address), request];
      // The core drops its oldest with `request-dropped` first; this bound only guards against a
      // core that does not: the UI never holds more requests than the core keeps.
      return withSelection({
        ...state,
        requests: requests.slice(-MAX_PENDING_REQUESTS),
        alerts: state.alerts + 1,
      });
    }
    case 'request-dropped':
      return withoutRequest(state, event.address);
    case 'requests':
      return withSelection({
        ...state,
        requests: event.requests.slice(-MAX_PENDING_REQUESTS).map(fromRequestView),
      });
    case 'contact': {
      const contacts = upsertContact(state.contacts, event.address, {
        status: event.status,
        nickname: cleanNickname(event.nickname),
      });
      const requests = state.requests.filter((r) => r.address !== event.address);
      return withSelection({ ...state, contacts, requests });
    }
    case 'contact-removed':
      return withSelection({
        ...state,
        contacts: state.contacts.filter((c) => c.address !== event.address),
      });
    case 'contacts':
      return withSelection({ ...state, contacts: event.contacts.map(fromContactView) });
    case 'message':
      return reduceMessage(state, event, now);
    case 'message-state':
      return {
        ...state,
        conversations: setDeliveryState(state.conversations, event.address, event.id, event.state),
      };
    case 'delivered':
      return {
        ...state,
        conversations: setDeliveryState(state.conversations, event.address, event.id, 'delivered'),
      };
    case 'file-offer':
      return {
        ...state,
        transfers: upsertTransfer(state.transfers, event.address, 'in', event.fileId, {
          name: cleanFileName(event.name),
          size: Math.max(0, event.size),
          state: 'offered',
        }),
        alerts: state.alerts + 1,
      };
    case 'file-offered':
      // Our own offer (send-file): named and cancellable before the peer answers.
      return {
        ...state,
        transfers: upsertTransfer(state.transfers, event.address, 'out', event.fileId, {
          name: cleanFileName(event.name),
          size: Math.max(0, event.size),
          state: 'offered',
        }),
      };
    case 'file-progress':
      return {
        ...state,
        transfers: upsertTransfer(state.transfers, event.address, event.direction, event.fileId, {
          size: event.size,
          transferred: event.transferred,
          bytesPerSecond: event.bytesPerSecond,
          state: 'transferring',
        }),
      };
    case 'file-done':
      return {
        ...state,
        transfers: upsertTransfer(state.transfers, event.address, event.direction, event.fileId, {
          state: resultState(event.result),
          bytesPerSecond: 0,
          ...(event.path === undefined
            ? {}
            : { path: sanitizeForTerminal(event.path, { maxLength: 300 }) }),
        }),
      };
    case 'error':
      return {
        ...state,
        lastError: {
          code: sanitizeForTerminal(event.code, { maxLength: 60 }),
          message: sanitizeForTerminal(event.message, { maxLength: 300 }),
        },
      };
    case 'queued':
      return {
        ...state,
        conversations: markQueued(state.conversations, event.address, event.id, event.text, now),
      };
    case 'messages':
      return {
        ...state,
        conversations: replaceHistory(state.conversations, event.address, event.messages),
      };
    case 'own-nickname':
      return { ...state, ownNickname: cleanNickname(event.nickname) };
    case 'identity-online':
      return { ...state, identity: identityFromEvent(event) };
    case 'quit':
      return { ...state, quitting: true };
    default:
      return state; // an event this UI does not know yet: ignore it
  }
}

function clearUnread(state: UiState): UiState {
  const sel = state.selected;
  if (sel?.kind !== 'contact' || state.focus !== 'composer') return state;
  return {
    ...state,
    contacts: state.contacts.map((c) =>
      c.address === sel.address && c.unread > 0 ? { ...c, unread: 0 } : c,
    ),
  };
}

export function reducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'core':
      return reduceCoreEvent(state, action.event, action.now);
    case 'focus':
      return clearUnread({ ...state, focus: action.focus });
    case 'select-move':
      return { ...state, selected: moveSelection(state, action.delta), scrollBack: 0 };
    case 'select':
      return clearUnread({
        ...state,
        selected: { kind: 'contact', address: action.address },
        scrollBack: 0,
      });
    case 'open-dialog':
      return { ...state, dialogs: [...state.dialogs, action.dialog] };
    case 'close-dialog':
      return { ...state, dialogs: state.dialogs.slice(0, -1) };
    case 'scroll':
      return { ...state, scrollBack: Math.max(0, state.scrollBack + action.delta) };
    case 'composer-insert':
      return { ...state, composer: composer.insertText(state.composer, action.text) };
    case 'composer-backspace':
      return { ...state, composer: composer.backspace(state.composer) };
    case 'composer-delete':
      return { ...state, composer: composer.deleteForward(state.composer) };
    case 'composer-move':
      return { ...state, composer: composer.moveCursor(state.composer, action.to) };
    case 'composer-reject':
      return { ...state, composer: { ...state.composer, rejected: true } };
    case 'message-sent':
      return {
        ...state,
        conversations: addOutgoing(state.conversations, action.address, action.text, action.now),
        composer: composer.emptyComposer,
        scrollBack: 0,
      };
    case 'request-resolved':
      return withoutRequest(state, action.address);
    case 'toggle-bell':
      return { ...state, bell: !state.bell };
    case 'dismiss-error':
      return { ...state, lastError: null };
  }
}
