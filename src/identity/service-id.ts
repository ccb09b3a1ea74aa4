// Ricochet IDs and v3 onion addresses (Tor rend-spec-v3, "Encoding onion addresses"):
// service id = base32(pubkey[32] ‖ checksum[2] ‖ 0x03), lower case, where
// checksum = SHA3-256(".onion checksum" ‖ pubkey ‖ 0x03)[0..2].
import { createHash } from 'node:crypto';
import { Point } from '@noble/ed25519';
import { IdentityError } from './errors.js';

/** Length of a v3 service id in base32 characters (35 bytes × 8 / 5). */
export const SERVICE_ID_LENGTH = 56;
/** The shape of a service id (56 lower-case base32 characters); the checksum is not checked. */
export const SERVICE_ID_PATTERN = /^[a-z2-7]{56}$/;
/** The onion port Ricochet peers listen on and dial (`<service id>.onion:9878`). */
export const RICOCHET_PORT = 9878;
/** The only onion address version Sotto (and Ricochet protocol v3) accepts. */
export const ONION_VERSION = 0x03;

const PUBLIC_KEY_LENGTH = 32;
const DECODED_LENGTH = 35; // pubkey[32] ‖ checksum[2] ‖ version[1]
const RICOCHET_PREFIX = 'ricochet:';
const ONION_SUFFIX = '.onion';
/** Longest input we even look at; anything longer is rejected before any copy is made. */
const MAX_INPUT_LENGTH = 256;
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum');

/** Any reason a string is not a usable Ricochet ID / v3 onion address. */
export class InvalidAddressError extends IdentityError {
  readonly code: string = 'invalid-address';
  override name = 'InvalidAddressError';
}
/** Not of the form `ricochet:<id>`, `<id>.onion` or `<id>` (wrong prefix, suffix, spaces…). */
export class AddressFormatError extends InvalidAddressError {
  override name = 'AddressFormatError';
}
/** The id part is not 56 characters (a v2 address has 16), or the input is absurdly long. */
export class AddressLengthError extends InvalidAddressError {
  override name = 'AddressLengthError';
}
/** The id part holds characters outside the RFC 4648 base32 alphabet. */
export class AddressBase32Error extends InvalidAddressError {
  override name = 'AddressBase32Error';
}
/** The version byte is not 3. */
export class AddressVersionError extends InvalidAddressError {
  override name = 'AddressVersionError';
}
/** The two checksum bytes do not match the public key (a typo in the address). */
export class AddressChecksumError extends InvalidAddressError {
  override name = 'AddressChecksumError';
}
/** The embedded key is not a canonical ed25519 point of prime order (tor refuses these too). */
export class AddressPublicKeyError extends InvalidAddressError {
  override name = 'AddressPublicKeyError';
}

/** RFC 4648 base32, lower case, no padding (the onion-address alphabet). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes exactly 56 lower-case base32 characters into 35 bytes (no padding, no leftover bits). */
function base32DecodeServiceId(id: string): Uint8Array {
  const out = new Uint8Array(DECODED_LENGTH);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < id.length; i++) {
    const value = BASE32_ALPHABET.indexOf(id.charAt(i));
    if (value < 0) {
      throw new AddressBase32Error(`character ${i + 1} of the address is not base32 (a-z, 2-7)`);
    }
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  return out;
}

function checksumOf(publicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(CHECKSUM_PREFIX.length + PUBLIC_KEY_LENGTH + 1);
  input.set(CHECKSUM_PREFIX, 0);
  input.set(publicKey, CHECKSUM_PREFIX.length);
  input[input.length - 1] = ONION_VERSION;
  // node:crypto's SHA3 (OpenSSL): a few µs, against about 20 for the pure-JS one, per id loaded.
  return createHash('sha3-256').update(input).digest().subarray(0, 2);
}

function assertPrimeOrderPoint(publicKey: Uint8Array): void {
  let point: Point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch (error) {
    throw new AddressPublicKeyError('the address does not hold a valid ed25519 public key', {
      cause: error,
    });
  }
  if (point.isSmallOrder() || !point.isTorsionFree()) {
    throw new AddressPublicKeyError('the address holds a weak (small-order or torsioned) key');
  }
}

/**
 * Checks the structure of a canonical (lower-case, 56-char) id — length, base32, version byte,
 * checksum — and returns its 32-byte public key, without the (about 1 ms) prime-order point check.
 */
function decodeServiceIdStructure(id: string): Uint8Array {
  if (id.length !== SERVICE_ID_LENGTH) {
    throw new AddressLengthError(
      `an address has ${SERVICE_ID_LENGTH} characters, this one has ${id.length}` +
        (id.length === 16 ? ' (an obsolete v2 onion address)' : ''),
    );
  }
  const decoded = base32DecodeServiceId(id);
  if (decoded[DECODED_LENGTH - 1] !== ONION_VERSION) {
    throw new AddressVersionError(
      `onion address version ${decoded[DECODED_LENGTH - 1]} is not supported (only 3)`,
    );
  }
  const publicKey = decoded.slice(0, PUBLIC_KEY_LENGTH);
  const expected = checksumOf(publicKey);
  if (decoded[32] !== expected[0] || decoded[33] !== expected[1]) {
    throw new AddressChecksumError('the address checksum does not match (mistyped address?)');
  }
  return publicKey;
}

