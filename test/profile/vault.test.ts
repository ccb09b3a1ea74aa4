import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VaultClosedError,
  VaultCorruptedError,
  VaultExistsError,
  VaultNotFoundError,
  VaultVersionError,
  WrongPassphraseError,
} from '../../src/profile/errors.js';
import { createVault, openVault, type Vault } from '../../src/profile/vault.js';
import { HEADER_LENGTH, TAG_LENGTH } from '../../src/profile/vault-format.js';
import { VaultStateError, type VaultState } from '../../src/profile/vault-state.js';
import { TEST_SCRYPT, sampleState, tempDir } from './helpers.js';

const PASS = 'correct horse battery staple ☕';
const opts = { scrypt: TEST_SCRYPT };

/** The state with the saved history, which an opened vault reads only when asked (lazily). */
async function fullState(vault: Vault): Promise<VaultState> {
  return { ...vault.state, history: await vault.loadAllHistory() };
}

/** A hash of every file under `dir` (the history logs' directory included). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of (await readdir(dir, { withFileTypes: true, recursive: true })).sort()) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

async function newVault(passphrase: string | null = PASS): Promise<{ dir: string; path: string }> {
  const dir = await tempDir();
  const path = join(dir, 'vault.sotto');
  (await createVault(path, passphrase, sampleState('v1'), opts)).close();
  return { dir, path };
}

/**
 * Every position for KDF "none" vaults (no KDF cost); for scrypt vaults every header position and
 * samples of the body and the tag (each try runs the KDF).
 */
function positionsToTry(length: number, passphrase: string | null): number[] {
  const all = Array.from({ length }, (_, i) => i);
  if (passphrase === null) return all;
  const tagStart = length - TAG_LENGTH;
  return all.filter(
    (i) => i < HEADER_LENGTH + 4 || i >= tagStart - 2 || (i - HEADER_LENGTH) % 53 === 0,
  );
}

const TYPED = [VaultCorruptedError, WrongPassphraseError, VaultVersionError];
async function expectTypedFailure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => new Error('opened a damaged vault'),
    (e: unknown) => e as Error,
  );
  expect(
    TYPED.some((cls) => error instanceof cls),
    String(error),
  ).toBe(true);
  return error;
}

