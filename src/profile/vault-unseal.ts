// Reading a sealed vault file without opening the vault (no history logs, nothing written): the
// KDF (scrypt via node:crypto, or KDF "none"), the bounded read, XChaCha20-Poly1305 with the header
// as AAD (xchacha20poly1305.ts), the state decoded (format 1 or 2). vault.ts builds the open vault on it; the deletion
// tests use it as "someone with the passphrase" would, on every file a profile holds.
import { randomBytes, scrypt } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { readBoundedFrom } from '../fs/read-bounded.js';
import { VaultCorruptedError, VaultNotFoundError, WrongPassphraseError } from './errors.js';
import {
  HEADER_LENGTH,
  KEY_LENGTH,
  MAX_VAULT_BYTES,
  SALT_LENGTH,
  checkScryptParams,
  decodeVault,
  scryptMemoryBytes,
  type KdfHeader,
  type ScryptParams,
} from './vault-format.js';
import { decodeSealedState, type DecodedVaultState } from './vault-state-json.js';
import { xchachaOpen } from './xchacha20poly1305.js';
import { VaultStateError, type VaultState } from './vault-state.js';

/** ~0.5 s and 128 MiB on the reference machine (see bench/vault.bench.ts). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 17, r: 8, p: 1 };

export interface KeyMaterial {
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

export async function deriveNewKey(
  passphrase: string | null,
  params: ScryptParams,
): Promise<KeyMaterial> {
  if (passphrase === null) {
    const key = new Uint8Array(randomBytes(KEY_LENGTH));
    return { key, kdf: { name: 'none', key: key.slice() } };
  }
  if (passphrase.length === 0) throw new RangeError('passphrase must not be empty');
  const salt = new Uint8Array(randomBytes(SALT_LENGTH));
  return { key: await runScrypt(passphrase, salt, params), kdf: { name: 'scrypt', params, salt } };
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

export async function keyFor(kdf: KdfHeader, passphrase: string | null): Promise<KeyMaterial> {
  if (kdf.name === 'none') return { key: kdf.key.slice(), kdf };
  if (passphrase === null) throw new WrongPassphraseError();
  return { key: await runScrypt(passphrase, kdf.salt, kdf.params), kdf };
}

function parseState(plaintext: Uint8Array, material: KeyMaterial): DecodedVaultState {
  try {
    return decodeSealedState(plaintext);
  } catch (error) {
    material.key.fill(0);
    const detail = error instanceof VaultStateError ? error.message : 'state is not valid JSON';
    throw new VaultCorruptedError('bad-state', detail, false, { cause: error });
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Read and decrypt the vault file at `path` (writes nothing). Throws WrongPassphraseError,
 * VaultCorruptedError, VaultVersionError, VaultNotFoundError. The caller owns `material.key`.
 */
export async function unsealVault(
  path: string,
  passphrase: string | null,
  prevAvailable = false,
): Promise<{ decoded: DecodedVaultState; material: KeyMaterial }> {
  const file = await readVaultFile(path, prevAvailable);
  const { header, ciphertext } = decodeVault(file);
  const material = await keyFor(header.kdf, passphrase);
  let plaintext: Uint8Array;
  try {
    plaintext = xchachaOpen(
      material.key,
      header.nonce,
      file.subarray(0, HEADER_LENGTH),
      ciphertext,
    );
  } catch (error) {
    material.key.fill(0);
    if (header.kdf.name === 'scrypt') throw new WrongPassphraseError({ cause: error });
    throw new VaultCorruptedError('tag-mismatch', 'authentication failed', false, {
      cause: error,
    });
  }
  file.fill(0); // for KDF "none" the header holds the key
  return { decoded: parseState(plaintext, material), material };
}

/**
 * The profile id bound into every history record: a hash of the identity key (never written
 * anywhere: it only makes another profile's records fail to authenticate here).
 */
export function profileIdOf(state: VaultState): Uint8Array {
  return sha256(concatBytes(utf8ToBytes('sotto-profile-id-v1'), state.identity.expandedKey));
}