/** Checks a canonical (lower-case, 56-char) id fully and returns its 32-byte public key. */
function decodeServiceId(id: string): Uint8Array {
  const publicKey = decodeServiceIdStructure(id);
  assertPrimeOrderPoint(publicKey);
  return publicKey;
}

/**
 * Parses what a user pastes — `ricochet:<id>`, `<id>.onion` or a bare `<id>`, any case, with
 * surrounding whitespace — and returns the canonical 56-character lower-case service id.
 * `keyCheck: 'structure'` skips the prime-order point check: for an address that names something
 * Sotto already holds (a contact, a request, a block), which was fully checked when it entered.
 * @throws {InvalidAddressError} one subclass per cause
 * @throws {TypeError} if `input` is not a string
 */
export function parseRicochetAddress(
  input: string,
  options: { readonly keyCheck?: 'full' | 'structure' } = {},
): string {
  if (typeof input !== 'string') throw new TypeError('address must be a string');
  if (input.length > MAX_INPUT_LENGTH) {
    throw new AddressLengthError(`address input longer than ${MAX_INPUT_LENGTH} characters`);
  }
  let text = input.trim().toLowerCase();
  if (text.startsWith(RICOCHET_PREFIX)) {
    text = text.slice(RICOCHET_PREFIX.length);
  } else if (text.endsWith(ONION_SUFFIX)) {
    text = text.slice(0, -ONION_SUFFIX.length);
  }
  if (text.length === 0) throw new AddressFormatError('the address is empty');
  if (/[^a-z0-9]/.test(text)) {
    throw new AddressFormatError(
      'expected ricochet:<id>, <id>.onion or a bare 56-character id (found other characters)',
    );
  }
  if (options.keyCheck === 'structure') decodeServiceIdStructure(text);
  else decodeServiceId(text);
  return text;
}

/** True when `s` is a canonical service id (lower case, no prefix/suffix) tor would accept. */
export function isValidServiceId(s: string): boolean {
  return decodes(s, decodeServiceId);
}

/**
 * True when `s` has the structure of a canonical service id: 56 base32 characters, version 3, a
 * matching checksum. It skips the prime-order point check, so use it only for ids that passed
 * `parseRicochetAddress` / `isValidServiceId` when they entered Sotto (typed by the user, from an
 * authenticated connection, from an import) and were kept since in the authenticated vault.
 */
export function isWellFormedServiceId(s: string): boolean {
  return decodes(s, decodeServiceIdStructure);
}

/** True when `decode` accepts `s`; an InvalidAddressError is a false, anything else is thrown. */
function decodes(s: string, decode: (id: string) => Uint8Array): boolean {
  if (typeof s !== 'string' || s.length !== SERVICE_ID_LENGTH) return false;
  try {
    decode(s);
    return true;
  } catch (error) {
    if (error instanceof InvalidAddressError) return false;
    throw error;
  }
}

/** Throws unless `serviceId` is canonical; formatters never print an invalid id. */
function assertServiceId(serviceId: string): void {
  if (typeof serviceId !== 'string') throw new TypeError('service id must be a string');
  decodeServiceId(serviceId);
}

/** `ricochet:<id>`, the form users share. */
export function formatRicochetId(serviceId: string): string {
  assertServiceId(serviceId);
  return RICOCHET_PREFIX + serviceId;
}

/** `<id>.onion`, the hostname given to SOCKS5. */
export function formatOnionHostname(serviceId: string): string {
  assertServiceId(serviceId);
  return serviceId + ONION_SUFFIX;
}

/** The 32-byte ed25519 public key inside a canonical service id. */
export function publicKeyFromServiceId(serviceId: string): Uint8Array {
  if (typeof serviceId !== 'string') throw new TypeError('service id must be a string');
  return decodeServiceId(serviceId);
}

/**
 * The canonical service id of a 32-byte ed25519 public key.
 * @throws {AddressPublicKeyError} for a key tor would refuse (not a prime-order point)
 */
export function serviceIdFromPublicKey(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array)) throw new TypeError('public key must be a Uint8Array');
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`);
  }
  assertPrimeOrderPoint(publicKey);
  const bytes = new Uint8Array(DECODED_LENGTH);
  bytes.set(publicKey, 0);
  bytes.set(checksumOf(publicKey), PUBLIC_KEY_LENGTH);
  bytes[DECODED_LENGTH - 1] = ONION_VERSION;
  return base32Encode(bytes);
}
