// Deletion that holds (issue 12), from the outside in: a real profile directory, history written
// by the messenger, a deletion through the core command — then every file in the profile directory
// is opened with the passphrase (and read as raw bytes) and the deleted text is in none of them —
// also when a real child process (dist/) is SIGKILLed the moment the deletion is reported done.
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreCommand } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { openProfileDir, type OpenProfileDir } from '../../src/profile/profile-dir.js';
import { createVault, damagedCopies, openVault } from '../../src/profile/vault.js';
import { profileIdOf, unsealVault } from '../../src/profile/vault-unseal.js';
import { parseLog } from '../../src/profile/sealed-log-format.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { distModule as dist, killWhenSaid, runScript } from './child-script.js';
import { TEST_SCRYPT, tempDir } from './helpers.js';
import { buildDist } from '../tor/headless-process.js';

const PASS = 'correct horse';
const SECRET = 'the meeting is at the old mill';
const friend = IdentityKey.generate().serviceId;
const address = `ricochet:${friend}`;
const open: OpenProfileDir[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

/** A profile whose vault and `.prev` both hold SECRET in the friend's history. */
async function profileWithHistory(): Promise<{ messenger: Messenger; dir: string; vault: string }> {
  const profile = await openProfileDir(join(await tempDir(), 'profile'));
  open.push(profile);
  const state = emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() });
  const vault = await createVault(
    profile.paths.vault,
    PASS,
    {
      ...state,
      contacts: [{ serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: true }],
      history: {
        [friend]: [
          { id: 9, direction: 'in', text: SECRET, at: 2, timeDelta: 0, state: 'delivered' },
        ],
      },
    },
    { scrypt: TEST_SCRYPT },
  );
  const tor = new LoopbackTorProvider({ offline: true });
  const messenger = new Messenger({ tor, vault, downloadsDir: profile.paths.downloadsDir });
  // An ordinary change: the vault now holds SECRET twice over (main and `.prev`).
  await messenger.dispatch({ type: 'rename', address, nickname: 'friend2' });
  await messenger.flush();
  // And evidence of an earlier corruption, as openVault's `.prev` fallback leaves it.
  await copyFile(profile.paths.vault, `${profile.paths.vault}.damaged-1`);
  return { messenger, dir: profile.paths.dir, vault: profile.paths.vault };
}

/** Every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/**
 * Which files still reveal SECRET to someone with the passphrase: a file holding it in clear; a
 * vault copy (main, `.prev`, damaged, temp) whose state holds it or whose conversation keys open
 * a log that holds it; and such a log file. Every key is tried on every file, whatever log id its
 * header names (an attacker would).
 */
async function filesRevealing(dir: string): Promise<string[]> {
  const files = await filesUnder(dir);
  const revealing = new Set<string>();
  const keys: { key: Uint8Array; profileId: Uint8Array; from: string }[] = [];
  for (const file of files) {
    if ((await readFile(file)).includes(SECRET)) revealing.add(file);
    const unsealed = await unsealVault(file, PASS).catch(() => undefined);
    if (unsealed === undefined) continue;
    unsealed.material.key.fill(0);
    const { state, historyLogs } = unsealed.decoded;
    if (JSON.stringify(state.history).includes(SECRET)) revealing.add(file);
    const profileId = profileIdOf(state);
    for (const ref of historyLogs.values()) keys.push({ key: ref.key, profileId, from: file });
  }
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(file));
    for (const { key, profileId, from } of keys) {
      const logId = bytes.subarray(10, 26);
      const parsed = (() => {
        try {
          return parseLog(bytes, { key, logId, profileId });
        } catch {
          return undefined;
        }
      })();
      const text = parsed?.records.map((r) => new TextDecoder().decode(r)).join('\n') ?? '';
      if (text.includes(SECRET)) revealing.add(file).add(from);
    }
  }
  return [...revealing].sort();
}

const deletions: [string, CoreCommand][] = [
  ['remove contact', { type: 'remove', address }],
  ['clear history', { type: 'clear-history', address }],
  ['history off', { type: 'history', address, enabled: false }],
];

describe('deletion that holds', () => {
  it('the test sees the secret before a deletion (it is not blind)', async () => {
    const { messenger, dir, vault } = await profileWithHistory();
    const revealing = await filesRevealing(dir);
    // The vault, its `.prev`, the damaged copy (each holds the key) and the history log.
    expect(revealing).toEqual(
      expect.arrayContaining([vault, `${vault}.prev`, `${vault}.damaged-1`]),
    );
    expect(revealing.filter((f) => f.endsWith('.log'))).toHaveLength(1);
    await messenger.close();
  });

  for (const [what, command] of deletions) {
    it(`after "${what}" is done, no file in the profile reveals the deleted history`, async () => {
      const { messenger, dir, vault } = await profileWithHistory();
      await messenger.dispatch(command);
      // Nothing more: no flush, no close — as if the user quit (or was killed) right now.
      expect(await filesRevealing(dir)).toEqual([]);
      expect(await damagedCopies(vault)).toEqual([]);
      // The `.prev` fallback still opens, to the state after the deletion.
      const prev = await openVault(vault, PASS, { usePreviousVersion: true });
      expect((await prev.loadAllHistory())[friend] ?? []).toEqual([]);
      prev.close();
      await messenger.close();
    });
  }

  it('holds when the process is SIGKILLed the moment "remove contact" is reported done', async () => {
    const { messenger, dir, vault } = await profileWithHistory();
    await messenger.close();
    await buildDist();
    const script = `
      const { openVault } = await import(${dist('profile/vault.js')});
      const { Messenger } = await import(${dist('core/messenger.js')});
      const { LoopbackTorProvider } = await import(${dist('onion/loopback-tor-provider.js')});
      let pass = '';
      for await (const chunk of process.stdin) pass += chunk;
      const vault = await openVault(process.argv[1], pass);
      const tor = new LoopbackTorProvider({ offline: true });
      const m = new Messenger({ tor, vault, downloadsDir: process.argv[2] });
      await m.dispatch({ type: 'remove', address: process.argv[3] });
      process.stdout.write('done\\n');
      setInterval(() => undefined, 1000);
    `;
    const args = [vault, join(dir, 'downloads'), address];
    await killWhenSaid(runScript(script, args, PASS), 'done');
    expect(await filesRevealing(dir)).toEqual([]);
  }, 180_000);
});
