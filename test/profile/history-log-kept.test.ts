// A history log that cannot be opened is never destroyed (src/profile/history-logs.ts, docs/PROFILE.md
// "History logs"): from the outside in, with real files. A damaged log stays byte for byte with its
// key in the vault while new messages are delivered and shown, the user is told once; a log that
// failed to open for a passing reason is opened again at first use and the new message goes into
// the same log; the user's own "clear history" still shreds the kept log.
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CoreCommand, CoreEvent } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { HistoryLogUnreadableError } from '../../src/profile/errors.js';
import { historyDirFor } from '../../src/profile/history-logs.js';
import { createVault, openVault, type Vault } from '../../src/profile/vault.js';
import { unsealVault } from '../../src/profile/vault-unseal.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { ALICE, TEST_SCRYPT, tempDir } from './helpers.js';

const PASS = 'kept history pass';
const address = `ricochet:${ALICE}`;

async function newProfile(): Promise<{ path: string; dir: string }> {
  const dir = await tempDir();
  const path = join(dir, 'vault.sotto');
  const state = emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() });
  const contacts = [{ serviceId: ALICE, nickname: 'alice', addedAt: 1, historyEnabled: true }];
  (await createVault(path, PASS, { ...state, contacts }, { scrypt: TEST_SCRYPT })).close();
  return { path, dir };
}

/** Opens the profile, runs `commands` through the core, closes; returns the events. */
async function session(
  path: string,
  dir: string,
  commands: CoreCommand[],
): Promise<{ events: CoreEvent[]; problems: string[] }> {
  const vault: Vault = await openVault(path, PASS);
  const events = await runCore(vault, dir, commands);
  return { events, problems: vault.historyProblems.map((p) => p.serviceId) };
}

/** Runs `commands` through a core on an open vault, then closes both; returns the events. */
async function runCore(vault: Vault, dir: string, commands: CoreCommand[]): Promise<CoreEvent[]> {
  const messenger = new Messenger({
    tor: new LoopbackTorProvider({ offline: true }),
    vault,
    downloadsDir: join(dir, 'downloads'),
  });
  const events: CoreEvent[] = [];
  messenger.onEvent((event) => events.push(event));
  for (const command of commands) await messenger.dispatch(command);
  await vault.historySettled();
  await messenger.close();
  vault.close();
  return events;
}

const send = (text: string): CoreCommand => ({ type: 'send', address, text });

/** Alice's log ref as the sealed vault holds it (key and log id), if any. */
async function aliceRef(path: string): Promise<{ key: string; logId: string } | undefined> {
  const unsealed = await unsealVault(path, PASS);
  unsealed.material.key.fill(0);
  const ref = unsealed.decoded.historyLogs.get(ALICE);
  if (ref === undefined) return undefined;
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  return { key: hex(ref.key), logId: hex(ref.logId) };
}

/** The conversation as the core shows it (the answer to a `messages` command). */
const shown = (events: CoreEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'messages' ? e.messages.map((m) => m.text) : []));

describe('a history log that cannot be opened is kept', () => {
  it('a damaged log stays byte for byte with its key; the user is told once', async () => {
    const { path, dir } = await newProfile();
    await session(path, dir, [send('one'), send('two'), send('three')]);
    const ref = await aliceRef(path);
    if (ref === undefined) throw new Error('no log for alice');
    const logPath = join(historyDirFor(path), `${ref.logId}.log`);
    // A byte in the middle of the first of three records: corrupt, not a torn tail.
    const bytes = await readFile(logPath);
    bytes[60] = (bytes[60] ?? 0) ^ 1;
    await writeFile(logPath, bytes);

    const after = await session(path, dir, [
      send('four'),
      send('five'),
      { type: 'messages', address },
    ]);
    expect(after.problems).toEqual([ALICE]);
    expect(shown(after.events)).toEqual(['four', 'five']); // kept and shown all the same
    const errors = after.events.filter((e) => e.type === 'error');
    expect(errors.map((e) => e.type === 'error' && e.code)).toEqual(['history-log-unreadable']);
    expect(await readFile(logPath)).toEqual(bytes);
    expect(await aliceRef(path)).toEqual(ref);
    expect(await readdir(historyDirFor(path))).toEqual([`${ref.logId}.log`]);

    // The user's own deletion still shreds it: key out of the vault, file gone.
    await session(path, dir, [{ type: 'clear-history', address }]);
    expect(await aliceRef(path)).toBeUndefined();
    expect(await readdir(historyDirFor(path))).toEqual([]);
  });

  it('a log that failed to open for a passing reason is opened again at first use', async () => {
    const { path, dir } = await newProfile();
    await session(path, dir, [send('one'), send('two')]);
    const ref = await aliceRef(path);
    if (ref === undefined) throw new Error('no log for alice');
    const logPath = join(historyDirFor(path), `${ref.logId}.log`);
    const aside = join(dir, 'aside.log'); // outside the history directory (strays there go)
    // The log is away when the conversation is first needed (root reads a chmod-000 file, so it
    // is moved)...
    await rename(logPath, aside);
    const vault = await openVault(path, PASS);
    const loaded = await vault.history(ALICE).load();
    expect(loaded.messages).toEqual([]);
    expect(loaded.error).toBeInstanceOf(HistoryLogUnreadableError);
    expect(vault.historyProblems.map((p) => p.serviceId)).toEqual([ALICE]);
    // ...and back before the next message.
    await rename(aside, logPath);
    const events = await runCore(vault, dir, [send('three')]);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(await aliceRef(path)).toEqual(ref); // the same log, the same key
    expect(await readdir(historyDirFor(path))).toEqual([`${ref.logId}.log`]);
    const again = await openVault(path, PASS);
    expect(again.historyProblems).toEqual([]);
    expect((await again.loadAllHistory())[ALICE]?.map((m) => m.text)).toEqual([
      'one',
      'two',
      'three',
    ]);
    again.close();

    await session(path, dir, [{ type: 'clear-history', address }]);
    expect(await aliceRef(path)).toBeUndefined();
    expect(await readdir(historyDirFor(path))).toEqual([]);
  });

  it('compacting a log recovered at first use keeps the history it holds', async () => {
    const { path, dir } = await newProfile();
    const vault = await openVault(path, PASS);
    const old = 300; // more records than the compaction slack: the next append compacts
    for (let id = 1; id <= old; id++) {
      const message = { id, direction: 'in', text: `old ${id}`, at: id, timeDelta: 0 } as const;
      await vault
        .history(ALICE)
        .append({ kind: 'message', message: { ...message, state: 'delivered' } });
    }
    vault.close();
    await vault.historySettled();
    const ref = await aliceRef(path);
    if (ref === undefined) throw new Error('no log for alice');
    const logPath = join(historyDirFor(path), `${ref.logId}.log`);
    const aside = join(dir, 'aside.log');
    await rename(logPath, aside);
    const reopened = await openVault(path, PASS);
    expect((await reopened.history(ALICE).load()).messages).toEqual([]); // away at first use
    await rename(aside, logPath);
    await runCore(reopened, dir, [send('new')]);
    const again = await openVault(path, PASS);
    const texts = (await again.loadAllHistory())[ALICE]?.map((m) => m.text) ?? [];
    again.close();
    expect(texts.filter((t) => t.startsWith('old '))).toHaveLength(old);
    expect(texts.at(-1)).toBe('new');
  });
});
