// Import a Ricochet Refresh 3.0.x profile (`ricochet.json`, ricochet-refresh doc/settings-v3.md):
// the identity key blob `identity.privateKey` and the contacts under `users`. Bad identity → typed
// error; bad contact entries → skipped with a warning; more contacts or blocks than a profile
// holds (src/schema/limits.ts) → refused whole, before anything is written. Input is bounded
// before it is read.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { IdentityKey, InvalidKeyBlobError } from '../identity/identity-key.js';
import { isValidServiceId, isWellFormedServiceId } from '../identity/service-id.js';
import { readBoundedFrom } from '../fs/read-bounded.js';
import { LIMITS } from '../schema/limits.js';
import { ProfileError } from './errors.js';

export const MAX_RICOCHET_JSON_BYTES = 1024 * 1024;
/** Contacts and requests a profile holds (the contact book); more is refused, never cut. */
export const MAX_IMPORTED_CONTACTS = LIMITS.contacts;
/** Blocked addresses a profile holds; more is refused, never cut. */
export const MAX_IMPORTED_BLOCKED = LIMITS.blocked;
/** Longer nicknames are skipped; the rest are cleaned to Ricochet's nickname rules on import. */
export const MAX_IMPORTED_NICKNAME = LIMITS.storedNickname;

export const RICOCHET_CONTACT_TYPES = [
  'allowed',
  'requesting',
  'blocked',
  'pending',
  'rejected',
] as const;
export type RicochetContactType = (typeof RICOCHET_CONTACT_TYPES)[number];

export interface RicochetContact {
  readonly serviceId: string;
  readonly nickname: string;
  readonly type: RicochetContactType;
}

export interface RicochetImport {
  /** 64-byte expanded secret key (clamped scalar ‖ prefix). The caller wipes it after use. */
  readonly expandedKey: Uint8Array;
  readonly serviceId: string;
  readonly contacts: readonly RicochetContact[];
  /** One line per skipped or doubtful entry; never contains key material. */
  readonly warnings: readonly string[];
}

export class RicochetImportError extends ProfileError {
  readonly code: string = 'ricochet-import';
  override name = 'RicochetImportError';
}
export class RicochetFileTooLargeError extends RicochetImportError {
  override name = 'RicochetFileTooLargeError';
}
export class RicochetJsonError extends RicochetImportError {
  override name = 'RicochetJsonError';
}
export class RicochetNoIdentityError extends RicochetImportError {
  override name = 'RicochetNoIdentityError';
}
export class RicochetKeyError extends RicochetImportError {
  override name = 'RicochetKeyError';
}
/** The file lists more contacts (or blocks) than a profile holds: nothing is imported. */
export class RicochetTooManyContactsError extends RicochetImportError {
  override readonly code: string = 'ricochet-too-many-contacts';
  override name = 'RicochetTooManyContactsError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shorten and neutralise untrusted text before it goes into a warning line. */
function quote(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 64 ? `${clean.slice(0, 64)}…` : clean);
}

