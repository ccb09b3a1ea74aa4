// The messenger's side of the history logs (docs/SEAMS.md §1, `store.history(contact)`): every new
// message and delivery-state change of a contact whose history is on becomes one append to its log
// (O(change), whatever the history holds); a log that has grown well past the conversation it
// describes (superseded state records, messages the ring dropped) is compacted to the
// conversation; turning history on writes the conversation as shown; a deletion shreds the log.
// A conversation's saved history is read from its log on first use (`load`), never at open.
// The save of each incoming message is tracked (`incomingSaved`): its ack waits for it.
import type { MessageView, RicochetId } from '../api/core-api.js';
import { HistoryLogUnreadableError } from '../profile/errors.js';
import type { Vault } from '../profile/vault.js';
import type { HistoryMessageRecord } from '../profile/vault-state.js';
import { DEFAULT_CONVERSATION, type ConversationChange } from './conversation.js';
import { CoreError } from './errors.js';
import { toServiceId, type CoreModel } from './vault-mapping.js';

/**
 * A contact's message could not be saved in its history log: it is shown, but not acknowledged
 * (docs/PROTOCOL.md "When Sotto acknowledges"), so the contact sends it again on a later
 * connection. The cause (a disk error, an unreadable log) is kept as `cause`.
 */
export class MessageNotSavedError extends CoreError {
  readonly code = 'message-not-saved';
  override name = 'MessageNotSavedError';
}

/** Compact once the log holds this many more records than twice the conversation's messages. */
const COMPACTION_SLACK = 256;

const record = (m: MessageView): HistoryMessageRecord => ({
  id: m.id,
  direction: m.direction,
  text: m.text,
  at: m.at,
  timeDelta: m.timeDelta,
  state: m.state,
});

export class HistoryWriter {
  readonly #vault: Vault;
  readonly #model: CoreModel;
  readonly #onError: (error: unknown) => void;
  readonly #compacting = new Set<RicochetId>();
  readonly #toldUnreadable = new Set<RicochetId>(); // an unreadable log is reported once
  /** Appends of incoming messages under way, by contact and wire id: true once fsynced. */
  readonly #savingIncoming = new Map<RicochetId, Map<number, Promise<boolean>>>();
  /** Incoming messages whose append failed (as many as a conversation's duplicate filter). */
  readonly #unsavedIncoming = new Map<RicochetId, Set<number>>();

  constructor(vault: Vault, model: CoreModel, onError: (error: unknown) => void) {
    this.#vault = vault;
    this.#model = model;
    this.#onError = onError;
  }