describe('vault round trip', () => {
  it('creates, reopens, saves and keeps the previous version', async () => {
    const { path } = await newVault();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const vault = await openVault(path, PASS);
    expect(await fullState(vault)).toEqual(sampleState('v1'));
    expect(vault.protected).toBe(true);
    await vault.save(sampleState('v2'));
    await vault.save(sampleState('v3'));
    expect(await fullState(vault)).toEqual(sampleState('v3'));
    vault.close();
    expect(await fullState(await openVault(path, PASS))).toEqual(sampleState('v3'));
    expect((await stat(`${path}.prev`)).mode & 0o777).toBe(0o600);
    const prev = await openVault(path, PASS, { usePreviousVersion: true });
    expect(await fullState(prev)).toEqual(sampleState('v2'));
  });

  it('uses a fresh nonce for every save of the same state', async () => {
    const { path } = await newVault();
    const vault = await openVault(path, PASS);
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await vault.save(sampleState('same'));
      nonces.add(Buffer.from((await readFile(path)).subarray(51, 75)).toString('hex'));
    }
    expect(nonces.size).toBe(5);
  });

  it('keeps no plaintext in the file', async () => {
    const { path } = await newVault();
    const bytes = await readFile(path);
    expect(bytes.includes(Buffer.from('alice'))).toBe(false);
    expect(bytes.includes(Buffer.from('identity'))).toBe(false);
  });

  it('refuses to create over an existing vault', async () => {
    const { path } = await newVault();
    await expect(createVault(path, PASS, sampleState(), opts)).rejects.toBeInstanceOf(
      VaultExistsError,
    );
  });

  it('reports a missing vault', async () => {
    const dir = await tempDir();
    await expect(openVault(join(dir, 'vault.sotto'), PASS)).rejects.toBeInstanceOf(
      VaultNotFoundError,
    );
  });

  it('refuses an invalid state on save and leaves the file alone', async () => {
    const { dir, path } = await newVault();
    const vault = await openVault(path, PASS);
    const before = await snapshot(dir);
    const bad = { ...sampleState(), contacts: [{ serviceId: 'nope' }] } as unknown as VaultState;
    await expect(vault.save(bad)).rejects.toBeInstanceOf(VaultStateError);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('wipes the key on close and refuses use afterwards', async () => {
    const { path } = await newVault();
    const vault = await openVault(path, PASS);
    vault.close();
    await expect(vault.save(sampleState())).rejects.toBeInstanceOf(VaultClosedError);
  });
});

describe('passphrases', () => {
  it('rejects a wrong or missing passphrase and writes nothing', async () => {
    const { dir, path } = await newVault();
    const before = await snapshot(dir);
    await expect(openVault(path, 'wrong')).rejects.toBeInstanceOf(WrongPassphraseError);
    await expect(openVault(path, null)).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('normalises the passphrase to NFC', async () => {
    const { path } = await newVault('cafe\u0301');
    expect(await fullState(await openVault(path, 'caf\u00e9'))).toEqual(sampleState('v1'));
  });

  it('changes the passphrase and drops the .prev sealed under the old one', async () => {
    const { path } = await newVault();
    const vault = await openVault(path, PASS);
    await vault.save(sampleState('v2'));
    await vault.changePassphrase('new passphrase', opts);
    await vault.save(sampleState('v3'));
    vault.close();
    await expect(openVault(path, PASS)).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await fullState(await openVault(path, 'new passphrase'))).toEqual(sampleState('v3'));
    // the .prev now present was written after the change: it opens with the new passphrase only
    await expect(openVault(path, PASS, { usePreviousVersion: true })).rejects.toBeInstanceOf(
      WrongPassphraseError,
    );
  });

  it('no-passphrase vaults are flagged unprotected and can be protected later', async () => {
    const { path } = await newVault(null);
    const vault = await openVault(path, null);
    expect(vault.protected).toBe(false);
    await vault.changePassphrase(PASS, opts);
    expect(vault.protected).toBe(true);
    vault.close();
    await expect(openVault(path, null)).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await fullState(await openVault(path, PASS))).toEqual(sampleState('v1'));
  });
});

describe('damaged files', () => {
  it('truncation at every length fails with a typed error', async () => {
    for (const passphrase of [PASS, null]) {
      const { path } = await newVault(passphrase);
      const full = await readFile(path);
      for (const length of positionsToTry(full.length, passphrase)) {
        await writeFile(path, full.subarray(0, length));
        const error = await expectTypedFailure(openVault(path, passphrase));
        if (length < HEADER_LENGTH + TAG_LENGTH) {
          expect(error).toBeInstanceOf(VaultCorruptedError);
          expect((error as VaultCorruptedError).reason).toBe('truncated');
        }
      }
    }
  }, 60_000);

  it('a flipped byte anywhere is detected, classified by region', async () => {
    for (const passphrase of [PASS, null]) {
      const { path } = await newVault(passphrase);
      const full = await readFile(path);
      for (const i of positionsToTry(full.length, passphrase)) {
        const damaged = Buffer.from(full);
        damaged[i] = (damaged[i] ?? 0) ^ 0xff;
        await writeFile(path, damaged);
        const error = await expectTypedFailure(openVault(path, passphrase));
        const reason = error instanceof VaultCorruptedError ? error.reason : undefined;
        if (i < 11) expect(reason).toBe('bad-magic');
        else if (i === 11) expect(error).toBeInstanceOf(VaultVersionError);
        else if (i === 12 || i === 13) expect(reason).toBe('bad-header');
        else if (i < 19) {
          expect(reason).toBe(passphrase === null ? 'bad-header' : 'kdf-params-out-of-bounds');
        } else if (passphrase === null)
          expect(reason).toBe('tag-mismatch'); // key, nonce, body, tag
        else expect(error).toBeInstanceOf(WrongPassphraseError); // salt, nonce, body, tag
      }
    }
  }, 60_000);

  it('random corruption never opens (property)', async () => {
    const { path } = await newVault(null);
    const full = await readFile(path);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: full.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (position, mask) => {
          const damaged = Buffer.from(full);
          damaged[position] = (damaged[position] ?? 0) ^ mask;
          await writeFile(path, damaged);
          await expectTypedFailure(openVault(path, null));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('garbage files fail with a typed error', async () => {
    const dir = await tempDir();
    const path = join(dir, 'vault.sotto');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        await writeFile(path, bytes);
        await expectTypedFailure(openVault(path, PASS));
      }),
      { numRuns: 200 },
    );
  });

  it('hostile KDF parameters are refused before the KDF runs', async () => {
    const { path } = await newVault();
    const full = await readFile(path);
    const hostile: [number, number, number][] = [
      [30, 8, 1], // 128 GiB
      [22, 32, 1], // 16 GiB
      [21, 8, 1], // 2 GiB
      [20, 8, 16 * 1024], // p far above the bound
      [9, 8, 1], // weaker than the floor
      [14, 0, 1],
      [14, 8, 0],
    ];
    for (const [logN, r, p] of hostile) {
      const file = Buffer.from(full);
      file[14] = logN;
      file.writeUInt16BE(r, 15);
      file.writeUInt16BE(Math.min(p, 0xffff), 17);
      await writeFile(path, file);
      const error = await expectTypedFailure(openVault(path, PASS));
      expect(error).toBeInstanceOf(VaultCorruptedError);
      expect((error as VaultCorruptedError).reason).toBe('kdf-params-out-of-bounds');
    }
  });

  it('a failed open never changes any file', async () => {
    const { dir, path } = await newVault();
    const vault = await openVault(path, PASS);
    await vault.save(sampleState('v2'));
    vault.close();
    const full = await readFile(path);
    const damaged = Buffer.from(full);
    damaged[100] = (damaged[100] ?? 0) ^ 1;
    await writeFile(path, damaged);
    const before = await snapshot(dir);
    await expect(openVault(path, PASS)).rejects.toBeInstanceOf(WrongPassphraseError);
    await expect(openVault(path, 'other')).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('crash safety', () => {
  it('a crash before the rename leaves the last complete version readable', async () => {
    const { dir, path } = await newVault();
    const vault = await openVault(path, PASS);
    await vault.save(sampleState('v2'));
    vault.close();
    // A writer died mid-write: partial temp file, and .prev already re-linked to the current file.
    const complete = await readFile(path);
    await writeFile(`${path}.tmp-99999-deadbeef0000`, complete.subarray(0, 40), { mode: 0o600 });
    expect(await fullState(await openVault(path, PASS))).toEqual(sampleState('v2'));
    expect(await readdir(dir)).toContain('vault.sotto.tmp-99999-deadbeef0000');
  });

  it('a damaged main file is reported with the .prev fallback, which then stays intact', async () => {
    const { dir, path } = await newVault();
    const vault = await openVault(path, PASS);
    await vault.save(sampleState('v2'));
    vault.close();
    await writeFile(path, (await readFile(path)).subarray(0, 30));
    const error = await expectTypedFailure(openVault(path, PASS));
    expect(error).toBeInstanceOf(VaultCorruptedError);
    expect((error as VaultCorruptedError).previousVersionAvailable).toBe(true);

    const recovered = await openVault(path, PASS, { usePreviousVersion: true });
    expect(recovered.openedFrom).toBe('previous');
    expect(await fullState(recovered)).toEqual(sampleState('v1'));
    const prevBytes = await readFile(`${path}.prev`);
    await recovered.save(sampleState('v3'));
    recovered.close();
    expect(await readFile(`${path}.prev`)).toEqual(prevBytes);
    expect((await readdir(dir)).some((n) => n.startsWith('vault.sotto.damaged-'))).toBe(true);
    expect(await fullState(await openVault(path, PASS))).toEqual(sampleState('v3'));
  });
});
