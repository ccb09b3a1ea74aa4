// The encrypted profile vault (format in vault-format.ts): scrypt-derived key (or KDF "none" for
// --no-passphrase profiles, which is NOT protection: the key sits in the file header),
// XChaCha20-Poly1305 with the header as AAD, a fresh 24-byte nonce per save, atomic replacement.
import { randomBytes, scrypt } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { readBoundedFrom } from '../fs/read-bounded.js';
import {
  fsyncDirectory,
  previousVersionPath,
  removeStrayTempFiles,
  writeFileAtomic,
} from './atomic-write.js';
import {
  VaultClosedError,
  VaultCorruptedError,
  VaultExistsError,
  VaultNotFoundError,
  WrongPassphraseError,
} from './errors.js';
import {
  HEADER_LENGTH,
  KEY_LENGTH,
  MAX_VAULT_BYTES,
  NONCE_LENGTH,
  SALT_LENGTH,
  checkScryptParams,
  decodeVault,
  encodeHeader,
  scryptMemoryBytes,
  type KdfHeader,
  type ScryptParams,
} from './vault-format.js';
import { cloneVaultState, decodeVaultState, encodeVaultState } from './vault-state-json.js';
import {
  VaultStateError,
  wipeContactSecrets,
  wipeIdentity,
  type VaultState,
} from './vault-state.js';

/** ~0.5 s and 128 MiB on the reference machine (see bench/vault.bench.ts). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 17, r: 8, p: 1 };

export interface VaultOptions {
  /** scrypt cost for newly written keys (creation, passphrase change). */
  readonly scrypt?: ScryptParams;
}

export interface OpenVaultOptions extends VaultOptions {
  /**
   * Open `<path>.prev` instead (after the main file was reported corrupted). The first save then
   * moves the damaged main file aside to `<path>.damaged-<ms>` and writes a new main file; the
   * good `.prev` is not rotated away by that save.
   */
  readonly usePreviousVersion?: boolean;
}

export interface SaveOptions {
  /** The save follows a deletion (remove contact, clear history, history off). */
  readonly forget?: boolean;
}

export interface Vault {
  readonly path: string;
  /** The last saved state. Its identity bytes belong to the vault and are zeroed by close(). */
  readonly state: VaultState;
  /** False for --no-passphrase vaults: anyone who can read the file can read the state. */
  readonly protected: boolean;
  readonly openedFrom: 'main' | 'previous';
  /** Saves a new state; its identity must be the vault's own (VaultStateError otherwise). */
  /**
   * Seal `newState` into the vault. With `forget`, no copy Sotto keeps may still hold what the
   * new state dropped: `.prev` is replaced by the new state too, `.damaged-*` copies and stray
   * temp files are removed, all before the promise resolves (docs/PROFILE.md "Deletion").
   */
  save(newState: VaultState, options?: SaveOptions): Promise<void>;
  /** Re-key with a new passphrase (null: remove protection) and save. */
  changePassphrase(newPassphrase: string | null, options?: VaultOptions): Promise<void>;
  /** Zeroes the file key and the identity bytes of `state`; later saves throw VaultClosedError. */
  close(): void;
}

interface KeyMaterial {
  readonly key: Uint8Array; // wiped on close / re-key
  readonly kdf: KdfHeader;
}

function passphraseBytes(passphrase: string): Buffer {
  return Buffer.from(passphrase.normalize('NFC'), 'utf8');
}

function runScrypt(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<Uint8Array> {
  checkScryptParams(params); // before anything is allocated
  const secret = passphraseBytes(passphrase);
  const options = {
    N: 2 ** params.logN,
    r: params.r,
    p: params.p,
    maxmem: scryptMemoryBytes(params) + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, options, (error, derived) => {
      secret.fill(0);
      if (error) reject(error);
      else {
        const key = new Uint8Array(derived);
        derived.fill(0);
        resolve(key);
      }
    });
  });
}

async function deriveNewKey(passphrase: string | null, params: ScryptParams): Promise<KeyMaterial> {
  if (passphrase === null) {
    const key = new Uint8Array(randomBytes(KEY_LENGTH));
    return { key, kdf: { name: 'none', key: key.slice() } };
  }
  if (passphrase.length === 0) throw new RangeError('passphrase must not be empty');
  const salt = new Uint8Array(randomBytes(SALT_LENGTH));
  return { key: await runScrypt(passphrase, salt, params), kdf: { name: 'scrypt', params, salt } };
}

