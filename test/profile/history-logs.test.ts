// History logs (src/profile/history-logs.ts) from the outside in: messages the user sends through
// the core come back after a restart from the contact's log; saving one message does not re-seal
// the vault; log file names say nothing about the contact; compaction, a damaged log, many logs
// with few descriptors; the version-1 fixture (test/vectors/vault-v1) migrates once.
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { SealedLogCorruptedError, VaultVersionError } from '../../src/profile/errors.js';
import { historyDirFor } from '../../src/profile/history-logs.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState, type HistoryMessageRecord } from '../../src/profile/vault-state.js';
import { ALICE, BOB, TEST_SCRYPT, tempDir } from './helpers.js';

const PASS = 'history pass';
const FIXTURE = join(import.meta.dirname, '..', 'vectors', 'vault-v1', 'vault.sotto');
const FIXTURE_PASS = 'fixture passphrase v1';

const msg = (id: number, text: string, state: HistoryMessageRecord['state'] = 'delivered') =>
  ({ id, direction: 'out', text, at: 1000 + id, timeDelta: 0, state }) as const;

async function newProfile(historyEnabled = true): Promise<{ path: string; dir: string }> {
  const dir = await tempDir();
  const path = join(dir, 'vault.sotto');
  const state = emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() });
  const contacts = [ALICE, BOB].map((serviceId) => ({
    serviceId,
    nickname: serviceId.slice(0, 5),
    addedAt: 1,
    historyEnabled,
  }));
  (await createVault(path, PASS, { ...state, contacts }, { scrypt: TEST_SCRYPT })).close();
  return { path, dir };
}

describe('history logs', () => {
  it('a message sent through the core is in the contact log after a restart', async () => {
    const { path, dir } = await newProfile();
    const vault = await openVault(path, PASS);
    const tor = new LoopbackTorProvider({ offline: true });
    const messenger = new Messenger({ tor, vault, downloadsDir: join(dir, 'downloads') });
    await messenger.dispatch({ type: 'send', address: `ricochet:${ALICE}`, text: 'to alice' });
    await messenger.dispatch({ type: 'send', address: `ricochet:${BOB}`, text: 'to bob' });
    await messenger.close();
    vault.close();
    const again = await openVault(path, PASS);
    expect(
      (await again.loadAllHistory())[ALICE]?.map((m) => [m.text, m.direction, m.state]),
    ).toEqual([['to alice', 'out', 'queued']]);
    expect((await again.loadAllHistory())[BOB]?.map((m) => m.text)).toEqual(['to bob']);
    again.close();
  });

  it('saving one message appends to its log and leaves the vault file untouched', async () => {
    const { path } = await newProfile();
    const vault = await openVault(path, PASS);
    await vault.history(ALICE).append({ kind: 'message', message: msg(1, 'first') });
    const sealed = await readFile(path);
    const logs = await readdir(historyDirFor(path));
    for (let i = 2; i <= 20; i++) {
      await vault.history(ALICE).append({ kind: 'message', message: msg(i, `m${i}`) });
    }
    await vault.history(ALICE).append({ kind: 'state', id: 2, state: 'failed', timeDelta: 0 });
    expect(await readFile(path)).toEqual(sealed); // no re-seal of the small state
    expect(await readdir(historyDirFor(path))).toEqual(logs);
    expect(vault.history(ALICE).recordCount).toBe(21);
    const read = await vault.history(ALICE).read();
    expect(read).toHaveLength(20);
    expect(read[1]).toMatchObject({ id: 2, state: 'failed' });
    vault.close();
  });

  it('names log files by a random id, never by the contact, with private permissions', async () => {
    const { path } = await newProfile();
    const vault = await openVault(path, PASS);
    await vault.history(ALICE).append({ kind: 'message', message: msg(1, 'x') });
    await vault.history(BOB).append({ kind: 'message', message: msg(1, 'y') });
    await vault.historySettled();
    const names = await readdir(historyDirFor(path));
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(name).toMatch(/^[0-9a-f]{32}\.log$/);
      expect(name).not.toContain(ALICE.slice(0, 8));
      expect(name).not.toContain(BOB.slice(0, 8));
      const { mode } = await import('node:fs/promises').then((fs) =>
        fs.stat(join(historyDirFor(path), name)),
      );
      expect(mode & 0o777).toBe(0o600);
    }
    const { mode } = await import('node:fs/promises').then((fs) => fs.stat(historyDirFor(path)));
    expect(mode & 0o777).toBe(0o700);
    vault.close();
  });

  it('a rewrite (compaction) keeps the history and drops superseded records', async () => {
    const { path } = await newProfile();
    const vault = await openVault(path, PASS);
    const h = vault.history(ALICE);
    await h.append({ kind: 'message', message: msg(1, 'one', 'queued') });
    for (const state of ['sent', 'delivered'] as const) {
      await h.append({ kind: 'state', id: 1, state, timeDelta: 0 });
    }
    await h.rewrite(await h.read());
    expect(h.recordCount).toBe(1);
    await h.append({ kind: 'message', message: msg(2, 'two') });
    vault.close();
    const again = await openVault(path, PASS);
    expect((await again.loadAllHistory())[ALICE]?.map((m) => [m.text, m.state])).toEqual([
      ['one', 'delivered'],
      ['two', 'delivered'],
    ]);
    again.close();
  });

  it('changes made at once are all saved in call order, around a compaction made meanwhile', async () => {
    const { path } = await newProfile();
    const vault = await openVault(path, PASS);
    const h = vault.history(ALICE);
    const change = (id: number) => ({ kind: 'message', message: msg(id, `m${id}`) }) as const;
    await h.append(change(1)); // the log exists: the burst below goes to it
    const before = [2, 3, 4, 5].map((id) => h.append(change(id)));
    const compaction = h.rewrite([msg(100, 'compacted')]);
    const after = [6, 7, 8].map((id) => h.append(change(id)));
    await Promise.all([...before, compaction, ...after]);
    expect(h.recordCount).toBe(4);
    vault.close();
    const again = await openVault(path, PASS);
    expect((await again.loadAllHistory())[ALICE]?.map((m) => m.text)).toEqual([
      'compacted',
      'm6',
      'm7',
      'm8',
    ]);
    again.close();
  });

  it('a damaged log is reported; the profile and the other conversations open', async () => {
    const { path } = await newProfile();
    const vault = await openVault(path, PASS);
    for (let i = 1; i <= 3; i++) {
      await vault.history(ALICE).append({ kind: 'message', message: msg(i, `a${i}`) });
    }
    await vault.history(BOB).append({ kind: 'message', message: msg(1, 'b1') });
    vault.close();
    await vault.historySettled();
    // Flip a byte inside Alice's first record (her log has three records, Bob's one).
    const dir = historyDirFor(path);
    for (const name of await readdir(dir)) {
      const bytes = await readFile(join(dir, name));
      if (bytes.length < 200) continue;
      bytes[60] = (bytes[60] ?? 0) ^ 1;
      await writeFile(join(dir, name), bytes);
    }
    const again = await openVault(path, PASS);
    expect(again.historyProblems).toEqual([]); // found when the conversation is first needed
    expect((await again.loadAllHistory())[BOB]?.map((m) => m.text)).toEqual(['b1']);
    expect(again.historyProblems.map((p) => p.serviceId)).toEqual([ALICE]);
    expect(again.historyProblems[0]?.error).toBeInstanceOf(SealedLogCorruptedError);
    again.close();
  });

  it('keeps many conversations with a bounded number of open descriptors', async () => {
    const dir = await tempDir();
    const path = join(dir, 'vault.sotto');
    const ids = Array.from({ length: 40 }, () => IdentityKey.generate().serviceId);
    const state = emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() });
    const contacts = ids.map((serviceId) => ({
      serviceId,
      nickname: 'c',
      addedAt: 1,
      historyEnabled: true,
    }));
    const descriptors = async (): Promise<number> =>
      (await readdir('/proc/self/fd').catch(() => [])).length;
    const before = await descriptors();
    const vault = await createVault(path, PASS, { ...state, contacts }, { scrypt: TEST_SCRYPT });
    for (const round of [1, 2]) {
      for (const id of ids) {
        await vault.history(id).append({ kind: 'message', message: msg(round, `${id} ${round}`) });
      }
    }
    await vault.historySettled();
    const held = (await descriptors()) - before;
    vault.close();
    expect(held).toBeLessThanOrEqual(32 + 2); // 32 logs at most hold a descriptor (of 40)
    const again = await openVault(path, PASS);
    for (const id of ids)
      expect((await again.loadAllHistory())[id]?.map((m) => m.id)).toEqual([1, 2]);
    again.close();
  });
});

