// Crash tests of the history logs (issue 12): a real child process (dist/) is SIGKILLed while it
// appends, while it compacts, and while it migrates a version-1 vault. The profile then opens,
// every change the child acknowledged as saved is there, and a shredded conversation stays gone.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { historyDirFor } from '../../src/profile/history-logs.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { encodeHeader } from '../../src/profile/vault-format.js';
import { encodeLegacyVaultState } from '../../src/profile/vault-state-json.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';
import { deriveNewKey } from '../../src/profile/vault-unseal.js';
import { buildDist } from '../tor/headless-process.js';
import { distModule as dist, runScript, type ChildScript } from './child-script.js';
import { ALICE, BOB, TEST_SCRYPT, tempDir } from './helpers.js';

const PASS = 'crash pass';
const run = (script: string, args: string[]): ChildScript => runScript(script, args, PASS);

/** Appends (and with `compact`, rewrites the whole log first) until killed; says `acked N`. */
const WRITER = `
  const { openVault } = await import(${dist('profile/vault.js')});
  let pass = '';
  for await (const chunk of process.stdin) pass += chunk;
  const [path, mode, alice, bob] = process.argv.slice(1);
  const vault = await openVault(path, pass);
  await vault.history(bob).shred();
  process.stdout.write('shredded\\n');
  const h = vault.history(alice);
  for (let i = 1; ; i++) {
    if (mode === 'compact') await h.rewrite(await h.read());
    const message = { id: i, direction: 'out', text: 'm' + i + ' ' + 'x'.repeat(1500), at: i,
      timeDelta: 0, state: 'queued' };
    await h.append({ kind: 'message', message });
    await h.append({ kind: 'state', id: i, state: 'sent', timeDelta: 0 });
    process.stdout.write('acked ' + i + '\\n');
  }
`;

const OPENER = `
  const { openVault } = await import(${dist('profile/vault.js')});
  let pass = '';
  for await (const chunk of process.stdin) pass += chunk;
  await openVault(process.argv[1], pass);
  process.stdout.write('opened\\n');
  setInterval(() => undefined, 1000);
`;

/** Resolves with the last `acked N` once N reaches `count`, after killing the child. */
function killAfterAcks(child: ChildProcess, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let acked = 0;
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const match of buffered.matchAll(/acked (\d+)\n/g)) acked = Number(match[1]);
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      if (acked >= count) {
        child.kill('SIGKILL');
        resolve(acked);
      }
    });
    child.once('exit', (code) => {
      if (acked < count) reject(new Error(`child exited (${code}) after ${acked} acks`));
    });
  });
}

const preloaded = Array.from({ length: 150 }, (_, i) => ({
  id: 1000 + i,
  direction: 'in' as const,
  text: `old ${i} ${'y'.repeat(1500)}`,
  at: i,
  timeDelta: 0,
  state: 'delivered' as const,
}));

async function profile(): Promise<string> {
  const path = join(await tempDir(), 'vault.sotto');
  const base = emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() });
  const contacts = [ALICE, BOB].map((serviceId) => ({
    serviceId,
    nickname: 'c',
    addedAt: 1,
    historyEnabled: true,
  }));
  const bobSecret = [{ ...preloaded[0]!, id: 1, text: 'bob secret' }];
  const state = { ...base, contacts, history: { [ALICE]: preloaded, [BOB]: bobSecret } };
  (await createVault(path, PASS, state, { scrypt: TEST_SCRYPT })).close();
  return path;
}

async function expectAfterCrash(path: string, acked: number): Promise<void> {
  const vault = await openVault(path, PASS);
  const alice = (await vault.loadAllHistory())[ALICE] ?? [];
  expect(alice.slice(0, preloaded.length)).toEqual(preloaded);
  const written = alice.slice(preloaded.length);
  // Everything acknowledged, in order, as acknowledged; at most the one in flight beyond.
  expect(written.length - acked).toBeGreaterThanOrEqual(0);
  expect(written.length - acked).toBeLessThanOrEqual(1);
  written.slice(0, acked).forEach((m, i) => expect([m.id, m.state]).toEqual([i + 1, 'sent']));
  expect((await vault.loadAllHistory())[BOB]).toBeUndefined(); // shredded before, never back
  expect(await readdir(historyDirFor(path))).toHaveLength(1);
  vault.close();
}

describe('history crash safety (SIGKILL)', { timeout: 180_000 }, () => {
  beforeAll(() => buildDist(), 300_000);

  it('during appends: nothing acknowledged is lost, nothing shredded comes back', async () => {
    const path = await profile();
    const { child, exited } = run(WRITER, [path, 'append', ALICE, BOB]);
    const acked = await killAfterAcks(child, 60);
    await exited;
    await expectAfterCrash(path, acked);
  });

  it('during compactions: the old log or the new one, never a mix or nothing', async () => {
    const path = await profile();
    const { child, exited } = run(WRITER, [path, 'compact', ALICE, BOB]);
    const acked = await killAfterAcks(child, 12);
    await exited;
    await expectAfterCrash(path, acked);
  });

  for (const [when, logsSeen] of [
    ['while the first logs are written', 1],
    ['while the last logs are written', 20],
  ] as const) {
    it(`during migration, ${when}: the v1 history opens whole`, async () => {
      const { path, state } = await legacyProfile(24);
      const { child, exited } = run(OPENER, [path]);
      await killWhenLogsAppear(child, historyDirFor(path), logsSeen);
      await exited;
      const vault = await openVault(path, PASS);
      expect(await vault.loadAllHistory()).toEqual(state.history);
      expect(vault.state.contacts).toEqual(state.contacts);
      vault.close();
      expect((await readFile(path))[11]).toBe(2);
      expect(await readdir(historyDirFor(path))).toHaveLength(24); // no orphan left behind
    });
  }
});

/** A version-1 vault (history inside), sealed as the previous release did. */
async function legacyProfile(contactCount: number): Promise<{ path: string; state: VaultState }> {
  const path = join(await tempDir(), 'vault.sotto');
  const ids = Array.from({ length: contactCount }, () => IdentityKey.generate().serviceId);
  const base = emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() });
  const state: VaultState = {
    ...base,
    contacts: ids.map((serviceId) => ({
      serviceId,
      nickname: 'c',
      addedAt: 1,
      historyEnabled: true,
    })),
    history: Object.fromEntries(ids.map((id) => [id, preloaded.slice(0, 40)])),
  };
  const material = await deriveNewKey(PASS, TEST_SCRYPT);
  const nonce = new Uint8Array(randomBytes(24));
  const header = encodeHeader({ kdf: material.kdf, nonce });
  header[11] = 1; // format version 1
  const sealed = xchacha20poly1305(material.key, nonce, header).encrypt(
    encodeLegacyVaultState(state),
  );
  await writeFile(path, Buffer.concat([header, sealed]), { mode: 0o600 });
  return { path, state };
}

/** Kill the child once `count` log files exist (or once it says it opened, whichever first). */
async function killWhenLogsAppear(child: ChildProcess, dir: string, count: number): Promise<void> {
  let opened = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('opened')) opened = true;
  });
  for (;;) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (opened || names.filter((n) => n.endsWith('.log')).length >= count) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  child.kill('SIGKILL');
}