function seal(material: KeyMaterial, state: VaultState): Uint8Array {
  const plaintext = encodeVaultState(state);
  const nonce = new Uint8Array(randomBytes(NONCE_LENGTH));
  const header = encodeHeader({ kdf: material.kdf, nonce });
  const sealed = xchacha20poly1305(material.key, nonce, header).encrypt(plaintext);
  plaintext.fill(0);
  const file = new Uint8Array(HEADER_LENGTH + sealed.length);
  file.set(header, 0);
  file.set(sealed, HEADER_LENGTH);
  return file;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Read a whole vault file, refusing oversize files and non-regular files before reading. */
async function readVaultFile(path: string, prevAvailable: boolean): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VaultNotFoundError(path, prevAvailable, { cause: error });
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new VaultCorruptedError('bad-header', 'not a regular file');
    if (info.size > MAX_VAULT_BYTES) {
      throw new VaultCorruptedError('too-large', `${info.size} bytes`, prevAvailable);
    }
    // Bounded whatever stat said: the file may grow between fstat and the read.
    const read = await readBoundedFrom(handle, MAX_VAULT_BYTES, { sizeHint: info.size });
    if (read.truncated) {
      read.wipe();
      throw new VaultCorruptedError(
        'too-large',
        `more than ${MAX_VAULT_BYTES} bytes`,
        prevAvailable,
      );
    }
    // A plain Uint8Array view: the format code relies on slice() copying (Buffer's does not).
    return new Uint8Array(read.bytes.buffer, read.bytes.byteOffset, read.bytes.length);
  } finally {
    await handle.close();
  }
}

/** Create a new vault at `path`; refuses to overwrite an existing vault (or its `.prev`). */
export async function createVault(
  path: string,
  passphrase: string | null,
  initialState: VaultState,
  options: VaultOptions = {},
): Promise<Vault> {
  if ((await exists(path)) || (await exists(previousVersionPath(path)))) {
    throw new VaultExistsError(path);
  }
  const state = cloneVaultState(initialState); // the vault's own copy of the identity bytes
  let material: KeyMaterial | undefined;
  try {
    material = await deriveNewKey(passphrase, options.scrypt ?? DEFAULT_SCRYPT_PARAMS);
    await writeFileAtomic(path, seal(material, state), { keepPrevious: false });
  } catch (error) {
    material?.key.fill(0);
    wipeIdentity(state.identity);
    wipeContactSecrets(state);
    throw error;
  }
  return makeVault(path, state, material, 'main', options);
}

function withPrevFlag(error: unknown, prevAvailable: boolean): unknown {
  if (error instanceof VaultCorruptedError && prevAvailable && !error.previousVersionAvailable) {
    return new VaultCorruptedError(error.reason, error.message, true, { cause: error });
  }
  return error;
}

/**
 * Open and decrypt the vault. Never writes anything. Throws WrongPassphraseError (tag failure
 * with a passphrase: wrong passphrase or corrupted file), VaultCorruptedError, VaultVersionError,
 * VaultNotFoundError. A `null` passphrase opens only unprotected vaults.
 */
export async function openVault(
  path: string,
  passphrase: string | null,
  options: OpenVaultOptions = {},
): Promise<Vault> {
  const prevPath = previousVersionPath(path);
  const fromPrevious = options.usePreviousVersion === true;
  const prevAvailable = !fromPrevious && (await exists(prevPath));
  try {
    const file = await readVaultFile(fromPrevious ? prevPath : path, prevAvailable);
    const { header, ciphertext } = decodeVault(file);
    const material = await keyFor(header.kdf, passphrase);
    let plaintext: Uint8Array;
    try {
      plaintext = xchacha20poly1305(
        material.key,
        header.nonce,
        file.subarray(0, HEADER_LENGTH),
      ).decrypt(ciphertext);
    } catch (error) {
      material.key.fill(0);
      if (header.kdf.name === 'scrypt') throw new WrongPassphraseError({ cause: error });
      throw new VaultCorruptedError('tag-mismatch', 'authentication failed', false, {
        cause: error,
      });
    }
    file.fill(0); // for KDF "none" the header holds the key
    const state = parseState(plaintext, material);
    return makeVault(path, state, material, fromPrevious ? 'previous' : 'main', options);
  } catch (error) {
    throw withPrevFlag(error, prevAvailable);
  }
}

