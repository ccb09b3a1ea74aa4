// The durable send-queue journal (docs/SEAMS.md §1, docs/PROFILE.md "Send-queue journal"): the
// promise "a message is in a file before it is reported `queued`" is kept by one fdatasync'ed
// append of a sealed record (src/profile/sealed-log.ts), not by re-sealing the whole vault. The
// debounced vault save folds the journal in: the saved state carries a watermark (this journal
// file's generation and how many of its records the state holds), and once that state is on disk
// the folded records are compacted away. On open, the records past the watermark are replayed into
// the loaded state. A crash anywhere in between neither loses a journaled message nor brings back
// one the vault already holds (the watermark, not the file's content, decides).
//
// Record plaintext: JSON. The first record of every file generation is `{"g": <32 hex>}` naming
// it; the others are `{"s": serviceId, "l": localId, "t": text, "a": composedAt}`. Key, log id
// and profile id derive from the identity key (HKDF-SHA256), so only whoever opens the vault can
// read or forge the journal, and a journal cannot be moved to another profile.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SERVICE_ID_PATTERN } from '../identity/service-id.js';
import { LIMITS } from '../schema/limits.js';
import { ProfileError } from './errors.js';
import { createSealedLog, openSealedLog, type SealedLog } from './sealed-log.js';
import {
  JOURNAL_GENERATION_PATTERN,
  type QueueJournalMarkRecord,
  type QueuedMessageRecord,
  type VaultState,
} from './vault-state.js';

/** The journal's file, beside the vault. */
export const QUEUE_JOURNAL_NAME = 'queue.journal';
/** Compact once this many folded records have piled up (a deletion compacts at once). */
export const COMPACT_AFTER_RECORDS = 64;
/** How many past generations a mark taken before a compaction can still be mapped from. */
const MAX_REMEMBERED_GENERATIONS = 8;

/** One message reported `queued` (what the vault's send queue holds for it). */
export interface JournalEntry {
  readonly serviceId: string;
  readonly localId: number;
  readonly text: string;
  readonly at: number;
}

/** The fold watermark a saved state carries (VaultState.queueJournal). */
export type JournalMark = QueueJournalMarkRecord;

/** An authenticated journal record that is not what Sotto writes (never a torn tail). */
export class QueueJournalCorruptedError extends ProfileError {
  readonly code: string = 'queue-journal-corrupted';
  override name = 'QueueJournalCorruptedError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function derive(identityKey: Uint8Array, label: string, length: number): Uint8Array {
  return hkdf(sha256, identityKey, encoder.encode('sotto'), encoder.encode(label), length);
}

const encode = (value: object): Uint8Array => encoder.encode(JSON.stringify(value));
const encodeEntry = (e: JournalEntry): Uint8Array =>
  encode({ s: e.serviceId, l: e.localId, t: e.text, a: e.at });

function decodeEntry(bytes: Uint8Array, index: number): JournalEntry {
  const bad = (): never => {
    throw new QueueJournalCorruptedError(`queue journal record ${index} is malformed`);
  };
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return bad();
  }
  if (typeof value !== 'object' || value === null) return bad();
  const { s, l, t, a } = value as Record<string, unknown>;
  if (typeof s !== 'string' || !SERVICE_ID_PATTERN.test(s)) return bad();
  if (typeof l !== 'number' || !Number.isSafeInteger(l) || l < 1) return bad();
  if (typeof t !== 'string' || t.length > LIMITS.messageText) return bad();
  if (typeof a !== 'number' || !Number.isSafeInteger(a) || a < 0) return bad();
  return { serviceId: s, localId: l, text: t, at: a };
}

function decodeGeneration(bytes: Uint8Array | undefined): string {
  let g: unknown;
  try {
    g = bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as { g?: unknown }).g;
  } catch {
    g = undefined;
  }
  if (typeof g !== 'string' || !JOURNAL_GENERATION_PATTERN.test(g)) {
    throw new QueueJournalCorruptedError('the queue journal has no generation record');
  }
  return g;
}

const newGeneration = (): string => randomBytes(16).toString('hex');

export class QueueJournal {
  readonly path: string;
  readonly #log: SealedLog;
  #generation: string;
  /** Entries of the current generation, oldest first (entry i is record i + 1). */
  #entries: JournalEntry[];
  /** The first `#folded` entries are held by the vault on disk. */
  #folded = 0;
  /**
   * For marks taken before a compaction: how many entries to subtract to map a mark of that
   * generation onto the current one (a save that began before a compaction finishes after it).
   */
  readonly #offsets = new Map<string, number>();
  #chain: Promise<void> = Promise.resolve();

  private constructor(path: string, log: SealedLog, generation: string, entries: JournalEntry[]) {
    this.path = path;
    this.#log = log;
    this.#generation = generation;
    this.#entries = entries;
  }

