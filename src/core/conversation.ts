// In-memory chat history per contact: a bounded ring of messages, an incoming duplicate filter
// that spans reconnects (notes "Chat": the receiver drops duplicates of a recently seen non-zero
// id), and a serialiser that persists only the contacts whose history the user enabled.

import type { DeliveryState, MessageView, RicochetId } from '../api/core-api.js';
import { MAX_MESSAGE_UNITS, validateMessageText } from '../contacts/text-rules.js';
import { CoreError } from './errors.js';

export interface ConversationOptions {
  readonly maxEntries: number;
  readonly dedupWindow: number;
}

export const DEFAULT_CONVERSATION: ConversationOptions = { maxEntries: 5000, dedupWindow: 1000 };

export class ConversationFormatError extends CoreError {
  readonly code: string = 'conversation-format';
  override name = 'ConversationFormatError';
}

type Entry = { -readonly [K in keyof MessageView]: MessageView[K] };

export class Conversation {
  readonly options: ConversationOptions;
  #entries: Entry[] = [];
  #start = 0; // index of the oldest entry in #entries (ring buffer)
  readonly #outgoing = new Map<number, Entry>(); // by local id
  readonly #seenIncoming = new Set<number>();

  constructor(
    readonly address: RicochetId,
    options: Partial<ConversationOptions> = {},
  ) {
    this.options = { ...DEFAULT_CONVERSATION, ...options };
  }

  get size(): number {
    return this.#entries.length;
  }

  /** True if a message with this wire id arrived recently (on this or an earlier connection). */
  isDuplicate(wireId: number): boolean {
    return wireId !== 0 && this.#seenIncoming.has(wireId);
  }

  /**
   * An incoming ChatMessage. Returns its view, or undefined for a duplicate (which the caller
   * still acknowledges). Throws InvalidMessageTextError for text outside 1..2000 units.
   */
  receive(wireId: number, text: string, timeDelta: number, now: number): MessageView | undefined {
    validateMessageText(text, MAX_MESSAGE_UNITS);
    if (this.isDuplicate(wireId)) return undefined;
    if (wireId !== 0) {
      this.#seenIncoming.add(wireId);
      if (this.#seenIncoming.size > this.options.dedupWindow) {
        const oldest = this.#seenIncoming.values().next();
        if (oldest.done !== true) this.#seenIncoming.delete(oldest.value);
      }
    }
    const delta = Number.isFinite(timeDelta) && timeDelta < 0 ? Math.trunc(timeDelta) || 0 : 0;
    const entry: Entry = {
      address: this.address,
      id: wireId,
      direction: 'in',
      text,
      at: now,
      timeDelta: delta,
      state: 'delivered',
    };
    this.#push(entry);
    return { ...entry };
  }

  /** Adds (or updates) an outgoing message, keyed by its stable local id. */
  recordOutgoing(view: MessageView): MessageView {
    const existing = this.#outgoing.get(view.id);
    if (existing !== undefined) {
      existing.state = view.state;
      existing.timeDelta = view.timeDelta;
      return { ...existing };
    }
    const entry: Entry = { ...view, address: this.address, direction: 'out' };
    this.#push(entry);
    return { ...entry };
  }

  /** Updates the delivery state of an outgoing message still in history. */
  setOutgoingState(localId: number, state: DeliveryState): MessageView | undefined {
    const entry = this.#outgoing.get(localId);
    if (entry === undefined) return undefined;
    entry.state = state;
    return { ...entry };
  }

