// Per-conversation history logs (docs/PROFILE.md "History logs", docs/SEAMS.md §1): each contact
// whose history is on has its own sealed log (sealed-log.ts) in `<vault>.history/<log id>.log`,
// under a random 32-byte key and a random 16-byte log id that only the vault holds (the file name
// says nothing about the contact). One change is one append; a deletion is crypto-shredding: the
// key leaves every copy of the vault (a `forget` save), then the file is removed. At most
// OPEN_DESCRIPTORS logs keep a file descriptor; the others are released and reopen on use.
import { randomBytes } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from './atomic-write.js';
import { HistoryLogUnreadableError } from './errors.js';
import { encodeHistoryChange, replayHistory, type HistoryChange } from './history-record.js';
import { ensurePrivateDir } from './profile-dir.js';
import { createSealedLog, openSealedLog, type SealedLog } from './sealed-log.js';
import type { HistoryLogRef, HistoryLogRefs } from './vault-state-json.js';
import type { HistoryMessageRecord } from './vault-state.js';

export type { HistoryChange } from './history-record.js';

const OPEN_DESCRIPTORS = 32;
const OPEN_AT_ONCE = 8;
const LOG_FILE = /^([0-9a-f]{32})\.log$/;

/** The store's view of one conversation (docs/SEAMS.md §1: `store.history(contact)`). */
export interface ConversationHistory {
  /** Persist one change; resolves once it is fsynced. The first one creates the key and log. */
  append(change: HistoryChange): Promise<void>;
  /** The saved history, replayed from the log (oldest first). */
  read(): Promise<HistoryMessageRecord[]>;
  /** Replace the whole log by `messages` (compaction; history turned on with messages shown). */
  rewrite(messages: readonly HistoryMessageRecord[]): Promise<void>;
  /** Crypto-shred: the key leaves every copy of the vault, then the log file is removed. */
  shred(): Promise<void>;
  /** Records in the log (messages and state changes): the caller compacts when it outgrows. */
  readonly recordCount: number;
}

/**
 * A conversation whose log could not be opened (it starts empty; its file and key are left alone).
 * Its first use tries the log again; if it still cannot be opened, changes of that conversation
 * fail with HistoryLogUnreadableError until the user deletes the history (a shred).
 */
export interface HistoryProblem {
  readonly serviceId: string;
  readonly error: unknown;
}

