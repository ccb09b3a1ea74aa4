// Converts between the messenger core's models (contact book, incoming requests, send queues,
// conversations) and the vault's plain sections (src/profile/vault-state.ts, H6). The vault keeps
// service ids without the `ricochet:` prefix; history only for contacts that opted in.

import type { RicochetId } from './api.js';
import {
  CLOSED_WHILE_PENDING_TEXT,
  ContactBook,
  type ContactBookState,
  type RejectionKind,
} from '../contacts/contact-book.js';
import {
  type IncomingRequestLimits,
  IncomingRequests,
  incomingRequestsFromState,
} from '../contacts/incoming-requests.js';
import { Conversations, type ConversationState } from './conversation.js';
import { SendQueue, type SendQueueOptions, type SendQueueState } from './send-queue.js';
import type {
  BlockedRecord,
  ContactRecord,
  HistoryMessageRecord,
  OutgoingRequestRecord,
  QueuedMessageRecord,
  RejectedRecord,
  VaultState,
} from '../profile/vault-state.js';

const PREFIX = 'ricochet:';

/** The vault sections the messenger core owns. */
export type CoreVaultSections = Pick<
  VaultState,
  | 'contacts'
  | 'incomingRequests'
  | 'outgoingRequests'
  | 'blocked'
  | 'rejected'
  | 'queues'
  | 'history'
> & { readonly blockUnknown: boolean };

export interface CoreModels {
  readonly book: ContactBook;
  readonly requests: IncomingRequests;
  readonly queues: Map<RicochetId, SendQueue>;
  readonly conversations: Conversations;
}

const serviceIdOf = (address: RicochetId): string => address.slice(PREFIX.length);
const addressOf = (serviceId: string): RicochetId => PREFIX + serviceId;

/** Models → vault sections. `now` stamps records whose time the models do not keep. */
export function toVaultSections(models: CoreModels, now: number): CoreVaultSections {
  const { book, requests, queues, conversations } = models;
  const contacts: ContactRecord[] = [];
  const outgoingRequests: OutgoingRequestRecord[] = [];
  const blocked: BlockedRecord[] = [];
  for (const c of book.toState().contacts) {
    const serviceId = serviceIdOf(c.address);
    if (c.blocked) blocked.push({ serviceId, nickname: c.nickname, blockedAt: now });
    if (c.state === 'accepted' || c.state === 'removed-us') {
      contacts.push({
        serviceId,
        nickname: c.nickname,
        addedAt: c.addedAt,
        historyEnabled: c.historyEnabled,
      });
    } else {
      const lastError = book.get(c.address)?.lastError;
      outgoingRequests.push({
        serviceId,
        nickname: c.nickname,
        message: c.requestMessage ?? '',
        createdAt: c.addedAt,
        state:
          c.state === 'request-rejected'
            ? 'rejected'
            : c.state === 'request-failed'
              ? 'failed'
              : 'pending',
        ...(lastError === undefined ? {} : { lastError }),
      });
    }
  }
  const stored = requests.toState();
  for (const a of stored.blocked) blocked.push({ serviceId: serviceIdOf(a), blockedAt: now });
  const rejected: RejectedRecord[] = stored.rejected.map((a) => ({
    serviceId: serviceIdOf(a),
    rejectedAt: now,
  }));
  const queueRecords: Record<string, QueuedMessageRecord[]> = {};
  for (const [address, queue] of queues) {
    const messages = queue.toState().messages.map((m) => ({
      localId: m.localId,
      text: m.text,
      at: m.composedAt,
      ...(m.wireId === undefined ? {} : { wireId: m.wireId }),
    }));
    if (messages.length > 0) queueRecords[serviceIdOf(address)] = messages;
  }
  const history: Record<string, HistoryMessageRecord[]> = {};
  for (const c of conversations.toState((a) => book.historyEnabled(a))) {
    history[serviceIdOf(c.address)] = c.messages.map((m) => ({
      id: m.id,
      direction: m.direction,
      text: m.text,
      at: m.at,
      timeDelta: m.timeDelta,
      state: m.state,
    }));
  }
  return {
    contacts,
    incomingRequests: stored.pending.map((r) => ({
      serviceId: serviceIdOf(r.address),
      nickname: r.nickname,
      message: r.message,
      receivedAt: r.receivedAt,
    })),
    outgoingRequests,
    blocked,
    rejected,
    queues: queueRecords,
    history,
    blockUnknown: requests.blockUnknown,
  };
}