/** Parse the text of a ricochet.json (sans-IO). */
export function parseRicochetSettings(text: string): RicochetImport {
  if (text.length > MAX_RICOCHET_JSON_BYTES) {
    throw new RicochetFileTooLargeError(
      `ricochet.json is larger than ${MAX_RICOCHET_JSON_BYTES} bytes`,
    );
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new RicochetJsonError('ricochet.json is not valid JSON', { cause: error });
  }
  if (!isObject(root)) throw new RicochetJsonError('ricochet.json: top level is not an object');
  const identity = root['identity'];
  if (!isObject(identity)) throw new RicochetNoIdentityError('ricochet.json has no identity');
  const blob = identity['privateKey'];
  if (typeof blob !== 'string' || blob === '') {
    throw new RicochetNoIdentityError('ricochet.json has no identity.privateKey');
  }
  let key: IdentityKey;
  try {
    key = IdentityKey.fromTorKeyBlob(blob);
  } catch (error) {
    if (error instanceof InvalidKeyBlobError) {
      throw new RicochetKeyError(`identity.privateKey is not a valid key: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const serviceId = key.serviceId;
  const expandedKey = key.expandedKey();
  key.wipe();
  const warnings: string[] = [];
  const contacts = parseUsers(root['users'], serviceId, warnings);
  return { expandedKey, serviceId, contacts, warnings };
}

function parseUsers(users: unknown, ownId: string, warnings: string[]): RicochetContact[] {
  if (users === undefined) return [];
  if (!isObject(users)) {
    warnings.push('users: not an object; no contacts imported');
    return [];
  }
  // The file is at most 1 MiB, so every entry is read before the totals are judged. The totals
  // count well-formed entries, before the key check (about 1 ms an id): a file that lists more
  // than a profile holds is refused at once. Ricochet Refresh only lists ids tor accepted.
  const listed: RicochetContact[] = [];
  for (const [id, entry] of Object.entries(users)) {
    const contact = parseUser(id, entry, ownId, warnings);
    if (contact !== null) listed.push(contact);
  }
  const blocked = listed.filter((c) => c.type === 'blocked').length;
  const inBook = listed.length - blocked;
  if (inBook > MAX_IMPORTED_CONTACTS || blocked > MAX_IMPORTED_BLOCKED) {
    throw new RicochetTooManyContactsError(
      `ricochet.json lists ${inBook} contacts and requests and ${blocked} blocked users; a ` +
        `profile holds at most ${MAX_IMPORTED_CONTACTS} and ${MAX_IMPORTED_BLOCKED}: nothing imported`,
    );
  }
  // The one full check of each imported id (src/contacts/contact-book.ts relies on it).
  return listed.filter((c) => {
    if (isValidServiceId(c.serviceId)) return true;
    warnings.push(`users: skipped ${c.serviceId}: not a valid v3 service id (weak key)`);
    return false;
  });
}

function parseUser(
  id: string,
  entry: unknown,
  ownId: string,
  warnings: string[],
): RicochetContact | null {
  if (!isWellFormedServiceId(id)) {
    warnings.push(`users: skipped ${quote(id)}: not a valid v3 service id`);
    return null;
  }
  if (id === ownId) {
    warnings.push(`users: skipped ${id}: it is this profile's own id`);
    return null;
  }
  if (!isObject(entry)) {
    warnings.push(`users.${id}: skipped: not an object`);
    return null;
  }
  const nickname = entry['nickname'];
  if (typeof nickname !== 'string') {
    warnings.push(`users.${id}: skipped: nickname missing or not a string`);
    return null;
  }
  if (nickname.length > MAX_IMPORTED_NICKNAME) {
    warnings.push(`users.${id}: skipped: nickname longer than ${MAX_IMPORTED_NICKNAME}`);
    return null;
  }
  const type = entry['type'];
  if (typeof type !== 'string' || !(RICOCHET_CONTACT_TYPES as readonly string[]).includes(type)) {
    warnings.push(
      `users.${id}: skipped: unknown type ${typeof type === 'string' ? quote(type) : typeof type}`,
    );
    return null;
  }
  return { serviceId: id, nickname, type: type as RicochetContactType };
}

/** Read and parse a ricochet.json; refuses files over 1 MiB before reading them. */
export async function importRicochetFile(path: string): Promise<RicochetImport> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new RicochetImportError(`${path} is not a regular file`);
    if (info.size > MAX_RICOCHET_JSON_BYTES) {
      throw new RicochetFileTooLargeError(
        `${path} is ${info.size} bytes; a ricochet.json is never larger than ${MAX_RICOCHET_JSON_BYTES}`,
      );
    }
    // Read at most limit+1 bytes, whatever stat said (the file may grow meanwhile).
    const read = await readBoundedFrom(handle, MAX_RICOCHET_JSON_BYTES, { sizeHint: info.size });
    if (read.truncated) {
      read.wipe();
      throw new RicochetFileTooLargeError(`${path} grew beyond ${MAX_RICOCHET_JSON_BYTES} bytes`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
    } catch (error) {
      throw new RicochetJsonError(`${path} is not UTF-8`, { cause: error });
    } finally {
      read.wipe();
    }
    return parseRicochetSettings(text);
  } finally {
    await handle.close();
  }
}
