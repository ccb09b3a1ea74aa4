// The messenger's debounced vault saver: state changes within `debounceMs` are written once,
// writes run one after another (never two at once), a closed messenger saves at once, and a failed
// write is reported (as an `error` event by the caller) without losing what is in memory.
import type { SaveOptions } from '../profile/vault.js';
import type { VaultState } from '../profile/vault-state.js';

export interface VaultSaverOptions {
  readonly debounceMs: number;
  /** The state to write, taken when the write is queued. */
  readonly snapshot: () => VaultState;
  readonly save: (state: VaultState, options: SaveOptions) => Promise<void>;
  readonly onError: (error: unknown) => void;
  /** After close every change is written at once (nothing may wait for a timer). */
  readonly isClosed: () => boolean;
}

export class DebouncedVaultSaver {
  readonly #o: VaultSaverOptions;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(options: VaultSaverOptions) {
    this.#o = options;
  }

  /** Something changed: write it soon (or now, once closed). */
  changed(): void {
    if (this.#o.isClosed() && this.#timer === undefined) {
      this.#saveNow();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#saveNow();
    }, this.#o.debounceMs);
  }

  /** Writes a pending change now and waits for every queued write. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#saveNow();
    }
    await this.#saving;
  }

  /** Writes now with `options` (e.g. `forget` after a deletion) and waits for it. */
  async saveNow(options: SaveOptions): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#saveNow(options);
    await this.#saving;
  }

  #saveNow(options: SaveOptions = {}): void {
    const state = this.#o.snapshot();
    this.#saving = this.#saving
      .then(() => this.#o.save(state, options))
      .catch((error: unknown) => this.#o.onError(error));
  }
}
