// The user's ed25519 onion identity (RFC 8032 §5.1.5–5.1.7, rend-spec-v3 key blobs). A key is held
// in tor's 64-byte *expanded* form (clamped scalar ‖ PRF prefix, tor's `ED25519-V3:` blob), so keys
// imported from Ricochet Refresh or created by tor sign exactly like keys generated from a seed.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { serviceIdFromPublicKey } from './service-id.js';
import { IdentityError } from './errors.js';

// noble's synchronous API needs a SHA-512; this is the documented way to provide it.
ed.hashes.sha512 ??= sha512;

const SEED_LENGTH = 32;
const EXPANDED_LENGTH = 64;
const PUBLIC_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
const KEY_BLOB_PREFIX = 'ED25519-V3:';
/** base64 of 64 bytes: 86 characters, plus "==" when padded. */
const MAX_KEY_BLOB_LENGTH = KEY_BLOB_PREFIX.length + 88;
/** Group order L of edwards25519 (RFC 8032 §5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** A key blob (`ED25519-V3:<base64>`) or expanded key that cannot be used, one subclass per cause. */
export class InvalidKeyBlobError extends IdentityError {
  readonly code: string = 'invalid-key-blob';
  override name = 'InvalidKeyBlobError';
}
/** Not `ED25519-V3:` followed by canonical base64. */
export class KeyBlobFormatError extends InvalidKeyBlobError {
  override name = 'KeyBlobFormatError';
}
/** The blob does not decode to exactly 64 bytes. */
export class KeyBlobLengthError extends InvalidKeyBlobError {
  override name = 'KeyBlobLengthError';
}
/**
 * The first half is not a clamped ed25519 scalar (low 3 bits clear, bit 255 clear, bit 254 set).
 * Every real expanded key is clamped; a libsodium-style `seed ‖ public key` pasted by mistake is not.
 */
