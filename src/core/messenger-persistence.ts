// How the messenger makes its state durable (the Persistence of commands.ts): the model loaded from
// the vault (with the send-queue journal replayed over it), the debounced vault saver
// (vault-saver.ts), the queue journal for `queued` (src/profile/queue-journal.ts: one fdatasync'ed
// append instead of a whole save) and the history logs (history-writer.ts, docs/SEAMS.md §1).
import type { RicochetId } from '../api/core-api.js';
import type { IncomingRequestLimits } from '../contacts/incoming-requests.js';
import { replayQueueJournal, type QueueJournal } from '../profile/queue-journal.js';
import type { Vault } from '../profile/vault.js';
import type { Persistence } from './commands.js';
import { HistoryWriter } from './history-writer.js';
import type { OutgoingMessage } from './send-queue.js';
import { DebouncedVaultSaver } from './vault-saver.js';
import {
  modelFromVault,
  toAddress,
  toServiceId,
  vaultFromModel,
  type CoreModel,
} from './vault-mapping.js';

/** The messenger's model as saved: the vault state with the journal's later sends replayed. */
export function loadModel(
  vault: Vault,
  journal: QueueJournal | undefined,
  ownServiceId: string,
  now: number,
  incomingLimits?: Partial<IncomingRequestLimits>,
): CoreModel {
  const saved = vault.state;
  const state =
    journal === undefined
      ? saved
      : replayQueueJournal(saved, journal.pendingAfter(saved.queueJournal));
  return modelFromVault(state, ownServiceId, now, incomingLimits).model;
}

export interface MessengerStoreOptions {
  readonly vault: Vault;
  readonly journal: QueueJournal | undefined;
  readonly model: CoreModel;
  readonly now: () => number;
  readonly saveDebounceMs: number;
  readonly onError: (error: unknown) => void;
  readonly isClosed: () => boolean;
  /** Before every save: what removed or blocked contacts left (endpoints, bulk links) goes. */
  readonly pruneGone: () => void;
}

export class MessengerStore implements Persistence {
  readonly #o: MessengerStoreOptions;
  readonly #saver: DebouncedVaultSaver;
  readonly #history: HistoryWriter;

  constructor(options: MessengerStoreOptions) {
    this.#o = options;
    const { vault, journal, model, now } = options;
    this.#saver = new DebouncedVaultSaver({
      debounceMs: options.saveDebounceMs,
      snapshot: () => {
        const state = vaultFromModel(model, vault.state, now());
        return journal === undefined ? state : { ...state, queueJournal: journal.mark() };
      },
      save: async (state, saveOptions) => {
        await vault.save(state, saveOptions);
        // The journal records this state holds may go (at once after a deletion).
        if (journal !== undefined && state.queueJournal !== undefined) {
          await journal.folded(state.queueJournal, saveOptions);
        }
      },
      onError: options.onError,
      isClosed: options.isClosed,
    });
    this.#history = new HistoryWriter(vault, model, options.onError);
    model.conversations.onChange = (address, change) => this.#history.changed(address, change);
    // Saved history stays in its log until the conversation is first needed.
    const saved = [...vault.unloadedHistory].map(toAddress);
    model.conversations.savedIn(saved, (address) => this.#history.load(address));
  }

  /** Whether the contact's incoming message `wireId` is in its history log (HistoryWriter). */
  incomingSaved(address: RicochetId, wireId: number): Promise<boolean> | boolean {
    return this.#history.incomingSaved(address, wireId);
  }

  changed(): void {
    this.#o.pruneGone();
    this.#saver.changed();
  }

  async persist(): Promise<void> {
    this.changed();
    await this.flush();
  }

  async persistQueued(address: RicochetId, message: OutgoingMessage): Promise<void> {
    const { journal } = this.#o;
    if (journal !== undefined) {
      try {
        await journal.append({
          serviceId: toServiceId(address),
          localId: message.localId,
          text: message.text,
          at: message.composedAt,
        });
        return this.changed(); // folded into the vault by the next (debounced) save
      } catch (error) {
        this.#o.onError(error); // the journal failed: save the whole vault instead
      }
    }
    await this.persist();
  }

  async persistDeletion(address: RicochetId): Promise<void> {
    this.#o.pruneGone();
    await this.#saver.saveNow({ forget: true });
    await this.#history.shred(address);
  }

  historyEnabled(address: RicochetId): Promise<void> {
    return this.#history.enabled(address);
  }

  /** Writes pending state changes to the vault now (and waits for the history appends). */
  async flush(): Promise<void> {
    await this.#saver.flush();
    await this.#history.settled();
  }
}
