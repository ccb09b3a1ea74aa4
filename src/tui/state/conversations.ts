// Conversation state: incoming messages (time corrected by the peer's timeDelta), our own
// messages shown as queued at once and matched to the core's local ids (`queued` event, or the
// first state change, in the order sent), and history loaded from the core (`messages`).
import type { DeliveryState, MessageView, RicochetId } from '../../api/core-api.js';
import { sanitizeForTerminal } from '../sanitize.js';
import type { Conversation, UiMessage } from './types.js';

/** Messages kept in memory per conversation; older ones scroll away (history is the core's). */
export const CONVERSATION_KEEP = 5000;
export const MESSAGE_DISPLAY_MAX = 4000;

export const emptyConversation: Conversation = { messages: [], nextKey: 0 };

type Conversations = Readonly<Record<string, Conversation>>;

function withMessage(conversation: Conversation, message: Omit<UiMessage, 'key'>): Conversation {
  const keyed: UiMessage = { ...message, key: String(conversation.nextKey) };
  const messages = [...conversation.messages, keyed];
  const trimmed =
    messages.length > CONVERSATION_KEEP
      ? messages.slice(messages.length - CONVERSATION_KEEP)
      : messages;
  return { messages: trimmed, nextKey: conversation.nextKey + 1 };
}

export function addIncoming(
  all: Conversations,
  address: RicochetId,
  id: number,
  text: string,
  timeDelta: number,
  now: number,
): Conversations {
  const delta = Number.isFinite(timeDelta) ? Math.min(0, timeDelta) : 0;
  const conversation = all[address] ?? emptyConversation;
  const message = {
    id,
    direction: 'in' as const,
    text: sanitizeForTerminal(text, { multiline: true, maxLength: MESSAGE_DISPLAY_MAX }),
    at: now + delta * 1000,
    timeDelta: delta,
    state: 'delivered' as const,
  };
  return { ...all, [address]: withMessage(conversation, message) };
}

export function addOutgoing(
  all: Conversations,
  address: RicochetId,
  text: string,
  now: number,
): Conversations {
  const conversation = all[address] ?? emptyConversation;
  const message = {
    id: null,
    direction: 'out' as const,
    text: sanitizeForTerminal(text, { multiline: true, maxLength: MESSAGE_DISPLAY_MAX }),
    at: now,
    timeDelta: 0,
    state: 'queued' as const,
  };
  return { ...all, [address]: withMessage(conversation, message) };
}

/**
 * Applies a delivery state to our message `id`. An id not seen yet belongs to the oldest of our
 * messages still waiting for an id (the core numbers messages in the order we sent them).
 */
export function setDeliveryState(
  all: Conversations,
  address: RicochetId,
  id: number,
  state: DeliveryState,
): Conversations {
  const conversation = all[address];
  if (conversation === undefined) return all;
  const { messages } = conversation;
  let index = messages.findIndex((m) => m.direction === 'out' && m.id === id);
  if (index === -1) index = messages.findIndex((m) => m.direction === 'out' && m.id === null);
  if (index === -1) return all;
  const updated = messages.map((m, i) => (i === index ? { ...m, id, state } : m));
  return { ...all, [address]: { ...conversation, messages: updated } };
}

/**
 * The core queued one of our messages under local `id`: it is the oldest of our messages still
 * waiting for an id with the same text (the UI showed it at once), or one sent elsewhere.
 */
export function markQueued(
  all: Conversations,
  address: RicochetId,
  id: number,
  text: string,
  now: number,
): Conversations {
  const clean = sanitizeForTerminal(text, { multiline: true, maxLength: MESSAGE_DISPLAY_MAX });
  const conversation = all[address] ?? emptyConversation;
  if (conversation.messages.some((m) => m.direction === 'out' && m.id === id)) return all;
  const index = conversation.messages.findIndex(
    (m) => m.direction === 'out' && m.id === null && m.text === clean,
  );
  if (index === -1) {
    const message = {
      id,
      direction: 'out' as const,
      text: clean,
      at: now,
      timeDelta: 0,
      state: 'queued' as const,
    };
    return { ...all, [address]: withMessage(conversation, message) };
  }
  const messages = conversation.messages.map((m, i) => (i === index ? { ...m, id } : m));
  return { ...all, [address]: { ...conversation, messages } };
}

/** Replaces a conversation with the core's history, keeping our messages not yet queued. */
export function replaceHistory(
  all: Conversations,
  address: RicochetId,
  history: readonly MessageView[],
): Conversations {
  const conversation = all[address] ?? emptyConversation;
  const unqueued = conversation.messages.filter((m) => m.direction === 'out' && m.id === null);
  const recent = history.slice(Math.max(0, history.length - CONVERSATION_KEEP));
  let next: Conversation = { messages: [], nextKey: conversation.nextKey };
  for (const view of recent) {
    const delta = Number.isFinite(view.timeDelta) ? Math.min(0, view.timeDelta) : 0;
    next = withMessage(next, {
      id: view.id,
      direction: view.direction,
      text: sanitizeForTerminal(view.text, { multiline: true, maxLength: MESSAGE_DISPLAY_MAX }),
      at: view.direction === 'in' ? view.at + delta * 1000 : view.at,
      timeDelta: delta,
      state: view.state,
    });
  }
  for (const m of unqueued) next = withMessage(next, m);
  return { ...all, [address]: next };
}