  /** A conversation changed (Conversations.onChange): append it if history is on. */
  changed(address: RicochetId, change: ConversationChange): void {
    if (!this.#model.book.has(address) || !this.#model.book.historyEnabled(address)) return;
    const history = this.#vault.history(toServiceId(address));
    const appended =
      change.kind === 'message'
        ? history.append({ kind: 'message', message: record(change.message) })
        : history.append(change);
    const saved = appended.then(
      () => {
        this.#compactIfGrown(address);
        return true;
      },
      (error: unknown) => {
        this.#failed(address, error);
        return false;
      },
    );
    if (change.kind === 'message' && change.message.direction === 'in') {
      this.#trackIncoming(address, change.message.id, saved);
      void saved.then((ok) => ok || this.#onError(this.#notSaved(address)));
    }
  }

  /**
   * Whether the contact's incoming message `wireId` is durably in its log: a promise while its
   * append is under way (true once fsynced), false if that append failed (it stays unsaved, its
   * re-sends too: the next session's load does not know it), else true (saved earlier, or not
   * for the log: history off).
   */
  incomingSaved(address: RicochetId, wireId: number): Promise<boolean> | boolean {
    const saving = this.#savingIncoming.get(address)?.get(wireId);
    if (saving !== undefined) return saving;
    return this.#unsavedIncoming.get(address)?.has(wireId) !== true;
  }

  #trackIncoming(address: RicochetId, wireId: number, saved: Promise<boolean>): void {
    let saving = this.#savingIncoming.get(address);
    if (saving === undefined) {
      saving = new Map<number, Promise<boolean>>();
      this.#savingIncoming.set(address, saving);
    }
    saving.set(wireId, saved);
    const tracked = saving;
    void saved.then((ok) => {
      if (tracked.get(wireId) === saved) tracked.delete(wireId);
      if (tracked.size === 0 && this.#savingIncoming.get(address) === tracked) {
        this.#savingIncoming.delete(address);
      }
      if (ok) return this.#unsavedIncoming.get(address)?.delete(wireId);
      let unsaved = this.#unsavedIncoming.get(address);
      if (unsaved === undefined) {
        unsaved = new Set<number>();
        this.#unsavedIncoming.set(address, unsaved);
      }
      unsaved.add(wireId);
      const oldest = unsaved.values().next().value;
      if (unsaved.size > DEFAULT_CONVERSATION.dedupWindow && oldest !== undefined) {
        unsaved.delete(oldest);
      }
    });
  }

  /**
   * The history saved before this session, for the conversation's first use (Conversations.load).
   * An unreadable log gives none: it is reported (`history-log-unreadable`, once), kept as it is.
   */
  async load(address: RicochetId): Promise<readonly HistoryMessageRecord[]> {
    const loaded = await this.#vault.history(toServiceId(address)).load();
    if (loaded.error !== undefined) this.#failed(address, loaded.error);
    return loaded.messages;
  }

  /** History was turned on: the conversation as it is now becomes the saved history. */
  async enabled(address: RicochetId): Promise<void> {
    const conversation = await this.#model.conversations.load(address);
    const messages = conversation.list().map(record);
    await this.#vault.history(toServiceId(address)).rewrite(messages);
  }

  /** Crypto-shred the contact's history (after its deletion was saved with `forget`). */
  async shred(address: RicochetId): Promise<void> {
    await this.#vault.history(toServiceId(address)).shred();
    this.#toldUnreadable.delete(address);
    this.#unsavedIncoming.delete(address);
  }

  /** The message itself is kept and shown; only its saved copy failed (told once per log). */
  #failed(address: RicochetId, error: unknown): void {
    if (error instanceof HistoryLogUnreadableError) {
      if (this.#toldUnreadable.has(address)) return;
      this.#toldUnreadable.add(address);
      return this.#onError(this.#naming(address, error));
    }
    this.#onError(error);
  }

  #notSaved(address: RicochetId): MessageNotSavedError {
    return new MessageNotSavedError(
      `a message from ${this.#contactName(address)} could not be saved in its history; it was ` +
        'not acknowledged, so the contact will send it again when it next connects',
    );
  }

  #contactName(address: RicochetId): string {
    const nickname = this.#model.book.get(address)?.nickname ?? '';
    return nickname === '' ? address : `${nickname} (${address})`;
  }

  /**
   * The error names its conversation: a log is found unreadable when the conversation is first
   * needed, which may be a message arriving while the user looks at another one.
   */
  #naming(address: RicochetId, error: HistoryLogUnreadableError): HistoryLogUnreadableError {
    return new HistoryLogUnreadableError(
      `the saved history of the conversation with ${this.#contactName(address)} could not be read; it is kept as ` +
        'it is, and new messages are not added to it',
      { cause: error },
    );
  }

  /** Every load and append started so far is done (a load may append delivery states). */
  async settled(): Promise<void> {
    await this.#model.conversations.loadsSettled();
    await this.#vault.historySettled();
  }

  #compactIfGrown(address: RicochetId): void {
    const history = this.#vault.history(toServiceId(address));
    const conversation = this.#model.conversations.of(address);
    if (this.#compacting.has(address)) return;
    if (history.recordCount <= 2 * conversation.size + COMPACTION_SLACK) return;
    if (!this.#model.book.has(address) || !this.#model.book.historyEnabled(address)) return;
    if (!conversation.loaded) {
      // Compacting needs the saved messages: load them now, compact on a later append.
      void this.#model.conversations.load(address);
      return;
    }
    this.#compacting.add(address);
    history
      .rewrite(conversation.list().map(record))
      .catch((error: unknown) => this.#onError(error))
      .finally(() => this.#compacting.delete(address));
  }
}