  /** Highest local id of an outgoing message in history (0 if none): seeds a new SendQueue. */
  lastOutgoingId(): number {
    let max = 0;
    for (const id of this.#outgoing.keys()) if (id > max) max = id;
    return max;
  }

  /** Oldest first. */
  list(): MessageView[] {
    const n = this.#entries.length;
    const out: MessageView[] = [];
    for (let i = 0; i < n; i++) {
      const e = this.#entries[(this.#start + i) % n];
      if (e !== undefined) out.push({ ...e });
    }
    return out;
  }

  /** Forgets the history (the duplicate filter stays: it protects against re-sends). */
  clear(): void {
    this.#entries = [];
    this.#start = 0;
    this.#outgoing.clear();
  }

  toState(): ConversationState {
    return { version: 1, address: this.address, messages: this.list() };
  }

  static fromState(state: unknown, options: Partial<ConversationOptions> = {}): Conversation {
    const s = state as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || s['version'] !== 1) {
      throw new ConversationFormatError('not a version 1 conversation');
    }
    const { address, messages } = s;
    if (typeof address !== 'string' || !Array.isArray(messages)) {
      throw new ConversationFormatError('bad conversation');
    }
    const c = new Conversation(address, options);
    for (const raw of (messages as unknown[]).slice(-c.options.maxEntries)) {
      c.#push(parseEntry(raw, address));
    }
    return c;
  }

  #push(entry: Entry): void {
    const max = this.options.maxEntries;
    if (this.#entries.length < max) {
      this.#entries.push(entry);
    } else {
      const evicted = this.#entries[this.#start];
      if (evicted?.direction === 'out' && this.#outgoing.get(evicted.id) === evicted) {
        this.#outgoing.delete(evicted.id);
      }
      this.#entries[this.#start] = entry;
      this.#start = (this.#start + 1) % max;
    }
    if (entry.direction === 'out') this.#outgoing.set(entry.id, entry);
  }
}

export interface ConversationState {
  readonly version: 1;
  readonly address: string;
  readonly messages: readonly MessageView[];
}

/** The conversations of all contacts; persists only those with history enabled. */
export class Conversations {
  readonly #byAddress = new Map<RicochetId, Conversation>();

  constructor(readonly options: Partial<ConversationOptions> = {}) {}

  of(address: RicochetId): Conversation {
    let c = this.#byAddress.get(address);
    if (c === undefined) {
      c = new Conversation(address, this.options);
      this.#byAddress.set(address, c);
    }
    return c;
  }

  forget(address: RicochetId): void {
    this.#byAddress.delete(address);
  }

  /** The vault form: only conversations for which `historyEnabled(address)` is true. */
  toState(historyEnabled: (address: RicochetId) => boolean): ConversationState[] {
    return [...this.#byAddress.values()]
      .filter((c) => historyEnabled(c.address))
      .map((c) => c.toState());
  }

  static fromState(states: unknown, options: Partial<ConversationOptions> = {}): Conversations {
    if (!Array.isArray(states)) throw new ConversationFormatError('not a list of conversations');
    const all = new Conversations(options);
    for (const s of states as unknown[]) {
      const c = Conversation.fromState(s, options);
      if (all.#byAddress.has(c.address)) throw new ConversationFormatError('duplicate address');
      all.#byAddress.set(c.address, c);
    }
    return all;
  }
}

const STATES: readonly DeliveryState[] = ['queued', 'sent', 'delivered', 'failed'];

function parseEntry(raw: unknown, address: string): Entry {
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) throw new ConversationFormatError('bad message');
  const { id, direction, text, at, timeDelta, state } = r;
  const ok =
    typeof id === 'number' &&
    Number.isSafeInteger(id) &&
    id >= 0 &&
    (direction === 'in' || direction === 'out') &&
    typeof text === 'string' &&
    typeof at === 'number' &&
    Number.isSafeInteger(at) &&
    typeof timeDelta === 'number' &&
    Number.isSafeInteger(timeDelta) &&
    timeDelta <= 0 &&
    STATES.includes(state as DeliveryState);
  if (!ok) throw new ConversationFormatError('bad message');
  try {
    validateMessageText(text, MAX_MESSAGE_UNITS);
  } catch (cause) {
    throw new ConversationFormatError('bad message text', { cause });
  }
  return { address, id, direction, text, at, timeDelta, state: state as DeliveryState };
}
