// The JSON edge of the vault state (vault-state.ts): the plaintext that vault.ts seals, as UTF-8
// bytes. Format 2 (docs/PROFILE.md): the state without `history`, `"version":2`, plus
// `historyLogs` — per conversation the 32-byte key and 16-byte log id of its history log
// (history-logs.ts); format 1 (read for migration only) held `history` and no keys. The identity
// and conversation keys are written into those bytes as base64 straight from the bytes, so
// a save never makes a JS string of a key (strings cannot be wiped). Opening cannot avoid one:
// JSON.parse needs the decoded text, which holds the key's base64 until the garbage collector
// reuses its memory (SECURITY.md §6 says so).
import { SERVICE_ID_PATTERN } from '../identity/service-id.js';
import { LIMITS } from '../schema/limits.js';
import { concatParts } from './bytes.js';
import {
  VaultStateError,
  secretBytes,
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

/** The key and log id of one conversation's history log; the vault owns and zeroes the key. */
export interface HistoryLogRef {
  readonly key: Uint8Array;
  readonly logId: Uint8Array;
}

export type HistoryLogRefs = ReadonlyMap<string, HistoryLogRef>;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The format-2 state as the UTF-8 JSON that is sealed; the caller zeroes the result after use. */
export function encodeVaultState(
  state: VaultState,
  historyLogs: HistoryLogRefs = new Map(),
): Uint8Array {
  const { identity, history: _history, ...rest } = state;
  const marked = withSecretMarkers({ ...rest, version: 2 }); // `{"version":2,…}`: never empty
  const restParts = spliceSecrets(marked.json, marked.secrets, marked.marker);
  const restJson = concatParts(restParts);
  for (const part of restParts) part.fill(0);
  const secrets = [restJson, base64Ascii(identity.expandedKey)];
  const parts = [ascii('{"identity":{"expandedKey":"'), secrets[1] as Uint8Array, ascii('"')];
  if (identity.seed !== undefined) {
    const seed = base64Ascii(identity.seed);
    secrets.push(seed);
    parts.push(ascii(',"seed":"'), seed, ascii('"'));
  }
  parts.push(ascii('},"historyLogs":{'));
  let first = true;
  for (const [serviceId, ref] of historyLogs) {
    const key = base64Ascii(ref.key);
    secrets.push(key);
    const opening = `${first ? '' : ','}${JSON.stringify(serviceId)}:{"logId":"${hex(ref.logId)}","key":"`;
    parts.push(ascii(opening), key, ascii('"}'));
    first = false;
  }
  parts.push(ascii('},'), restJson.subarray(1));
  const out = concatParts(parts);
  for (const secret of secrets) secret.fill(0);
  return out;
}

/** The format-1 JSON (tests and the migration fixture only: Sotto writes format 2). */
export function encodeLegacyVaultState(state: VaultState): Uint8Array {
  const { identity, ...rest } = state;
  const seed =
    identity.seed === undefined ? {} : { seed: Buffer.from(identity.seed).toString('base64') };
  const id = { expandedKey: Buffer.from(identity.expandedKey).toString('base64'), ...seed };
  return ascii(JSON.stringify({ identity: id, ...rest, version: 1 }));
}

const LOG_ID_HEX = /^[0-9a-f]{32}$/;

function historyLogsFromJson(value: unknown): Map<string, HistoryLogRef> {
  const path = 'state.historyLogs';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VaultStateError(path, 'expected an object');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > LIMITS.contacts) {
    throw new VaultStateError(path, `more than ${LIMITS.contacts} keys`);
  }
  const out = new Map<string, HistoryLogRef>();
  try {
    for (const [serviceId, entry] of entries) {
      const at = `${path}.${serviceId}`;
      if (!SERVICE_ID_PATTERN.test(serviceId)) throw new VaultStateError(at, 'not a service id');
      const o = entry as Record<string, unknown> | null;
      if (typeof o !== 'object' || o === null || Object.keys(o).length !== 2) {
        throw new VaultStateError(at, 'expected {logId, key}');
      }
      const logId = o['logId'];
      if (typeof logId !== 'string' || !LOG_ID_HEX.test(logId)) {
        throw new VaultStateError(`${at}.logId`, 'expected 32 hex digits');
      }
      const key = secretBytes(o['key'], `${at}.key`, 32);
      out.set(serviceId, { key, logId: Uint8Array.from(Buffer.from(logId, 'hex')) });
    }
  } catch (error) {
    for (const ref of out.values()) ref.key.fill(0);
    throw error;
  }
  return out;
}

export interface DecodedVaultState {
  readonly state: VaultState;
  readonly historyLogs: Map<string, HistoryLogRef>;
  /** 1: history inside the state (migrate it to logs); 2: the current format. */
  readonly stateVersion: 1 | 2;
}

/**
 * The state from sealed plaintext (UTF-8 JSON, format 1 or 2): secrets decoded to fresh bytes.
 * Throws TypeError (not UTF-8), SyntaxError (not JSON) or VaultStateError; the caller zeroes
 * `plaintext`.
 */
export function decodeSealedState(plaintext: Uint8Array): DecodedVaultState {
  const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || o['version'] !== 2) {
    return { state: validateVaultState(value), historyLogs: new Map(), stateVersion: 1 };
  }
  if (Object.hasOwn(o, 'history')) throw new VaultStateError('state.history', 'unknown field');
  const { historyLogs: refs, ...rest } = o;
  const historyLogs = historyLogsFromJson(refs);
  try {
    const state = validateVaultState({ ...rest, version: 1, history: {} });
    return { state, historyLogs, stateVersion: 2 };
  } catch (error) {
    for (const ref of historyLogs.values()) ref.key.fill(0);
    throw error;
  }
}

/**
 * A validated, detached copy of an in-memory state (undefined fields dropped, as JSON does) with
 * new copies of the identity bytes, its `history` copied only `withHistory` (a save ignores it); with `ownIdentity`, the copy holds exactly that record, and
 * `state` must carry the same key (an open vault's identity never changes).
 */
export function cloneVaultState(
  state: VaultState,
  ownIdentity?: IdentityRecord,
  options: { readonly withHistory?: boolean } = {},
): VaultState {
  const { identity, history, ...rest } = state;
  if (ownIdentity !== undefined && !sameIdentity(identity, ownIdentity)) {
    throw new VaultStateError('state.identity', 'the identity of an open vault cannot change');
  }
  // JSON drops undefined fields as a save does; the secret bytes pass by reference and the
  // validator copies them.
  const marked = withSecretMarkers({
    ...rest,
    history: options.withHistory === true ? history : {},
  });
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

/** The state alone from sealed plaintext (format 1 or 2; conversation keys are zeroed). */
export function decodeVaultState(plaintext: Uint8Array): VaultState {
  const decoded = decodeSealedState(plaintext);
  for (const ref of decoded.historyLogs.values()) ref.key.fill(0);
  return decoded.state;
}
