// Per-conversation history logs (docs/PROFILE.md "History logs", docs/SEAMS.md §1): each contact
// whose history is on has its own sealed log (sealed-log.ts) in `<vault>.history/<log id>.log`,
// under a random 32-byte key and a random 16-byte log id that only the vault holds (the file name
// says nothing about the contact). One change is one append; a deletion is crypto-shredding: the
// key leaves every copy of the vault (a `forget` save), then the file is removed. A log is opened
// (read, authenticated, replayed, in slices that yield to the event loop) when its conversation is
// first needed, never at open (docs/PROFILE.md "Loading on first use"). At most OPEN_DESCRIPTORS
// logs keep a file descriptor; the others are released and reopen on use.
import { randomBytes } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from './atomic-write.js';
import { HistoryLogUnreadableError } from './errors.js';
import {
  encodeHistoryChange,
  replayHistoryInSlices,
  type HistoryChange,
} from './history-record.js';
import { ensurePrivateDir } from './profile-dir.js';
import { yieldToEventLoop } from './sealed-log-format.js';
import { createSealedLog, openSealedLog, type SealedLog } from './sealed-log.js';
import type { HistoryLogRef, HistoryLogRefs } from './vault-state-json.js';
import type { HistoryMessageRecord } from './vault-state.js';

export type { HistoryChange } from './history-record.js';

const OPEN_DESCRIPTORS = 32;
const LOG_FILE = /^([0-9a-f]{32})\.log$/;

/** The store's view of one conversation (docs/SEAMS.md §1: `store.history(contact)`). */
export interface ConversationHistory {
  /** Persist one change; resolves once it is fsynced. The first one creates the key and log. */
  append(change: HistoryChange): Promise<void>;
  /**
   * The history saved before this session (oldest first), for the conversation's first use: the
   * first call opens the log; concurrent and later calls share that one load. A log that cannot be
   * read gives no messages and its `error` (kept, never fatal; see HistoryProblem).
   */
  load(): Promise<LoadedHistory>;
  /** The saved history as the log holds it now, replayed from the file (oldest first). */
  read(): Promise<HistoryMessageRecord[]>;
  /**
   * Replace the whole log by `messages` (compaction; history turned on with messages shown). The
   * caller passes the whole conversation: its saved history loaded first (`load`) or `read`.
   */
  rewrite(messages: readonly HistoryMessageRecord[]): Promise<void>;
  /** Crypto-shred: the key leaves every copy of the vault, then the log file is removed. */
  shred(): Promise<void>;
  /** Records in the log (messages and state changes): the caller compacts when it outgrows. */
  readonly recordCount: number;
}

export interface LoadedHistory {
  readonly messages: readonly HistoryMessageRecord[];
  /** Why the log could not be read (the conversation then starts empty). */
  readonly error?: unknown;
}

/**
 * A conversation whose log could not be opened when first needed (it starts empty; its file and
 * key are left alone). Its next change tries the log again; if it still cannot be opened, changes
 * of that conversation fail with HistoryLogUnreadableError until the user deletes the history (a
 * shred).
 */
export interface HistoryProblem {
  readonly serviceId: string;
  readonly error: unknown;
}

