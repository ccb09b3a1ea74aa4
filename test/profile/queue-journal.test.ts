// The send-queue journal (src/profile/queue-journal.ts) on real files: what is appended is there
// after a reopen, the watermark a saved state carries decides what is replayed (never a record the
// vault holds, never one it lacks), compaction keeps the unfolded records, a torn last record is
// dropped, and another profile's identity cannot read or pass off the file.
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { SealedLogCorruptedError } from '../../src/profile/errors.js';
import {
  COMPACT_AFTER_RECORDS,
  QUEUE_JOURNAL_NAME,
  QueueJournal,
  replayQueueJournal,
  type JournalEntry,
} from '../../src/profile/queue-journal.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { LIMITS } from '../../src/schema/limits.js';
import { tempDir } from './helpers.js';

const friend = IdentityKey.generate().serviceId;
const entry = (localId: number, text = `message ${localId}`): JournalEntry => ({
  serviceId: friend,
  localId,
  text,
  at: 1_700_000_000_000 + localId,
});

async function fresh(): Promise<{ vaultPath: string; key: Uint8Array }> {
  const dir = await tempDir();
  return { vaultPath: join(dir, 'vault.sotto'), key: IdentityKey.generate().expandedKey() };
}

describe('the send-queue journal', () => {
  it('an append made while a compaction runs is on disk afterwards, and not folded', async () => {
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    await journal.append(entry(1));
    const mark = journal.mark(); // a saved state holds entry 1
    // Concurrent sends (not waiting for each other: the second waits for the first's write,
    // which is under way), then the fold compacts (as after a deletion), then one more send.
    const first = journal.append(entry(2));
    for (let i = 0; i < 5; i++) await Promise.resolve(); // the first write has started
    const second = journal.append(entry(3));
    const folding = journal.folded(mark, { forget: true });
    for (let i = 0; i < 5; i++) await Promise.resolve(); // the compaction is queued, not done
    const during = journal.append(entry(4));
    await Promise.all([first, second, folding, during]); // each reported on disk
    expect(journal.pendingAfter(mark)).toEqual([2, 3, 4].map((i) => entry(i)));
    expect(journal.pendingAfter(undefined)).toEqual([2, 3, 4].map((i) => entry(i)));
    await journal.close();
    const again = await QueueJournal.open(vaultPath, key);
    expect(again.pendingAfter(undefined)).toEqual([2, 3, 4].map((i) => entry(i)));
    await again.close();
  });

  it('holds every appended entry after a reopen, in order', async () => {
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    for (let i = 1; i <= 5; i++) await journal.append(entry(i));
    await journal.close();
    const again = await QueueJournal.open(vaultPath, key);
    expect(again.pendingAfter(undefined)).toEqual([1, 2, 3, 4, 5].map((i) => entry(i)));
    await again.close();
  });

  it('replays only what the saved state does not hold, whether or not compaction ran', async () => {
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    await journal.append(entry(1));
    await journal.append(entry(2));
    const mark = journal.mark(); // a vault save takes this state…
    await journal.append(entry(3));
    await journal.close(); // …and the process dies before the journal learns it was saved
    const crashed = await QueueJournal.open(vaultPath, key);
    expect(crashed.pendingAfter(mark)).toEqual([entry(3)]);
    // Now the fold completes, with compaction (as after a deletion): a new file generation.
    await crashed.folded(mark, { forget: true });
    await crashed.append(entry(4));
    await crashed.close();
    const compacted = await QueueJournal.open(vaultPath, key);
    // The saved state still carries the old watermark: everything in the new file is newer.
    expect(compacted.pendingAfter(mark)).toEqual([entry(3), entry(4)]);
    const next = compacted.mark();
    expect(next.generation).not.toBe(mark.generation);
    expect(compacted.pendingAfter(next)).toEqual([]);
    await compacted.close();
  });

  it('keeps folded records until enough pile up, then compacts them away', async () => {
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    const path = join(vaultPath, '..', QUEUE_JOURNAL_NAME);
    for (let i = 1; i <= 10; i++) await journal.append(entry(i, 'x'.repeat(1_000)));
    await journal.folded(journal.mark());
    const before = (await stat(path)).size;
    for (let i = 11; i <= 70; i++) await journal.append(entry(i, 'x'.repeat(1_000)));
    const grown = (await stat(path)).size;
    expect(grown).toBeGreaterThan(before);
    await journal.folded(journal.mark());
    expect((await stat(path)).size).toBeLessThan(before);
    await journal.close();
    const again = await QueueJournal.open(vaultPath, key);
    expect(again.pendingAfter(undefined)).toEqual([]);
    await again.close();
  });

  it('drops a torn last record and opens everything before it', async () => {
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    await journal.append(entry(1));
    await journal.append(entry(2));
    await journal.close();
    const path = join(vaultPath, '..', QUEUE_JOURNAL_NAME);
    await truncate(path, (await stat(path)).size - 5);
    const again = await QueueJournal.open(vaultPath, key);
    expect(again.pendingAfter(undefined)).toEqual([entry(1)]);
    await again.append(entry(3)); // written over the torn bytes
    await again.close();
    const third = await QueueJournal.open(vaultPath, key);
    expect(third.pendingAfter(undefined)).toEqual([entry(1), entry(3)]);
    await third.close();
  });

  it('refuses a journal of another profile, and one with a record changed', async () => {
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    await journal.append(entry(1));
    await journal.append(entry(2));
    await journal.close();
    const other = IdentityKey.generate().expandedKey();
    await expect(QueueJournal.open(vaultPath, other)).rejects.toThrow(SealedLogCorruptedError);
    const path = join(vaultPath, '..', QUEUE_JOURNAL_NAME);
    const bytes = new Uint8Array(await readFile(path));
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 1;
    await writeFile(path, bytes);
    // A changed last record reads as torn (dropped); the first one still opens.
    const opened = await QueueJournal.open(vaultPath, key);
    expect(opened.pendingAfter(undefined)).toEqual([entry(1)]);
    await opened.close();
  });
  it("forgets a removed contact's entry when a deletion's save ends after an older compaction", async () => {
    // The race: a debounced save (mark before) compacts while a deletion's save (mark after the
    // removed contact's message) is under way; the deletion's fold must still drop that message.
    const { vaultPath, key } = await fresh();
    const journal = await QueueJournal.open(vaultPath, key);
    for (let i = 1; i <= COMPACT_AFTER_RECORDS; i++) await journal.append(entry(i));
    const debouncedSave = journal.mark();
    await journal.append(entry(COMPACT_AFTER_RECORDS + 1, 'to the contact the user removes'));
    const deletionSave = journal.mark();
    await journal.folded(debouncedSave); // compacts: a new generation that keeps the last entry
    await journal.folded(deletionSave, { forget: true });
    await journal.close();
    const again = await QueueJournal.open(vaultPath, key);
    expect(again.pendingAfter(undefined)).toEqual([]);
    await again.close();
  });
});