async function keyFor(kdf: KdfHeader, passphrase: string | null): Promise<KeyMaterial> {
  if (kdf.name === 'none') return { key: kdf.key.slice(), kdf };
  if (passphrase === null) throw new WrongPassphraseError();
  return { key: await runScrypt(passphrase, kdf.salt, kdf.params), kdf };
}

function parseState(plaintext: Uint8Array, material: KeyMaterial): VaultState {
  try {
    return decodeVaultState(plaintext);
  } catch (error) {
    material.key.fill(0);
    const detail = error instanceof VaultStateError ? error.message : 'state is not valid JSON';
    throw new VaultCorruptedError('bad-state', detail, false, { cause: error });
  } finally {
    plaintext.fill(0);
  }
}

/** Names of the `.damaged-*` copies of the vault at `path` (evidence of an earlier corruption). */
export async function damagedCopies(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.damaged-`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(prefix)).map((name) => join(dirname(path), name));
}

/**
 * After a deletion: `.prev` (the state before it) becomes a second copy of the new state, so the
 * fallback still works and holds nothing deleted; `.damaged-*` copies (older states, readable
 * with the passphrase even when damaged) and stray temp files are removed; the directory is synced.
 */
async function forgetOlderCopies(path: string, sealedNow: Uint8Array): Promise<void> {
  await writeFileAtomic(previousVersionPath(path), sealedNow, { keepPrevious: false });
  for (const copy of await damagedCopies(path)) await unlink(copy).catch(() => undefined);
  await removeStrayTempFiles(path);
  await removeStrayTempFiles(previousVersionPath(path));
  await fsyncDirectory(dirname(path));
}

function makeVault(
  path: string,
  initialState: VaultState,
  initialMaterial: KeyMaterial,
  openedFrom: 'main' | 'previous',
  options: VaultOptions,
): Vault {
  let state = initialState;
  let material: KeyMaterial | null = initialMaterial;
  let isProtected = initialMaterial.kdf.name !== 'none';
  let pendingDamagedMove = openedFrom === 'previous';
  let chain: Promise<void> = Promise.resolve();

  const live = (): KeyMaterial => {
    if (material === null) throw new VaultClosedError();
    return material;
  };
  const write = async (next: VaultState, keys: KeyMaterial): Promise<void> => {
    if (pendingDamagedMove) {
      // Keep the damaged main file as evidence; keep the good .prev as it is.
      await rename(path, `${path}.damaged-${Date.now()}`).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await writeFileAtomic(path, seal(keys, next), { keepPrevious: false });
      pendingDamagedMove = false;
    } else {
      await writeFileAtomic(path, seal(keys, next));
    }
  };
  // Saves run one after another, so the file order matches the call order.
  const serial = (task: () => Promise<void>): Promise<void> => {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    path,
    openedFrom,
    get state() {
      return state;
    },
    get protected() {
      return isProtected;
    },
    save: (newState, saveOptions = {}) =>
      serial(async () => {
        const keys = live();
        const next = cloneVaultState(newState, state.identity);
        try {
          await write(next, keys);
        } catch (error) {
          wipeContactSecrets(next);
          throw error;
        }
        const previous = state;
        state = next;
        wipeContactSecrets(previous); // the vault's own copies of what the new state replaced
        if (saveOptions.forget === true) await forgetOlderCopies(path, seal(keys, next));
      }),
    changePassphrase: (newPassphrase, changeOptions = {}) =>
      serial(async () => {
        const old = live();
        const params = changeOptions.scrypt ?? options.scrypt ?? DEFAULT_SCRYPT_PARAMS;
        const fresh = await deriveNewKey(newPassphrase, params);
        try {
          await write(state, fresh);
        } catch (error) {
          fresh.key.fill(0);
          throw error;
        }
        old.key.fill(0);
        if (old.kdf.name === 'none') old.kdf.key.fill(0);
        material = fresh;
        isProtected = fresh.kdf.name !== 'none';
        // The .prev copy is still sealed under the old key: remove it so the old passphrase no
        // longer opens anything (unlinking does not scrub the disk blocks).
        await unlink(previousVersionPath(path)).catch(() => undefined);
        await fsyncDirectory(dirname(path));
      }),
    close: () => {
      if (material === null) return;
      material.key.fill(0);
      if (material.kdf.name === 'none') material.kdf.key.fill(0);
      material = null;
      wipeIdentity(state.identity);
      wipeContactSecrets(state);
    },
  };
}