export function historyDirFor(vaultPath: string): string {
  return join(dirname(vaultPath), `${basename(vaultPath)}.history`);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** The records of `messages`, encoded in slices that yield to the event loop. */
async function encodeAll(messages: readonly HistoryMessageRecord[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  while (out.length < messages.length) {
    const until = performance.now() + 4;
    while (out.length < messages.length && performance.now() < until) {
      const message = messages[out.length] as HistoryMessageRecord;
      out.push(encodeHistoryChange({ kind: 'message', message }));
    }
    if (out.length < messages.length) await yieldToEventLoop();
  }
  return out;
}

interface WaitingAppend {
  readonly record: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

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
  readonly #unloaded = new Set<string>(); // refs whose log this session has not opened yet
  readonly #unopened = new Set<string>(); // refs whose log failed to open, not yet retried
  readonly #savedAtOpen = new Map<string, HistoryMessageRecord[]>(); // loaded, not yet handed out
  readonly #loads = new Map<string, Promise<LoadedHistory>>(); // first loads, shared
  readonly #recovered = new Map<string, HistoryMessageRecord[]>(); // saved, but not shown
  readonly #problems: HistoryProblem[] = [];
  readonly #waitingAppends = new Map<string, WaitingAppend[]>(); // the next turn's changes
  #hooks: HistoryLogsHooks | undefined;

  private constructor(dir: string, profileId: Uint8Array, refs: Map<string, HistoryLogRef>) {
    this.#dir = dir;
    this.#profileId = profileId;
    this.#refs = refs;
    for (const serviceId of refs.keys()) this.#unloaded.add(serviceId);
  }

  /**
   * The logs the refs name, none of them read yet (each is opened when its conversation is first
   * needed); files in the directory that no ref names (a crash before the vault learnt of them,
   * logs of shredded keys, temp files) are removed.
   */
  static async open(
    vaultPath: string,
    profileId: Uint8Array,
    refs: Map<string, HistoryLogRef>,
  ): Promise<HistoryLogs> {
    const dir = historyDirFor(vaultPath);
    await ensurePrivateDir(dir);
    const logs = new HistoryLogs(dir, profileId, refs);
    await logs.#removeUnreferenced();
    return logs;
  }

  /** Conversations with a saved log this session has not loaded yet. */
  get unloaded(): ReadonlySet<string> {
    return this.#unloaded;
  }

  /** Logs found unreadable so far (each conversation starts empty; see HistoryProblem). */
  get problems(): readonly HistoryProblem[] {
    return this.#problems;
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
      append: (change) => this.#append(serviceId, change),
      load: () => this.#load(serviceId),
      read: () =>
        this.#serial(serviceId, async () => {
          const ref = this.#refs.get(serviceId);
          if (ref === undefined) return [];
          const opened = await this.#openLog(ref);
          await opened.log.close();
          return opened.messages;
        }),
      rewrite: (messages) =>
        this.#serial(serviceId, async () => {
          const log = await this.#existing(serviceId);
          if (log === undefined) await this.#create(serviceId, await encodeAll(messages));
          else await log.compact(await encodeAll(this.#withRecovered(serviceId, messages)));
          this.#used(serviceId);
        }),
      shred: () => this.#serial(serviceId, () => this.#shred(serviceId)),
      get recordCount() {
        return logs.get(serviceId)?.count ?? 0;
      },
    };
  }

  /**
   * One change, in turn with the conversation's loads, compactions and shreds. Changes made while
   * an earlier one is being written wait together and go to the log at once, so they share one
   * write and fdatasync (the log's group commit) instead of one fdatasync each.
   */
  async #append(serviceId: string, change: HistoryChange): Promise<void> {
    const record = encodeHistoryChange(change); // an invalid change rejects here, alone
    let batch = this.#waitingAppends.get(serviceId);
    if (batch === undefined) {
      const appends: WaitingAppend[] = [];
      batch = appends;
      void this.#serial(serviceId, async () => {
        if (this.#waitingAppends.get(serviceId) === appends) this.#waitingAppends.delete(serviceId);
        try {
          const log = (await this.#existing(serviceId)) ?? (await this.#create(serviceId, []));
          // Issued together: they join one batch of the log (one write, one fdatasync).
          const written = appends.map((a) => log.append(a.record).then(a.resolve, a.reject));
          this.#used(serviceId);
          await Promise.all(written);
        } catch (error) {
          for (const a of appends) a.reject(error);
        }
      });
      this.#waitingAppends.set(serviceId, appends); // after #serial, which closes the last batch
    }
    const appends = batch;
    await new Promise<void>((resolve, reject) => appends.push({ record, resolve, reject }));
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
    this.#unloaded.clear();
    this.#unopened.clear();
    this.#savedAtOpen.clear();
    this.#loads.clear();
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

  /**
   * Runs `task` after everything asked of this conversation so far. Changes asked from now on
   * wait for the next turn (none joins a batch queued before this task).
   */
  #serial<T>(serviceId: string, task: () => Promise<T>): Promise<T> {
    this.#waitingAppends.delete(serviceId);
    const previous = this.#chains.get(serviceId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(task);
    this.#chains.set(serviceId, run);
    return run;
  }

  /** Opens the log in slices and replays it (no event-loop stall however long it is). */
  async #openLog(
    ref: HistoryLogRef,
  ): Promise<{ log: SealedLog; messages: HistoryMessageRecord[] }> {
    const opened = await openSealedLog(this.#path(ref), { ...this.#identity(ref), inSlices: true });
    try {
      return { log: opened.log, messages: (await replayHistoryInSlices(opened.records)).messages };
    } catch (error) {
      await opened.log.close();
      throw error;
    }
  }

  /** The first load of a conversation, shared by every caller (in turn with its writes). */
  #load(serviceId: string): Promise<LoadedHistory> {
    let load = this.#loads.get(serviceId);
    if (load === undefined) {
      load = this.#serial(serviceId, async (): Promise<LoadedHistory> => {
        try {
          await this.#existing(serviceId);
        } catch (error) {
          return { messages: [], error };
        }
        const messages = this.#savedAtOpen.get(serviceId) ?? this.#recovered.get(serviceId) ?? [];
        this.#savedAtOpen.delete(serviceId); // handed to the conversation, which shows them now
        this.#recovered.delete(serviceId);
        return { messages };
      });
      this.#loads.set(serviceId, load);
    }
    return load;
  }

  /**
   * The conversation's open log, if it has one. A log not read yet this session is opened here
   * (its messages kept for the conversation's load). A log that could not be opened is tried once
   * more (a passing EMFILE or EIO heals); if it still fails, it is never replaced: its file and key
   * stay as they are and the change fails with HistoryLogUnreadableError.
   */
  async #existing(serviceId: string): Promise<SealedLog | undefined> {
    const open = this.#logs.get(serviceId);
    if (open !== undefined) return open;
    const ref = this.#refs.get(serviceId);
    if (ref === undefined) return undefined;
    // First use this session: its messages wait for the conversation's load. A retry after a
    // failure: the conversation started without them (a compaction keeps them).
    const firstUse = this.#unloaded.delete(serviceId);
    if (firstUse || this.#unopened.delete(serviceId)) {
      try {
        const opened = await this.#openLog(ref);
        this.#logs.set(serviceId, opened.log);
        (firstUse ? this.#savedAtOpen : this.#recovered).set(serviceId, opened.messages);
        return opened.log;
      } catch (error) {
        if (firstUse) {
          this.#problems.push({ serviceId, error });
          this.#unopened.add(serviceId); // tried once more at the next change
        }
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
    this.#unloaded.delete(serviceId);
    this.#unopened.delete(serviceId);
    this.#savedAtOpen.delete(serviceId);
    this.#loads.delete(serviceId);
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
