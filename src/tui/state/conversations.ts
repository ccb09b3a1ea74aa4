// Conversation state: incoming messages (time corrected by the peer's timeDelta), our own
// messages shown as queued at once and matched to the core's message ids in the order sent.
import type { DeliveryState, RicochetId } from '../../core/api.js';
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