export function historyDirFor(vaultPath: string): string {
  return join(dirname(vaultPath), `${basename(vaultPath)}.history`);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const encodeAll = (messages: readonly HistoryMessageRecord[]): Uint8Array[] =>
  messages.map((message) => encodeHistoryChange({ kind: 'message', message }));

export interface HistoryLogsHooks {
  /** Seal the small state with the current refs (`forget`: in every copy of the vault). */
  persistRefs(forget: boolean): Promise<void>;
}

export class HistoryLogs {
  readonly #dir: string;
  readonly #profileId: Uint8Array;
  readonly #refs: Map<string, HistoryLogRef>;
  readonly #logs = new Map<string, SealedLog>();
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #recentlyUsed = new Set<string>(); // logs holding a descriptor, oldest use first
  readonly #unopened = new Set<string>(); // refs whose log failed to open at load, not yet retried
  readonly #recovered = new Map<string, HistoryMessageRecord[]>(); // saved, but not shown
  #hooks: HistoryLogsHooks | undefined;

  private constructor(dir: string, profileId: Uint8Array, refs: Map<string, HistoryLogRef>) {
    this.#dir = dir;
    this.#profileId = profileId;
    this.#refs = refs;
  }

  /**
   * Open every referenced log and replay it; files in the directory that no ref names (a crash
   * before the vault learnt of them, logs of shredded keys, temp files) are removed.
   */
  static async open(
    vaultPath: string,
    profileId: Uint8Array,
    refs: Map<string, HistoryLogRef>,
  ): Promise<{
    logs: HistoryLogs;
    history: Record<string, HistoryMessageRecord[]>;
    problems: HistoryProblem[];
  }> {
    const dir = historyDirFor(vaultPath);
    await ensurePrivateDir(dir);
    const logs = new HistoryLogs(dir, profileId, refs);
    await logs.#removeUnreferenced();
    const history: Record<string, HistoryMessageRecord[]> = {};
    const problems: HistoryProblem[] = [];
    // A few at a time: the reads overlap, and at most OPEN_AT_ONCE descriptors are open.
    const queue = [...refs];
    const openNext = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [serviceId, ref] = next;
        try {
          const opened = await openSealedLog(logs.#path(ref), logs.#identity(ref));
          await opened.log.release();
          logs.#logs.set(serviceId, opened.log);
          const replayed = replayHistory(opened.records);
          if (replayed.messages.length > 0) history[serviceId] = replayed.messages;
        } catch (error) {
          problems.push({ serviceId, error });
          logs.#unopened.add(serviceId);
        }
      }
    };
    await Promise.all(Array.from({ length: OPEN_AT_ONCE }, openNext));
    return { logs, history, problems };
  }

  /** Wired by the vault once it exists (the refs are sealed in its small state). */
  connect(hooks: HistoryLogsHooks): void {
    this.#hooks = hooks;
  }

  /** The current refs, sealed by every vault save. */
  get refs(): HistoryLogRefs {
    return this.#refs;
  }

  history(serviceId: string): ConversationHistory {
    const logs = this.#logs;
    return {
      append: (change) =>
        this.#serial(serviceId, async () => {
          const log = (await this.#existing(serviceId)) ?? (await this.#create(serviceId, []));
          await log.append(encodeHistoryChange(change));
          this.#used(serviceId);
        }),
      read: () =>
        this.#serial(serviceId, async () => {
          const ref = this.#refs.get(serviceId);
          if (ref === undefined) return [];
          const opened = await openSealedLog(this.#path(ref), this.#identity(ref));
          await opened.log.close();
          return replayHistory(opened.records).messages;
        }),
      rewrite: (messages) =>
        this.#serial(serviceId, async () => {
          const log = await this.#existing(serviceId);
          if (log === undefined) await this.#create(serviceId, encodeAll(messages));
          else await log.compact(encodeAll(this.#withRecovered(serviceId, messages)));
          this.#used(serviceId);
        }),
      shred: () => this.#serial(serviceId, () => this.#shred(serviceId)),
      get recordCount() {
        return logs.get(serviceId)?.count ?? 0;
      },
    };
  }

  /** Waits for every pending write (a flush). */
  async settled(): Promise<void> {
    await Promise.all([...this.#chains.values()].map((c) => c.catch(() => undefined)));
  }

  /** Closes every log and zeroes every conversation key. */
  async close(): Promise<void> {
    // The keys now (each log holds its own copy, zeroed when its pending writes are done).
    for (const ref of this.#refs.values()) ref.key.fill(0);
    this.#refs.clear();
    this.#unopened.clear();
    this.#recovered.clear();
    await this.settled();
    for (const log of this.#logs.values()) await log.close().catch(() => undefined);
    this.#logs.clear();
  }

  #path(ref: HistoryLogRef): string {
    return join(this.#dir, `${hex(ref.logId)}.log`);
  }

  #identity(ref: HistoryLogRef): { key: Uint8Array; logId: Uint8Array; profileId: Uint8Array } {
    return { key: ref.key, logId: ref.logId, profileId: this.#profileId };
  }

  #serial<T>(serviceId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(serviceId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(task);
    this.#chains.set(serviceId, run);
    return run;
  }

  /**
   * The conversation's open log, if it has one. A log that could not be opened at load is tried
   * once more here (a passing EMFILE or EIO heals); if it still fails, it is never replaced: its
   * file and key stay as they are and the change fails with HistoryLogUnreadableError.
   */
  async #existing(serviceId: string): Promise<SealedLog | undefined> {
    const open = this.#logs.get(serviceId);
    if (open !== undefined) return open;
    const ref = this.#refs.get(serviceId);
    if (ref === undefined) return undefined;
    if (this.#unopened.delete(serviceId)) {
      try {
        const opened = await openSealedLog(this.#path(ref), this.#identity(ref));
        this.#logs.set(serviceId, opened.log);
        this.#recovered.set(serviceId, replayHistory(opened.records).messages);
        return opened.log;
      } catch (error) {
        throw new HistoryLogUnreadableError(undefined, { cause: error });
      }
    }
    throw new HistoryLogUnreadableError(); // never a new log over a ref the vault still holds
  }

  /**
   * A compaction of a log recovered at first use keeps the saved messages the conversation does
   * not show (it started empty): only the user's deletion removes saved history.
   */
  #withRecovered(
    serviceId: string,
    messages: readonly HistoryMessageRecord[],
  ): readonly HistoryMessageRecord[] {
    // The conversation started without them, so the two lists are disjoint.
    const recovered = this.#recovered.get(serviceId);
    return recovered === undefined ? messages : [...recovered, ...messages];
  }

  /** A new key and log id; the file first (fsynced), then the vault learns of it. */
  async #create(serviceId: string, records: readonly Uint8Array[]): Promise<SealedLog> {
    if (this.#hooks === undefined) throw new Error('history logs are not connected to a vault');
    if (this.#refs.has(serviceId)) throw new HistoryLogUnreadableError();
    const ref = {
      key: new Uint8Array(randomBytes(32)),
      logId: new Uint8Array(randomBytes(16)),
    };
    const log = await createSealedLog(this.#path(ref), this.#identity(ref), records);
    this.#refs.set(serviceId, ref);
    try {
      await this.#hooks.persistRefs(false);
    } catch (error) {
      this.#refs.delete(serviceId);
      await log.close();
      await unlink(this.#path(ref)).catch(() => undefined);
      ref.key.fill(0);
      throw error;
    }
    this.#logs.set(serviceId, log);
    return log;
  }

  async #shred(serviceId: string): Promise<void> {
    const ref = this.#refs.get(serviceId);
    if (ref === undefined) return;
    if (this.#hooks === undefined) throw new Error('history logs are not connected to a vault');
    const log = this.#logs.get(serviceId);
    await log?.release();
    this.#refs.delete(serviceId);
    try {
      await this.#hooks.persistRefs(true); // the key is now in no copy of the vault
    } catch (error) {
      this.#refs.set(serviceId, ref);
      throw error;
    }
    this.#logs.delete(serviceId);
    this.#recentlyUsed.delete(serviceId);
    this.#unopened.delete(serviceId);
    this.#recovered.delete(serviceId);
    await log?.close();
    await unlink(this.#path(ref)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await fsyncDirectory(this.#dir);
    ref.key.fill(0);
  }

  /** Keep at most OPEN_DESCRIPTORS logs with an open descriptor. */
  #used(serviceId: string): void {
    this.#recentlyUsed.delete(serviceId);
    this.#recentlyUsed.add(serviceId);
    while (this.#recentlyUsed.size > OPEN_DESCRIPTORS) {
      const oldest = this.#recentlyUsed.values().next().value as string;
      this.#recentlyUsed.delete(oldest);
      // Not awaited: it runs in that log's own turn (awaiting it here could wait on ourselves).
      void this.#logs
        .get(oldest)
        ?.release()
        .catch(() => undefined);
    }
  }

  async #removeUnreferenced(): Promise<void> {
    const referenced = new Set([...this.#refs.values()].map((ref) => hex(ref.logId)));
    let removed = false;
    for (const name of await readdir(this.#dir)) {
      const match = LOG_FILE.exec(name);
      if (match !== null && referenced.has(match[1] ?? '')) continue;
      await unlink(join(this.#dir, name)).catch(() => undefined);
      removed = true;
    }
    if (removed) await fsyncDirectory(this.#dir);
  }
}
