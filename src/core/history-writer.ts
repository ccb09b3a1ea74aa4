// The messenger's side of the history logs (docs/SEAMS.md §1, `store.history(contact)`): every new
// message and delivery-state change of a contact whose history is on becomes one append to its log
// (O(change), whatever the history holds); a log that has grown well past the conversation it
// describes (superseded state records, messages the ring dropped) is compacted to the
// conversation; turning history on writes the conversation as shown; a deletion shreds the log.
// A conversation's saved history is read from its log on first use (`load`), never at open.
import type { MessageView, RicochetId } from '../api/core-api.js';
import { HistoryLogUnreadableError } from '../profile/errors.js';
import type { Vault } from '../profile/vault.js';
import type { HistoryMessageRecord } from '../profile/vault-state.js';
import type { ConversationChange } from './conversation.js';
import { toServiceId, type CoreModel } from './vault-mapping.js';

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
    appended.then(
      () => this.#compactIfGrown(address),
      (error: unknown) => this.#failed(address, error),
    );
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

  /**
   * The error names its conversation: a log is found unreadable when the conversation is first
   * needed, which may be a message arriving while the user looks at another one.
   */
  #naming(address: RicochetId, error: HistoryLogUnreadableError): HistoryLogUnreadableError {
    const nickname = this.#model.book.get(address)?.nickname ?? '';
    const contact = nickname === '' ? address : `${nickname} (${address})`;
    return new HistoryLogUnreadableError(
      `the saved history of the conversation with ${contact} could not be read; it is kept as ` +
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