describe('replaying journal entries into a loaded state', () => {
  const base = emptyVaultState({ expandedKey: new Uint8Array(64).fill(2) });
  const contact = { serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: false };

  it('puts them back in the queue as queued, once, for contacts only', () => {
    const stranger = IdentityKey.generate().serviceId;
    const state = {
      ...base,
      contacts: [contact],
      queues: { [friend]: [{ localId: 1, text: 'message 1', at: 1, state: 'sent' as const }] },
    };
    const out = replayQueueJournal(state, [
      entry(1),
      entry(2),
      { ...entry(3), serviceId: stranger },
    ]);
    expect(out.queues[friend]).toEqual([
      { localId: 1, text: 'message 1', at: 1, state: 'sent' },
      { localId: 2, text: 'message 2', at: entry(2).at, state: 'queued' },
    ]);
    expect(out.queues[stranger]).toBeUndefined();
  });

  it('never grows a queue past its limit', () => {
    const full = Array.from({ length: LIMITS.queuePerContact }, (_, i) => ({
      localId: i + 1,
      text: 't',
      at: 1,
      state: 'queued' as const,
    }));
    const state = { ...base, contacts: [contact], queues: { [friend]: full } };
    const out = replayQueueJournal(state, [entry(LIMITS.queuePerContact + 1)]);
    expect(out.queues[friend]).toHaveLength(LIMITS.queuePerContact);
  });
});