describe('migration from a version-1 vault', () => {
  it('opens the committed v1 fixture once, moving its history into logs', async () => {
    const dir = await tempDir();
    const path = join(dir, 'vault.sotto');
    await copyFile(FIXTURE, path);
    const original = await readFile(path);
    expect(original[11]).toBe(1);
    const vault = await openVault(path, FIXTURE_PASS);
    expect(vault.migratedFrom).toBe(1);
    const history = (await vault.loadAllHistory())[ALICE];
    expect(history?.map((m) => [m.id, m.direction, m.text, m.state])).toEqual([
      [7, 'in', 'the meeting is at the old mill', 'delivered'],
      [1, 'out', 'understood', 'delivered'],
      [2, 'out', 'bring the documents', 'sent'],
    ]);
    expect(vault.state.contacts.map((c) => c.origin)).toEqual([undefined, 'imported-ricochet']);
    expect(vault.state.queues[ALICE]?.map((m) => m.text)).toEqual(['are you there?']);
    vault.close();
    // Converted: format 2 in the main file and in `.prev`; no copy of the v1 file is left.
    expect((await readFile(path))[11]).toBe(2);
    expect((await readFile(`${path}.prev`))[11]).toBe(2);
    expect(await readdir(dir)).toEqual(['vault.sotto', 'vault.sotto.history', 'vault.sotto.prev']);
    const again = await openVault(path, FIXTURE_PASS);
    expect(again.migratedFrom).toBeUndefined();
    expect((await again.loadAllHistory())[ALICE]).toEqual(history);
    again.close();
  });

  it('refuses a newer vault format with VaultVersionError and writes nothing', async () => {
    const dir = await tempDir();
    const path = join(dir, 'vault.sotto');
    const bytes = await readFile(FIXTURE);
    bytes[11] = 3;
    await writeFile(path, bytes);
    await expect(openVault(path, FIXTURE_PASS)).rejects.toBeInstanceOf(VaultVersionError);
    expect(await readdir(dir)).toEqual(['vault.sotto']);
  });
});
