// The Gosling v0.1.0 client-authorization signature ("Client-Authorization Signature Generation
// and Verification"): the identity client signs its own service id (ASCII, no ".onion") with the
// ed25519 key derived from the x25519 key whose public half will encrypt its endpoint descriptor
// (tor rend-spec-v3 client authorization). The ed25519 secret scalar IS the clamped x25519 scalar
// (so scalar·B on Edwards25519 and scalar·9 on Curve25519 are the same point under the birational
// map); the signing prefix follows tor's construction (SHA-512 of the scalar ‖ "Derive high part
// of ed25519 key from curve25519 key\0", first 32 bytes) and never leaves this module.
// Verification converts the x25519 public key u + signbit to an ed25519 public key:
// y = (u - 1) / (u + 1) mod p, with the signbit as the sign of x (bit 255 of the encoding).
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { IdentityKey, verifySignature } from '../identity/identity-key.js';

export const X25519_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
const PREFIX_LABEL = new TextEncoder().encode(
  'Derive high part of ed25519 key from curve25519 key\0',
);
const Fp = ed25519.Point.Fp;

export interface ClientAuthorization {
  /** x25519 public key that will encrypt the endpoint descriptor. */
  readonly publicKey: Uint8Array;
  /** Sign of x of the derived ed25519 public key (bit 255 of its encoding). */
  readonly signbit: boolean;
  /** ed25519 signature of the client's service id by the derived key. */
  readonly signature: Uint8Array;
}

function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RangeError(`${what} must be ${length} bytes`);
  }
}

/** RFC 7748 clamping of an x25519 secret (what x25519 itself does to the scalar). */
function clamp(secret: Uint8Array): Uint8Array {
  const out = Uint8Array.from(secret);
  out[0] = (out[0] as number) & 248;
  out[31] = ((out[31] as number) & 127) | 64;
  return out;
}

/** The x25519 public key (u coordinate, 32 bytes little-endian) of an x25519 secret. */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  assertLength(secret, X25519_KEY_LENGTH, 'x25519 secret');
  return x25519.getPublicKey(secret);
}

/**
 * The ed25519 public key for x25519 public key `u` and `signbit`, or undefined when `u` has no
 * Edwards image (u = -1) or is not a canonical field element (bit 255 set, or u ≥ p).
 */
export function ed25519PublicKeyFromX25519(
  publicKey: Uint8Array,
  signbit: boolean,
): Uint8Array | undefined {
  assertLength(publicKey, X25519_KEY_LENGTH, 'x25519 public key');
  const u = bytesToNumberLE(publicKey);
  if (u >= Fp.ORDER) return undefined;
  const denominator = Fp.create(u + 1n);
  if (denominator === 0n) return undefined;
  const y = Fp.div(Fp.create(u - 1n), denominator);
  const out = numberToBytesLE(y, 32);
  if (signbit) out[31] = (out[31] as number) | 0x80;
  return out;
}

/** The client side: signs `clientServiceId` with the ed25519 key derived from `x25519Secret`. */
export function signClientAuthorization(
  x25519Secret: Uint8Array,
  clientServiceId: string,
): ClientAuthorization {
  assertLength(x25519Secret, X25519_KEY_LENGTH, 'x25519 secret');
  const scalar = clamp(x25519Secret);
  const hash = sha512(concatBytes(scalar, PREFIX_LABEL));
  const expanded = concatBytes(scalar, hash.subarray(0, 32));
  scalar.fill(0);
  hash.fill(0);
  const key = IdentityKey.fromExpandedKey(expanded);
  expanded.fill(0);
  try {
    const signature = key.sign(new TextEncoder().encode(clientServiceId));
    const signbit = ((key.publicKey[31] as number) & 0x80) !== 0;
    const publicKey = x25519PublicKey(x25519Secret);
    const check = ed25519PublicKeyFromX25519(publicKey, signbit);
    if (check === undefined || !check.every((byte, i) => byte === key.publicKey[i])) {
      throw new Error('x25519 → ed25519 derivation is inconsistent');
    }
    return { publicKey, signbit, signature };
  } finally {
    key.wipe();
  }
}

/** The server side: true iff `auth.signature` verifies for `clientServiceId` (strict RFC 8032). */
export function verifyClientAuthorization(
  auth: ClientAuthorization,
  clientServiceId: string,
): boolean {
  assertLength(auth.signature, SIGNATURE_LENGTH, 'signature');
  const edPublicKey = ed25519PublicKeyFromX25519(auth.publicKey, auth.signbit);
  if (edPublicKey === undefined) return false;
  try {
    return verifySignature(edPublicKey, new TextEncoder().encode(clientServiceId), auth.signature);
  } catch {
    return false; // not a curve point: the key cannot have signed anything
  }
}
