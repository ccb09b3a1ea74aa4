// The primitive checks of the vault state validator (vault-state.ts): each takes an untrusted value
// and the path of the field it came from, and returns the value typed or throws VaultStateError
// naming that path. Bounds come from the caller (src/schema/limits.ts), so nothing unbounded is
// ever accepted, and secret bytes are always fresh copies the vault can zero.

import { LIMITS } from '../schema/limits.js';
import { SERVICE_ID_PATTERN } from '../identity/service-id.js';
import { ProfileError } from './errors.js';

export type ServiceIdText = string; // 56 chars [a-z2-7], no "ricochet:" prefix, no ".onion"

/** The state failed validation; `path` names the offending field (e.g. `contacts[3].nickname`). */
export class VaultStateError extends ProfileError {
  readonly code: string = 'vault-state';
  override name = 'VaultStateError';
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`invalid vault state at ${path}: ${problem}`);
    this.path = path;
  }
}

export type Obj = Record<string, unknown>;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_TIME = 8.64e15; // the largest valid Date value (ms)

export function fail(path: string, problem: string): never {
  throw new VaultStateError(path, problem);
}

export function object(
  value: unknown,
  path: string,
  required: string[],
  optional: string[] = [],
): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, 'expected an object');
  }
  const obj = value as Obj;
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) fail(`${path}.${key}`, 'unknown field');
  }
  for (const key of required) if (!Object.hasOwn(obj, key)) fail(`${path}.${key}`, 'missing');
  return obj;
}

export function list(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) fail(path, 'expected an array');
  if (value.length > max) fail(path, `more than ${max} entries`);
  return value;
}

export function text(value: unknown, path: string, max: number): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  if (value.length > max) fail(path, `longer than ${max} characters`);
  return value;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'expected a boolean');
  return value;
}

export function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'expected an integer');
  if (value < min || value > max) fail(path, `out of range ${min}..${max}`);
  return value;
}

export const time = (value: unknown, path: string): number => integer(value, path, 0, MAX_TIME);

export function serviceId(value: unknown, path: string): string {
  const id = text(value, path, 56);
  if (!SERVICE_ID_PATTERN.test(id)) fail(path, 'not a v3 onion service id');
  return id;
}

export function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, `expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * A fresh copy of secret bytes: from bytes (the in-memory form) or from base64 text (the JSON form
 * in the sealed file, which cannot be wiped; its decoded temporary is zeroed here).
 */
export function secretBytes(value: unknown, path: string, length: number): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== length) fail(path, `expected ${length} bytes`);
    return Uint8Array.from(value);
  }
  const b64 = text(value, path, 4 * Math.ceil(length / 3));
  if (!BASE64.test(b64)) fail(path, `expected base64 of ${length} bytes`);
  const decoded = Buffer.from(b64, 'base64');
  const bytes = decoded.length === length ? Uint8Array.from(decoded) : undefined;
  decoded.fill(0);
  if (bytes === undefined) fail(path, `expected base64 of ${length} bytes`);
  return bytes;
}

export function optional<T>(obj: Obj, key: string, check: (v: unknown) => T): T | undefined {
  return Object.hasOwn(obj, key) ? check(obj[key]) : undefined;
}

export function uniqueIds(items: readonly { serviceId: string }[], path: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.serviceId)) fail(`${path}[${i}].serviceId`, 'duplicate service id');
    seen.add(item.serviceId);
  });
}

export function recordMap<T>(
  value: unknown,
  path: string,
  check: (entries: unknown, path: string) => T[],
): Record<string, T[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, 'expected an object');
  }
  const out: Record<string, T[]> = Object.create(null) as Record<string, T[]>;
  const keys = Object.keys(value);
  if (keys.length > LIMITS.contacts) fail(path, `more than ${LIMITS.contacts} keys`);
  for (const key of keys) {
    serviceId(key, `${path} key`);
    out[key] = check((value as Obj)[key], `${path}.${key}`);
  }
  return out;
}

/** `{ [key]: check(value) }` when `obj` has `key`, else `{}` (an absent optional stays absent). */
export function optionalField<K extends string, T>(
  obj: Obj,
  key: K,
  check: (v: unknown) => T,
): Partial<Record<K, T>> {
  return Object.hasOwn(obj, key) ? ({ [key]: check(obj[key]) } as Record<K, T>) : {};
}