  /**
   * Opens (or creates) the journal of the vault at `vaultPath` for the identity whose 64-byte
   * expanded key is `identityKey`. Throws SealedLogCorruptedError (damaged file) or
   * QueueJournalCorruptedError; a torn last record (a crash during an append, before `queued` was
   * reported) is dropped.
   */
  static async open(vaultPath: string, identityKey: Uint8Array): Promise<QueueJournal> {
    const path = join(dirname(vaultPath), QUEUE_JOURNAL_NAME);
    const options = {
      key: derive(identityKey, 'sotto-queue-journal-key-v1', 32),
      logId: derive(identityKey, 'sotto-queue-journal-id-v1', 16),
      profileId: derive(identityKey, 'sotto-queue-journal-profile-v1', 32),
    };
    try {
      const opened = await openSealedLog(path, options).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      if (opened === undefined) {
        const generation = newGeneration();
        const log = await createSealedLog(path, options, [encode({ g: generation })]);
        return new QueueJournal(path, log, generation, []);
      }
      const [first, ...rest] = opened.records;
      try {
        const generation = decodeGeneration(first);
        return new QueueJournal(path, opened.log, generation, rest.map(decodeEntry));
      } catch (error) {
        await opened.log.close();
        throw error;
      }
    } finally {
      options.key.fill(0);
    }
  }

  /** The entries a state saved with `mark` does not hold yet (all of them without a mark). */
  pendingAfter(mark: JournalMark | undefined): JournalEntry[] {
    const folded = mark === undefined ? undefined : this.#currentIndex(mark);
    if (folded === undefined) return [...this.#entries];
    return this.#entries.slice(Math.min(folded, this.#entries.length));
  }

  /**
   * Journals one queued message; resolves once it is on disk (written and fdatasync'ed). Appends
   * do not wait for each other: those made while a write is under way share the next write and
   * fdatasync (the log's group commit). The log keeps them in call order with compactions, and an
   * append made during a compaction goes to the new file (after the entries it keeps).
   */
  append(entry: JournalEntry): Promise<void> {
    this.#entries.push(entry);
    return this.#log.append(encodeEntry(entry));
  }

  /** The watermark of a state taken now: it holds every entry journaled so far. */
  mark(): JournalMark {
    return { generation: this.#generation, folded: this.#entries.length };
  }

  /**
   * The state carrying `mark` is on disk: its entries may go. The file is rewritten (a new
   * generation, atomically) when enough folded records piled up, or at once with `forget` (after a
   * deletion no journal record may hold what the vault dropped).
   */
  folded(mark: JournalMark, options: { readonly forget?: boolean } = {}): Promise<void> {
    return this.#serial(async () => {
      const markFolded = this.#currentIndex(mark);
      if (markFolded === undefined) return;
      this.#folded = Math.max(this.#folded, Math.min(markFolded, this.#entries.length));
      if (this.#folded === 0) return;
      if (options.forget !== true && this.#folded < COMPACT_AFTER_RECORDS) return;
      // The new file: the entries not folded yet as of now; appends made from here on go after
      // them in the new file (the log orders them after this compaction).
      const kept = this.#entries.slice(this.#folded);
      const generation = newGeneration();
      await this.#log.compact([encode({ g: generation }), ...kept.map(encodeEntry)]);
      for (const [older, offset] of this.#offsets) this.#offsets.set(older, offset + this.#folded);
      this.#offsets.set(this.#generation, this.#folded);
      if (this.#offsets.size > MAX_REMEMBERED_GENERATIONS) {
        const oldest = this.#offsets.keys().next().value;
        if (oldest !== undefined) this.#offsets.delete(oldest);
      }
      this.#generation = generation;
      this.#entries = this.#entries.slice(this.#folded); // kept, then appends made meanwhile
      this.#folded = 0;
    });
  }

  /** Waits for pending writes and closes the file (the log closes after its queued writes). */
  async close(): Promise<void> {
    await this.#chain;
    await this.#log.close();
  }

  /** `mark`'s fold index in the current generation, or undefined for an unknown generation. */
  #currentIndex(mark: JournalMark): number | undefined {
    if (mark.generation === this.#generation) return mark.folded;
    const offset = this.#offsets.get(mark.generation);
    return offset === undefined ? undefined : Math.max(0, mark.folded - offset);
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => undefined);
    return run;
  }
}

/**
 * `state` with the journaled entries it does not hold yet put back in their send queues (as
 * `queued`): entries for an address that is no longer a contact, or already in the queue, are
 * skipped, and a queue never grows past its limit.
 */
export function replayQueueJournal(
  state: VaultState,
  entries: readonly JournalEntry[],
): VaultState {
  if (entries.length === 0) return state;
  const contacts = new Set(state.contacts.map((c) => c.serviceId));
  const queues: Record<string, QueuedMessageRecord[]> = {};
  for (const [id, list] of Object.entries(state.queues)) queues[id] = [...list];
  for (const e of entries) {
    if (!contacts.has(e.serviceId)) continue;
    const queue = (queues[e.serviceId] ??= []);
    if (queue.some((m) => m.localId === e.localId)) continue;
    if (queue.length >= LIMITS.queuePerContact) continue;
    queue.push({ localId: e.localId, text: e.text, at: e.at, state: 'queued' });
  }
  return { ...state, queues };
}