/**
 * Vault sections (already checked by validateVaultState) → models. Throws the models' format
 * errors for anything they refuse (bad nickname, over-long text, duplicate contact…).
 */
export function fromVaultSections(
  sections: CoreVaultSections,
  now: number,
  options: {
    readonly self?: RicochetId;
    readonly requestLimits?: Partial<IncomingRequestLimits>;
    readonly queue?: Partial<SendQueueOptions>;
  } = {},
): CoreModels {
  const blockedIds = new Set(sections.blocked.map((b) => b.serviceId));
  const contactIds = new Set<string>();
  const bookState: ContactBookState = {
    version: 1,
    contacts: [
      ...sections.contacts.map((c) => {
        contactIds.add(c.serviceId);
        return {
          address: addressOf(c.serviceId),
          nickname: c.nickname,
          state: 'accepted' as const,
          blocked: blockedIds.has(c.serviceId),
          historyEnabled: c.historyEnabled,
          unread: 0,
          addedAt: c.addedAt,
        };
      }),
      ...sections.outgoingRequests.map((r) => {
        contactIds.add(r.serviceId);
        const rejection: { rejection?: RejectionKind } =
          r.state !== 'rejected' ? {} : { rejection: rejectionKindOf(r) };
        return {
          address: addressOf(r.serviceId),
          nickname: r.nickname,
          state:
            r.state === 'rejected'
              ? ('request-rejected' as const)
              : r.state === 'failed'
                ? ('request-failed' as const)
                : ('request-pending' as const),
          blocked: blockedIds.has(r.serviceId),
          historyEnabled: false,
          unread: 0,
          addedAt: r.createdAt,
          requestMessage: r.message,
          ...rejection,
        };
      }),
    ],
  };
  const book = ContactBook.fromState(
    bookState,
    options.self === undefined ? {} : { self: options.self },
  );
  for (const r of sections.outgoingRequests) {
    if (r.state === 'failed' && r.lastError !== undefined) {
      book.requestFailed(addressOf(r.serviceId), r.lastError);
    }
    if (r.state === 'rejected') book.requestRejected(addressOf(r.serviceId), rejectionKindOf(r));
  }
  const requests = incomingRequestsFromState(
    {
      version: 1,
      pending: sections.incomingRequests.map((r) => ({
        address: addressOf(r.serviceId),
        nickname: r.nickname,
        message: r.message,
        receivedAt: r.receivedAt,
      })),
      rejected: sections.rejected.map((r) => addressOf(r.serviceId)),
      blocked: sections.blocked
        .filter((b) => !contactIds.has(b.serviceId))
        .map((b) => addressOf(b.serviceId)),
      blockUnknown: sections.blockUnknown,
    },
    now,
    options.requestLimits,
  );
  const conversationStates: ConversationState[] = Object.entries(sections.history).map(
    ([serviceId, messages]) => ({
      version: 1,
      address: addressOf(serviceId),
      messages: messages.map((m) => ({ ...m, address: addressOf(serviceId) })),
    }),
  );
  const conversations = Conversations.fromState(conversationStates);
  const queues = new Map<RicochetId, SendQueue>();
  const withHistory = Object.keys(sections.history).filter((id) =>
    (sections.history[id] ?? []).some((m) => m.direction === 'out'),
  );
  for (const serviceId of new Set([...Object.keys(sections.queues), ...withHistory])) {
    const records = sections.queues[serviceId] ?? [];
    // Local ids must stay unique across the queue and the saved history's outgoing messages.
    const historyOut = (sections.history[serviceId] ?? [])
      .filter((m) => m.direction === 'out')
      .map((m) => m.id);
    const maxId = Math.max(0, ...records.map((r) => r.localId), ...historyOut);
    const state: SendQueueState = {
      version: 1,
      nextLocalId: maxId + 1,
      recentWireIds: [],
      messages: records.map((r) => ({
        localId: r.localId,
        text: r.text,
        composedAt: r.at,
        state: r.wireId === undefined ? 'queued' : 'sent',
        attempts: 0,
        ...(r.wireId === undefined ? {} : { wireId: r.wireId }),
      })),
    };
    queues.set(addressOf(serviceId), SendQueue.fromState(state, options.queue));
  }
  return { book, requests, queues, conversations };
}

function rejectionKindOf(r: OutgoingRequestRecord): RejectionKind {
  return r.lastError === CLOSED_WHILE_PENDING_TEXT ? 'closed-while-pending' : 'explicit';
}
