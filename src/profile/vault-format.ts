// The binary container of vault.sotto (sans-IO): a fixed 75-byte header, authenticated as AAD,
// followed by the XChaCha20-Poly1305 ciphertext of the UTF-8 JSON state (tag last, 16 bytes).
//   0..11 "SOTTO-VAULT" | 11 format version (2; 1 is read for migration) | 12 KDF id (0 none, 1 scrypt) | 13 cipher id
//   (1 xchacha20poly1305) | 14 scrypt log2(N) | 15..17 r (u16 BE) | 17..19 p (u16 BE)
//   19..51 salt (scrypt) or the raw key (KDF none) | 51..75 nonce (24 bytes)
import { VaultCorruptedError, VaultVersionError } from './errors.js';

export const VAULT_MAGIC = new TextEncoder().encode('SOTTO-VAULT');
export const VAULT_FORMAT_VERSION = 2;
/** Version 1 held the history inside the vault; it is read once and migrated (vault-migration.ts). */
export const LEGACY_VAULT_FORMAT_VERSION = 1;
export const HEADER_LENGTH = 75;
export const TAG_LENGTH = 16;
export const NONCE_LENGTH = 24;
export const KEY_LENGTH = 32;
export const SALT_LENGTH = 32;
/** Refuse larger files before reading them (10k contacts with long histories fit easily). */
export const MAX_VAULT_BYTES = 512 * 1024 * 1024;

const KDF_NONE = 0;
const KDF_SCRYPT = 1;
const CIPHER_XCHACHA20POLY1305 = 1;

export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/**
 * Upper bounds applied to a header before the KDF runs, so a hostile file cannot make us allocate
 * (128·N·r bytes) or compute without bound. Lower bounds refuse parameters too weak to matter.
 */
export const SCRYPT_BOUNDS = {
  minLogN: 10,
  maxLogN: 22,
  maxR: 32,
  maxP: 16,
  maxMemoryBytes: 1024 * 1024 * 1024, // 128 * N * r
  maxWork: 2 ** 27, // N * r * p (e.g. log2N 20, r 8, p 16)
} as const;

export type KdfHeader =
  | { readonly name: 'scrypt'; readonly params: ScryptParams; readonly salt: Uint8Array }
  | { readonly name: 'none'; readonly key: Uint8Array };

export interface VaultHeader {
  /** The format version the file was written with (only VAULT_FORMAT_VERSION is written). */
  readonly version?: number;
  readonly kdf: KdfHeader;
  readonly nonce: Uint8Array;
}

export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * 2 ** params.logN * params.r;
}

/** Throws VaultCorruptedError('kdf-params-out-of-bounds') unless the parameters are acceptable. */
export function checkScryptParams(params: ScryptParams): void {
  const { logN, r, p } = params;
  const ok =
    Number.isInteger(logN) &&
    Number.isInteger(r) &&
    Number.isInteger(p) &&
    logN >= SCRYPT_BOUNDS.minLogN &&
    logN <= SCRYPT_BOUNDS.maxLogN &&
    r >= 1 &&
    r <= SCRYPT_BOUNDS.maxR &&
    p >= 1 &&
    p <= SCRYPT_BOUNDS.maxP &&
    scryptMemoryBytes(params) <= SCRYPT_BOUNDS.maxMemoryBytes &&
    2 ** logN * r * p <= SCRYPT_BOUNDS.maxWork;
  if (!ok) {
    throw new VaultCorruptedError(
      'kdf-params-out-of-bounds',
      `scrypt parameters log2N=${logN} r=${r} p=${p} are outside the accepted bounds`,
    );
  }
}

export function encodeHeader(header: VaultHeader): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(out.buffer);
  out.set(VAULT_MAGIC, 0);
  out[11] = VAULT_FORMAT_VERSION;
  out[13] = CIPHER_XCHACHA20POLY1305;
  if (header.kdf.name === 'scrypt') {
    checkScryptParams(header.kdf.params);
    out[12] = KDF_SCRYPT;
    out[14] = header.kdf.params.logN;
    view.setUint16(15, header.kdf.params.r);
    view.setUint16(17, header.kdf.params.p);
    if (header.kdf.salt.length !== SALT_LENGTH) throw new RangeError('salt must be 32 bytes');
    out.set(header.kdf.salt, 19);
  } else {
    out[12] = KDF_NONE;
    if (header.kdf.key.length !== KEY_LENGTH) throw new RangeError('key must be 32 bytes');
    out.set(header.kdf.key, 19);
  }
  if (header.nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 24 bytes');
  out.set(header.nonce, 51);
  return out;
}

/** Parse and check the header of a whole vault file; the ciphertext is what follows it. */
export function decodeVault(file: Uint8Array): { header: VaultHeader; ciphertext: Uint8Array } {
  const magicPrefix = file.subarray(0, VAULT_MAGIC.length);
  if (!magicPrefix.every((b, i) => b === VAULT_MAGIC[i])) {
    throw new VaultCorruptedError('bad-magic', 'not a Sotto vault (bad magic)');
  }
  if (file.length < VAULT_MAGIC.length + 1) {
    throw new VaultCorruptedError('truncated', `file is ${file.length} bytes`);
  }
  const version = file[11] ?? 0;
  if (version !== VAULT_FORMAT_VERSION && version !== LEGACY_VAULT_FORMAT_VERSION) {
    throw new VaultVersionError(version);
  }
  if (file.length < HEADER_LENGTH + TAG_LENGTH) {
    throw new VaultCorruptedError('truncated', `file is ${file.length} bytes`);
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file[13] !== CIPHER_XCHACHA20POLY1305) {
    throw new VaultCorruptedError('bad-header', `unknown cipher id ${file[13]}`);
  }
  const nonce = file.slice(51, HEADER_LENGTH);
  const ciphertext = file.subarray(HEADER_LENGTH);
  const kdfId = file[12];
  if (kdfId === KDF_SCRYPT) {
    const params = { logN: file[14] ?? 0, r: view.getUint16(15), p: view.getUint16(17) };
    checkScryptParams(params);
    return {
      header: { version, kdf: { name: 'scrypt', params, salt: file.slice(19, 51) }, nonce },
      ciphertext,
    };
  }
  if (kdfId === KDF_NONE) {
    if (file[14] !== 0 || view.getUint16(15) !== 0 || view.getUint16(17) !== 0) {
      throw new VaultCorruptedError('bad-header', 'KDF "none" with non-zero parameters');
    }
    return {
      header: { version, kdf: { name: 'none', key: file.slice(19, 51) }, nonce },
      ciphertext,
    };
  }
  throw new VaultCorruptedError('bad-header', `unknown KDF id ${kdfId}`);
}
