// In-memory chat history per contact: a bounded ring of messages, an incoming duplicate filter
// that spans reconnects (notes "Chat": the receiver drops duplicates of a recently seen non-zero
// id). Saved history comes back through restore(); every new message and delivery-state change is
// reported to `onChange`, which the messenger appends to the contact's history log when the user
// enabled history (docs/SEAMS.md §1).

import type { DeliveryState, MessageView, RicochetId } from '../api/core-api.js';
import { MAX_MESSAGE_UNITS, validateMessageText } from '../contacts/text-rules.js';
import { LIMITS } from '../schema/limits.js';

export interface ConversationOptions {
  readonly maxEntries: number;
  readonly dedupWindow: number;
}

export const DEFAULT_CONVERSATION: ConversationOptions = {
  maxEntries: LIMITS.historyPerContact,
  dedupWindow: 1000,
};

type Entry = { -readonly [K in keyof MessageView]: MessageView[K] };

/** One change to a conversation, as the history log stores it. */
export type ConversationChange =
  | { readonly kind: 'message'; readonly message: MessageView }
  | {
      readonly kind: 'state';
      readonly id: number;
      readonly state: DeliveryState;
      readonly timeDelta: number;
    };

export type ConversationChangeListener = (address: RicochetId, change: ConversationChange) => void;

export class Conversation {
  readonly options: ConversationOptions;
  #entries: Entry[] = [];
  #start = 0; // index of the oldest entry in #entries (ring buffer)
  readonly #outgoing = new Map<number, Entry>(); // by local id
  readonly #seenIncoming = new Set<number>();

  readonly #onChange: ConversationChangeListener | undefined;

  constructor(
    readonly address: RicochetId,
    options: Partial<ConversationOptions> = {},
    onChange?: ConversationChangeListener,
  ) {
    this.options = { ...DEFAULT_CONVERSATION, ...options };
    this.#onChange = onChange;
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
    this.#remember(wireId);
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
    this.#onChange?.(this.address, { kind: 'message', message: { ...entry } });
    return { ...entry };
  }

  /** Adds (or updates) an outgoing message, keyed by its stable local id. */
  recordOutgoing(view: MessageView): MessageView {
    const existing = this.#outgoing.get(view.id);
    if (existing !== undefined) {
      this.#update(existing, view.state, view.timeDelta);
      return { ...existing };
    }
    const entry: Entry = { ...view, address: this.address, direction: 'out' };
    this.#push(entry);
    this.#onChange?.(this.address, { kind: 'message', message: { ...entry } });
    return { ...entry };
  }

  /** Updates the delivery state of an outgoing message still in history. */
  setOutgoingState(localId: number, state: DeliveryState): MessageView | undefined {
    const entry = this.#outgoing.get(localId);
    if (entry === undefined) return undefined;
    this.#update(entry, state, entry.timeDelta);
    return { ...entry };
  }

  #update(entry: Entry, state: DeliveryState, timeDelta: number): void {
    if (entry.state === state && entry.timeDelta === timeDelta) return;
    entry.state = state;
    entry.timeDelta = timeDelta;
    this.#onChange?.(this.address, { kind: 'state', id: entry.id, state, timeDelta });
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

  /**
   * Puts back saved history verbatim (src/core/vault-mapping.ts, already validated by the vault):
   * nothing is merged or dropped, so a save writes back what was loaded. Incoming ids are
   * remembered for the duplicate filter, as if they had just arrived.
   */
  restore(saved: readonly Omit<MessageView, 'address'>[]): void {
    for (const m of saved) {
      this.#push({ ...m, address: this.address });
      if (m.direction === 'in') this.#remember(m.id);
    }
  }

  #remember(wireId: number): void {
    if (wireId === 0) return;
    this.#seenIncoming.delete(wireId); // most recent last
    this.#seenIncoming.add(wireId);
    if (this.#seenIncoming.size > this.options.dedupWindow) {
      const oldest = this.#seenIncoming.values().next();
      if (oldest.done !== true) this.#seenIncoming.delete(oldest.value);
    }
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

/** The conversations of all contacts (the messenger persists those with history enabled). */
export class Conversations {
  readonly #byAddress = new Map<RicochetId, Conversation>();

  constructor(
    readonly options: Partial<ConversationOptions> = {},
    /** Told of every new message and state change (the messenger's history logs). */
    public onChange?: ConversationChangeListener,
  ) {}

  of(address: RicochetId): Conversation {
    let c = this.#byAddress.get(address);
    if (c === undefined) {
      c = new Conversation(address, this.options, (a, change) => this.onChange?.(a, change));
      this.#byAddress.set(address, c);
    }
    return c;
  }

  forget(address: RicochetId): void {
    this.#byAddress.delete(address);
  }

  /** The conversations that hold messages or were touched, in first-use order. */
  all(): Conversation[] {
    return [...this.#byAddress.values()];
  }
}