export class KeyBlobScalarError extends InvalidKeyBlobError {
  override name = 'KeyBlobScalarError';
}
/** The key was wiped and can no longer sign. */
export class IdentityKeyWipedError extends IdentityError {
  readonly code: string = 'identity-key-wiped';
  override name = 'IdentityKeyWipedError';
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

function numberTo32BytesLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

const modL = (n: bigint): bigint => ((n % L) + L) % L;

function assertBytes(value: unknown, length: number, title: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${title} must be a Uint8Array`);
  if (value.length !== length) {
    throw new RangeError(`${title} must be ${length} bytes, got ${value.length}`);
  }
}

function isClamped(scalar: Uint8Array): boolean {
  const first = scalar[0] ?? 0xff;
  const last = scalar[31] ?? 0xff;
  return (first & 7) === 0 && (last & 0x80) === 0 && (last & 0x40) === 0x40;
}

/** RFC 8032 §5.1.5 steps 1–3: SHA-512 of the seed, with the first half clamped. */
function expandSeed(seed: Uint8Array): Uint8Array {
  const expanded = sha512(seed);
  expanded[0] = (expanded[0] ?? 0) & 248;
  expanded[31] = ((expanded[31] ?? 0) & 127) | 64;
  return expanded;
}

/** Strict base64 (padded or not) of exactly 64 bytes; rejects anything that does not round-trip. */
function decodeKeyBlob(blob: string): Uint8Array {
  if (typeof blob !== 'string') throw new TypeError('key blob must be a string');
  if (blob.length > MAX_KEY_BLOB_LENGTH || !blob.startsWith(KEY_BLOB_PREFIX)) {
    throw new KeyBlobFormatError(`expected ${KEY_BLOB_PREFIX}<base64 of 64 bytes>`);
  }
  const text = blob.slice(KEY_BLOB_PREFIX.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new KeyBlobFormatError('key blob is not base64');
  }
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  if (text !== canonical && text !== canonical.replace(/=+$/, '')) {
    bytes.fill(0);
    throw new KeyBlobFormatError('key blob is not canonical base64');
  }
  if (bytes.length !== EXPANDED_LENGTH) {
    const length = bytes.length;
    bytes.fill(0);
    throw new KeyBlobLengthError(`key blob must hold ${EXPANDED_LENGTH} bytes, it holds ${length}`);
  }
  const out = new Uint8Array(bytes);
  bytes.fill(0);
  return out;
}

/**
 * An onion identity: the expanded secret key, its public key and service id. Secrets stay in this
 * object (copies are handed out on request) and are zeroed by `wipe()`.
 */
export class IdentityKey {
  readonly publicKey: Uint8Array;
  readonly serviceId: string;
  #seed: Uint8Array | undefined;
  #expanded: Uint8Array;
  #scalar: bigint; // clamped scalar reduced mod L: the same point and signatures as unreduced
  #wiped = false;

  private constructor(expanded: Uint8Array, seed: Uint8Array | undefined) {
    if (!isClamped(expanded.subarray(0, 32))) {
      throw new KeyBlobScalarError('the secret scalar is not clamped; this is not an ed25519 key');
    }
    this.#expanded = expanded;
    this.#seed = seed;
    this.#scalar = modL(bytesToNumberLE(expanded.subarray(0, 32)));
    this.publicKey = ed.Point.BASE.multiply(this.#scalar).toBytes();
    this.serviceId = serviceIdFromPublicKey(this.publicKey);
  }

  /** A fresh identity from 32 random bytes of the platform CSPRNG. */
  static generate(): IdentityKey {
    return IdentityKey.fromSeed(ed.utils.randomSecretKey());
  }

  /** RFC 8032 key from its 32-byte seed (the seed is kept and can be stored). */
  static fromSeed(seed: Uint8Array): IdentityKey {
    assertBytes(seed, SEED_LENGTH, 'seed');
    const ownSeed = Uint8Array.from(seed);
    return new IdentityKey(expandSeed(ownSeed), ownSeed);
  }

  /** From the 64-byte expanded key (clamped scalar ‖ prefix), as tor and Ricochet store it. */
  static fromExpandedKey(expandedKey: Uint8Array): IdentityKey {
    assertBytes(expandedKey, EXPANDED_LENGTH, 'expanded key');
    return new IdentityKey(Uint8Array.from(expandedKey), undefined);
  }

  /** From tor's / Ricochet's `ED25519-V3:<base64>` blob. */
  static fromTorKeyBlob(blob: string): IdentityKey {
    const expanded = decodeKeyBlob(blob);
    try {
      return new IdentityKey(expanded, undefined);
    } catch (error) {
      expanded.fill(0);
      throw error;
    }
  }

  /** A copy of the 32-byte seed, or undefined for keys that only exist in expanded form. */
  get seed(): Uint8Array | undefined {
    this.#assertUsable();
    return this.#seed === undefined ? undefined : Uint8Array.from(this.#seed);
  }

  /** A copy of the 64-byte expanded key: the secret tor's ADD_ONION wants. */
  expandedKey(): Uint8Array {
    this.#assertUsable();
    return Uint8Array.from(this.#expanded);
  }

  /** `ED25519-V3:<base64>` (padded), the form of ADD_ONION and of Ricochet's `ricochet.json`. */
  torKeyBlob(): string {
    this.#assertUsable();
    return KEY_BLOB_PREFIX + Buffer.from(this.#expanded).toString('base64');
  }

  /**
   * RFC 8032 §5.1.6 with scalar and prefix taken from the expanded key. The scalar is used mod L,
   * which gives the same A and S = (r + k·s) mod L as the unreduced clamped scalar C tor keeps.
   */
  sign(message: Uint8Array): Uint8Array {
    this.#assertUsable();
    if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
    const prefix = this.#expanded.subarray(32, 64);
    const nonceHash = sha512(concat(prefix, message));
    const r = modL(bytesToNumberLE(nonceHash));
    nonceHash.fill(0);
    const R = ed.Point.BASE.multiply(r).toBytes();
    const k = modL(bytesToNumberLE(sha512(concat(R, this.publicKey, message))));
    const S = modL(r + k * this.#scalar);
    return concat(R, numberTo32BytesLE(S));
  }

  /** Zeroes the secret material; the object can no longer sign or export. */
  wipe(): void {
    this.#expanded.fill(0);
    this.#seed?.fill(0);
    this.#seed = undefined;
    this.#scalar = 0n;
    this.#wiped = true;
  }

  /** Only public data ever reaches JSON or `util.inspect` (and so logs). */
  toJSON(): { serviceId: string } {
    return { serviceId: this.serviceId };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `IdentityKey(${this.serviceId})`;
  }

  #assertUsable(): void {
    if (this.#wiped) throw new IdentityKeyWipedError('this identity key was wiped');
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return ed.etc.concatBytes(...parts);
}

/**
 * Ed25519 verification (RFC 8032 §5.1.7, strict: canonical encodings, S < L, no small-order keys).
 * Returns false for any bad signature; throws TypeError/RangeError only for wrong types/lengths.
 */
export function verifySignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  assertBytes(publicKey, PUBLIC_KEY_LENGTH, 'public key');
  assertBytes(signature, SIGNATURE_LENGTH, 'signature');
  if (!(message instanceof Uint8Array)) throw new TypeError('message must be a Uint8Array');
  return ed.verify(signature, message, publicKey, { zip215: false });
}
