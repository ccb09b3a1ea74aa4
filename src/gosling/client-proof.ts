// The Gosling v0.1.0 client identity proof ("Client Identity Proof Calculation and Verification"):
//   proof = domain_separator \0 request \0 client_service_id \0 server_service_id \0
//           hex(client_cookie) \0 hex(server_cookie)
// all ASCII, no trailing NUL, cookies as lower-case hex; the domain separator is
// `gosling-identity` (request = endpoint) or `gosling-endpoint` (request = channel). The client
// signs it with its identity (onion service) ed25519 key; the server verifies it with the key in
// the client's claimed service id.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { IdentityKey } from '../identity/identity-key.js';
import { verifySignature } from '../identity/identity-key.js';
import { isValidServiceId, publicKeyFromServiceId } from '../identity/service-id.js';
import { HandshakeArgumentError } from './errors.js';

export const IDENTITY_DOMAIN = 'gosling-identity';
export const ENDPOINT_DOMAIN = 'gosling-endpoint';
export const COOKIE_LENGTH = 32;
/** Longest endpoint or channel name we send or accept (the spec only asks for ASCII). */
export const MAX_NAME_LENGTH = 255;

export type ProofDomain = typeof IDENTITY_DOMAIN | typeof ENDPOINT_DOMAIN;

export interface ProofFields {
  readonly domain: ProofDomain;
  /** The endpoint (identity handshake) or channel (endpoint handshake) name. */
  readonly request: string;
  readonly clientServiceId: string;
  readonly serverServiceId: string;
  readonly clientCookie: Uint8Array;
  readonly serverCookie: Uint8Array;
}

/** True for a non-empty printable-ASCII name of at most MAX_NAME_LENGTH characters. */
export function isValidRequestName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && /^[\x20-\x7e]+$/.test(name);
}

/** The proof bytes, exactly as the spec defines them. Throws HandshakeArgumentError on bad fields. */
export function clientProof(fields: ProofFields): Uint8Array {
  if (!isValidRequestName(fields.request)) {
    throw new HandshakeArgumentError('the endpoint/channel name must be printable ASCII');
  }
  for (const id of [fields.clientServiceId, fields.serverServiceId]) {
    if (!isValidServiceId(id)) throw new HandshakeArgumentError('not a v3 onion service id');
  }
  for (const cookie of [fields.clientCookie, fields.serverCookie]) {
    if (!(cookie instanceof Uint8Array) || cookie.length !== COOKIE_LENGTH) {
      throw new HandshakeArgumentError(`cookies must be ${COOKIE_LENGTH} bytes`);
    }
  }
  const text = [
    fields.domain,
    fields.request,
    fields.clientServiceId,
    fields.serverServiceId,
    bytesToHex(fields.clientCookie),
    bytesToHex(fields.serverCookie),
  ].join('\0');
  return new TextEncoder().encode(text);
}

/** The client's signature over the proof, with the key of its identity onion. */
export function signClientProof(identity: IdentityKey, fields: ProofFields): Uint8Array {
  if (identity.serviceId !== fields.clientServiceId) {
    throw new HandshakeArgumentError('the proof must name the signing identity');
  }
  return identity.sign(clientProof(fields));
}

/** True iff `signature` is the client's (the key in `fields.clientServiceId`) over the proof. */
export function verifyClientProof(fields: ProofFields, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verifySignature(
    publicKeyFromServiceId(fields.clientServiceId),
    clientProof(fields),
    signature,
  );
}
