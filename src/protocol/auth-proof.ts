// Ricochet v3 `im.ricochet.auth.hidden-service` proof: HMAC-SHA256(key = client_cookie ‖
// server_cookie, msg = client_service_id ‖ server_service_id as ASCII, no ".onion") → 32 bytes
// (the protocol document says 64; deployed 3.0.41 uses 32), signed with the client's onion key.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { IdentityKey } from '../identity/identity-key.js';
import { verifySignature } from '../identity/identity-key.js';
import {
  InvalidAddressError,
  SERVICE_ID_PATTERN,
  publicKeyFromServiceId,
} from '../identity/service-id.js';
import { COOKIE_SIZE } from './messages-control.js';
import { ProtocolViolationError } from './errors.js';

export const AUTH_PROOF_SIZE = 32;

function checkCookie(cookie: Uint8Array, which: string): void {
  if (!(cookie instanceof Uint8Array) || cookie.length !== COOKIE_SIZE) {
    throw new RangeError(`${which} must be ${COOKIE_SIZE} bytes`);
  }
}

function checkServiceId(serviceId: string, which: string): void {
  if (!SERVICE_ID_PATTERN.test(serviceId)) {
    throw new RangeError(`${which} must be 56 lower-case base32 characters without .onion`);
  }
}

/** The 32-byte HMAC the client signs. */
export function computeAuthProof(
  clientCookie: Uint8Array,
  serverCookie: Uint8Array,
  clientServiceId: string,
  serverServiceId: string,
): Uint8Array {
  checkCookie(clientCookie, 'client cookie');
  checkCookie(serverCookie, 'server cookie');
  checkServiceId(clientServiceId, 'client service id');
  checkServiceId(serverServiceId, 'server service id');
  const key = new Uint8Array(2 * COOKIE_SIZE);
  key.set(clientCookie, 0);
  key.set(serverCookie, COOKIE_SIZE);
  const message = new TextEncoder().encode(clientServiceId + serverServiceId);
  const proof = hmac(sha256, key, message);
  key.fill(0);
  return proof;
}

/** Client side: the 64-byte signature to put in `Proof.signature`. */
export function signAuthProof(
  key: IdentityKey,
  clientCookie: Uint8Array,
  serverCookie: Uint8Array,
  clientServiceId: string,
  serverServiceId: string,
): Uint8Array {
  return key.sign(computeAuthProof(clientCookie, serverCookie, clientServiceId, serverServiceId));
}

/**
 * Server side: rebuilds the proof with *our own* service id as server id and verifies the
 * signature under the key encoded in the claimed client service id. False for a bad signature;
 * ProtocolViolationError when the claimed service id is not a valid v3 address (bad checksum…).
 */
export function verifyAuthProof(
  signature: Uint8Array,
  claimedClientServiceId: string,
  ourServiceId: string,
  clientCookie: Uint8Array,
  serverCookie: Uint8Array,
): boolean {
  let publicKey: Uint8Array;
  try {
    publicKey = publicKeyFromServiceId(claimedClientServiceId);
  } catch (error) {
    if (error instanceof InvalidAddressError) {
      throw new ProtocolViolationError('Proof.service_id is not a valid v3 onion', {
        cause: error,
      });
    }
    throw error;
  }
  if (signature.length !== 64) return false;
  const proof = computeAuthProof(clientCookie, serverCookie, claimedClientServiceId, ourServiceId);
  return verifySignature(publicKey, proof, signature);
}
