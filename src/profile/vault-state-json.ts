// The JSON edge of the vault state (vault-state.ts): the plaintext that vault.ts seals, as UTF-8
// bytes. The identity secrets are written into those bytes as base64 straight from the bytes, so
// a save never makes a JS string of the key (strings cannot be wiped). Opening cannot avoid one:
// JSON.parse needs the decoded text, which holds the key's base64 until the garbage collector
// reuses its memory (SECURITY.md §6 says so).
import {
  VaultStateError,
  validateVaultState,
  type IdentityRecord,
  type VaultState,
} from './vault-state.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { randomBytes } from 'node:crypto';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALPHABET_CODES = Uint8Array.from(BASE64_ALPHABET, (c) => c.charCodeAt(0));
const PAD = '='.charCodeAt(0);

/** RFC 4648 §4 base64 (padded) of `bytes`, as ASCII bytes: no string holds the secret. */
function base64Ascii(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 * Math.ceil(bytes.length / 3));
  let o = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const rest = bytes.length - i;
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out[o++] = ALPHABET_CODES[(n >> 18) & 63] ?? PAD;
    out[o++] = ALPHABET_CODES[(n >> 12) & 63] ?? PAD;
    out[o++] = rest > 1 ? (ALPHABET_CODES[(n >> 6) & 63] ?? PAD) : PAD;
    out[o++] = rest > 2 ? (ALPHABET_CODES[n & 63] ?? PAD) : PAD;
  }
  return out;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * JSON of `value` in which every Uint8Array (the contacts' endpoint secrets) stands as a marker
 * string holding a fresh random nonce (no saved text can forge it) and its index in `secrets`.
 */
function withSecretMarkers(value: unknown): {
  json: string;
  secrets: Uint8Array[];
  marker: RegExp;
  revive: (key: string, v: unknown) => unknown;
} {
  const nonce = randomBytes(12).toString('hex');
  const prefix = `sotto-secret:${nonce}:`;
  const secrets: Uint8Array[] = [];
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof Uint8Array)) return v;
    secrets.push(v);
    return `${prefix}${secrets.length - 1}`;
  });
  const revive = (_key: string, v: unknown): unknown =>
    typeof v === 'string' && v.startsWith(prefix) ? secrets[Number(v.slice(prefix.length))] : v;
  return { json, secrets, marker: new RegExp(`"${prefix}(\\d+)"`, 'g'), revive };
}

/** The JSON with each secret marker replaced by the secret's base64, built as bytes. */
function spliceSecrets(json: string, secrets: Uint8Array[], marker: RegExp): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const match of json.matchAll(marker)) {
    parts.push(ascii(json.slice(at, match.index)), ascii('"'));
    parts.push(base64Ascii(secrets[Number(match[1])] as Uint8Array), ascii('"'));
    at = match.index + match[0].length;
  }
  parts.push(ascii(json.slice(at)));
  return parts;
}

/** The state as the UTF-8 JSON that is sealed; the caller zeroes the result after use. */
export function encodeVaultState(state: VaultState): Uint8Array {
  const { identity, ...rest } = state;
  const marked = withSecretMarkers(rest); // `{"version":1,…}`: never empty
  const restParts = spliceSecrets(marked.json, marked.secrets, marked.marker);
  const restJson = concat(restParts);
  for (const part of restParts) part.fill(0);
  const secrets = [restJson, base64Ascii(identity.expandedKey)];
  const parts = [ascii('{"identity":{"expandedKey":"'), secrets[1] as Uint8Array, ascii('"')];
  if (identity.seed !== undefined) {
    const seed = base64Ascii(identity.seed);
    secrets.push(seed);
    parts.push(ascii(',"seed":"'), seed, ascii('"'));
  }
  parts.push(ascii('},'), restJson.subarray(1));
  const out = concat(parts);
  for (const secret of secrets) secret.fill(0);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The state from sealed plaintext (UTF-8 JSON): identity decoded to fresh bytes. Throws
 * TypeError (not UTF-8), SyntaxError (not JSON) or VaultStateError; the caller zeroes `plaintext`.
 */
export function decodeVaultState(plaintext: Uint8Array): VaultState {
  return validateVaultState(
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)),
  );
}

/**
 * A validated, detached copy of an in-memory state (undefined fields dropped, as JSON does) with
 * new copies of the identity bytes; with `ownIdentity`, the copy holds exactly that record, and
 * `state` must carry the same key (an open vault's identity never changes).
 */
export function cloneVaultState(state: VaultState, ownIdentity?: IdentityRecord): VaultState {
  const { identity, ...rest } = state;
  if (ownIdentity !== undefined && !sameIdentity(identity, ownIdentity)) {
    throw new VaultStateError('state.identity', 'the identity of an open vault cannot change');
  }
  // JSON drops undefined fields as a save does; the secret bytes pass by reference and the
  // validator copies them.
  const marked = withSecretMarkers(rest);
  const plain = JSON.parse(marked.json, marked.revive) as Record<string, unknown>;
  return validateVaultState({ ...plain, identity }, ownIdentity);
}

function sameIdentity(a: IdentityRecord, b: IdentityRecord): boolean {
  return sameBytes(a.expandedKey, b.expandedKey) && equalOptional(a.seed, b.seed);
}

function equalOptional(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameBytes(a, b);
}

function sameBytes(a: unknown, b: Uint8Array): boolean {
  return a instanceof Uint8Array && equalBytes(a, b);
}
