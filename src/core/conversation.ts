// In-memory chat history per contact: a bounded ring of messages, an incoming duplicate filter
// that spans reconnects (notes "Chat": the receiver drops duplicates of a recently seen non-zero
// id). Saved history comes back through restore(); every new message and delivery-state change is
// reported to `onChange`, which the messenger appends to the contact's history log when the user
// enabled history (docs/SEAMS.md §1). A conversation with a saved log starts unloaded: it holds
// what happened since open, and its saved history is put in front when it is first needed
// (Conversations.load, docs/PROFILE.md "Loading on first use"); an incoming message waits for
// that load (Conversations.receive), so a re-send meets the ids saved in earlier sessions.

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
  #maxOutgoingId = 0; // highest local id ever held (evicted ones too: ids are never reused)
  #loaded: boolean;
  /** Delivery states of saved messages that changed before the saved history was loaded. */
  readonly #laterStates = new Map<number, DeliveryState>();

  readonly #onChange: ConversationChangeListener | undefined;
  readonly #needsLoad: (() => void) | undefined;

  constructor(
    readonly address: RicochetId,
    options: Partial<ConversationOptions> = {},
    onChange?: ConversationChangeListener,
    /** Given when saved history waits in a log: called when the conversation needs it. */
    needsLoad?: () => void,
  ) {
    this.options = { ...DEFAULT_CONVERSATION, ...options };
    this.#onChange = onChange;
    this.#needsLoad = needsLoad;
    this.#loaded = needsLoad === undefined;
  }

  /** False while saved history waits in the log (Conversations.load brings it in). */
  get loaded(): boolean {
    return this.#loaded;
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
    if (entry === undefined) {
      if (!this.#loaded) {
        // A saved message (queued in an earlier session): applied, and saved, once it is loaded.
        this.#laterStates.set(localId, state);
        this.#needsLoad?.();
      }
      return undefined;
    }
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
    return this.#maxOutgoingId;
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
    this.#loaded = true; // a load still under way brings nothing back
    this.#laterStates.clear();
  }

  /**
   * The saved history arrives (first use): it goes before what happened since open, its incoming
   * ids join the duplicate filter, and delivery states that changed meanwhile are applied (and
   * reported to `onChange`, so the log records them). Does nothing once loaded or cleared.
   */
  loadSaved(saved: readonly Omit<MessageView, 'address'>[]): void {
    if (this.#loaded) return;
    this.#loaded = true;
    const sinceOpen = this.list();
    const seenSinceOpen = [...this.#seenIncoming];
    const laterStates = [...this.#laterStates];
    this.clear();
    this.#seenIncoming.clear();
    this.restore(saved);
    for (const m of sinceOpen) this.#push({ ...m });
    for (const id of seenSinceOpen) this.#remember(id);
    for (const [id, state] of laterStates) this.setOutgoingState(id, state);
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
    if (entry.direction === 'out') {
      this.#outgoing.set(entry.id, entry);
      if (entry.id > this.#maxOutgoingId) this.#maxOutgoingId = entry.id;
    }
  }
}

/** An incoming ChatMessage as the connection reports it (its wire id, text and time_delta). */
export interface IncomingChat {
  readonly id: number;
  readonly text: string;
  readonly timeDelta: number;
}

/** Reads a conversation's saved history (never rejects: an unreadable log gives none). */
export type SavedHistoryLoader = (
  address: RicochetId,
) => Promise<readonly Omit<MessageView, 'address'>[]>;

/** The conversations of all contacts (the messenger persists those with history enabled). */
export class Conversations {
  readonly #byAddress = new Map<RicochetId, Conversation>();
  readonly #saved = new Set<RicochetId>(); // a saved log waits, no Conversation made yet
  readonly #loading = new Map<Conversation, Promise<Conversation>>();
  /** Incoming messages waiting for their conversation's saved history, last one per contact. */
  readonly #arriving = new Map<Conversation, Promise<void>>();
  #loader: SavedHistoryLoader | undefined;

  constructor(
    readonly options: Partial<ConversationOptions> = {},
    /** Told of every new message and state change (the messenger's history logs). */
    public onChange?: ConversationChangeListener,
  ) {}

  /** These conversations have saved history in a log, read by `load` when first needed. */
  savedIn(addresses: Iterable<RicochetId>, loader: SavedHistoryLoader): void {
    this.#loader = loader;
    for (const address of addresses) if (!this.#byAddress.has(address)) this.#saved.add(address);
  }

  of(address: RicochetId): Conversation {
    let c = this.#byAddress.get(address);
    if (c === undefined) {
      const saved = this.#saved.delete(address);
      const needsLoad = saved ? (): void => void this.load(address) : undefined;
      c = new Conversation(
        address,
        this.options,
        (a, change) => this.onChange?.(a, change),
        needsLoad,
      );
      this.#byAddress.set(address, c);
    }
    return c;
  }

  /**
   * The conversation with its saved history in place: the first call reads the log (in slices,
   * see HistoryLogs), concurrent calls share that read, later calls resolve at once.
   */
  load(address: RicochetId): Promise<Conversation> {
    const c = this.of(address);
    if (c.loaded || this.#loader === undefined) return Promise.resolve(c);
    let loading = this.#loading.get(c);
    if (loading === undefined) {
      const done = (saved: readonly Omit<MessageView, 'address'>[]): Conversation => {
        c.loadSaved(saved);
        this.#loading.delete(c);
        return c;
      };
      loading = this.#loader(address).then(done, () => done([]));
      this.#loading.set(c, loading);
    }
    return loading;
  }

  /**
   * An incoming ChatMessage (Conversation.receive), accepted only once the conversation's saved
   * history is in place: a message re-sent after a reconnect (same wire id, docs/PROTOCOL.md
   * "chat") must meet the ids saved in earlier sessions, or it would be shown twice. `shown` gets
   * the view of a new message, at once when the history is loaded (undefined is returned), else
   * after the load (the returned promise; messages of one contact keep their order). Nothing is
   * shown for a duplicate, which the connection has acknowledged already, nor for a message still
   * waiting when its contact was removed (`forget`). Text outside 1..2000 units throws
   * InvalidMessageTextError at once, whether loaded or not.
   */
  receive(
    address: RicochetId,
    message: IncomingChat,
    now: number,
    shown: (view: MessageView) => void,
  ): Promise<void> | undefined {
    validateMessageText(message.text, MAX_MESSAGE_UNITS);
    const c = this.of(address);
    const accept = (): void => {
      if (this.#byAddress.get(address) !== c) return; // the contact was removed meanwhile
      const view = c.receive(message.id, message.text, message.timeDelta, now);
      if (view !== undefined) shown(view);
    };
    const before = this.#arriving.get(c);
    if (before === undefined && c.loaded) {
      accept();
      return undefined;
    }
    const arriving = (before ?? this.load(address).then(() => undefined)).then(accept);
    const tail: Promise<void> = arriving.then(
      () => this.#arrived(c, tail),
      () => this.#arrived(c, tail),
    );
    this.#arriving.set(c, tail);
    return arriving;
  }

  #arrived(c: Conversation, tail: Promise<void>): void {
    if (this.#arriving.get(c) === tail) this.#arriving.delete(c);
  }

  /** Every load under way has finished, and the messages that waited for it are in. */
  async loadsSettled(): Promise<void> {
    await Promise.all(this.#loading.values());
    await Promise.all(this.#arriving.values());
  }

  forget(address: RicochetId): void {
    this.#byAddress.delete(address);
    this.#saved.delete(address);
  }

  /** The conversations that hold messages or were touched, in first-use order. */
  all(): Conversation[] {
    return [...this.#byAddress.values()];
  }
}
