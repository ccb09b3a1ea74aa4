// The newline-delimited JSON protocol of `sotto headless --json` (docs/HEADLESS.md): strict parsing
// of one command line into a CoreCommand (typed error value, never a throw) and formatting of one
// CoreEvent as one line of JSON with every control/format character escaped.

import { INVISIBLE_CLASS } from '../text/invisible-chars.js';
import type { CoreCommand, CoreEvent } from '../api/core-api.js';
import { CoreError } from './errors.js';

/** Longest command line accepted (UTF-16 units; the byte splitter enforces the same in bytes). */
export const MAX_COMMAND_LINE = 32 * 1024;

export type HeadlessErrorCode =
  | 'line-too-long'
  | 'invalid-utf8'
  | 'bad-json'
  | 'not-an-object'
  | 'unknown-command'
  | 'missing-field'
  | 'unknown-field'
  | 'bad-field-type';

/** A rejected command line. Returned, not thrown; becomes an `error` event. */
export class HeadlessError extends CoreError {
  override name = 'HeadlessError';
  constructor(
    readonly code: HeadlessErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  toEvent(): CoreEvent {
    return { type: 'error', code: this.code, message: this.message };
  }
}

type FieldKind = 'string' | 'uint32' | 'boolean';
interface FieldSpec {
  readonly kind: FieldKind;
  readonly optional?: boolean;
}
type Schema = Readonly<Record<string, FieldSpec>>;

const str: FieldSpec = { kind: 'string' };
const uint: FieldSpec = { kind: 'uint32' };
const bool: FieldSpec = { kind: 'boolean' };

/** Every command and its fields (besides `type`). Mirrors CoreCommand in src/api/core-api.ts. */
export const COMMAND_SCHEMAS: Readonly<Record<CoreCommand['type'], Schema>> = {
  id: {},
  add: { address: str, nickname: str, message: str },
  accept: { address: str, nickname: { kind: 'string', optional: true } },
  reject: { address: str },
  block: { address: str },
  unblock: { address: str },
  remove: { address: str },
  rename: { address: str, nickname: str },
  retry: { address: str },
  send: { address: str, text: str },
  'send-file': { address: str, path: str },
  'accept-file': { address: str, fileId: uint },
  'reject-file': { address: str, fileId: uint },
  'cancel-file': { address: str, fileId: uint },
  history: { address: str, enabled: bool },
  'clear-history': { address: str },
  contacts: {},
  requests: {},
  messages: { address: str },
  'retry-message': { address: str, id: uint },
  'discard-message': { address: str, id: uint },
  'mark-read': { address: str },
  'block-unknown': { enabled: bool },
  'set-nickname': { nickname: str },
  'own-nickname': {},
  'identity-online': {},
  'set-identity-online': { mode: str, minutes: { kind: 'uint32', optional: true } },
  quit: {},
};

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Parses one line (without its newline) into a command, or returns why not. Never throws. */
export function parseCommandLine(line: string): CoreCommand | HeadlessError {
  if (typeof line !== 'string') return new HeadlessError('bad-json', 'a line must be text');
  if (line.length > MAX_COMMAND_LINE) {
    return new HeadlessError(
      'line-too-long',
      `a command line is at most ${MAX_COMMAND_LINE} chars`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    return new HeadlessError('bad-json', 'the line is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new HeadlessError('not-an-object', 'a command is a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const type = obj['type'];
  if (typeof type !== 'string' || !hasOwn(obj, 'type')) {
    return new HeadlessError('missing-field', 'a command needs a string "type"');
  }
  if (!hasOwn(COMMAND_SCHEMAS, type)) {
    return new HeadlessError('unknown-command', `unknown command ${JSON.stringify(type)}`);
  }
  const schema = COMMAND_SCHEMAS[type as CoreCommand['type']];
  for (const key of Object.keys(obj)) {
    if (key !== 'type' && !hasOwn(schema, key)) {
      return new HeadlessError('unknown-field', `${type} has no field ${JSON.stringify(key)}`);
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (!hasOwn(obj, key)) {
      if (spec.optional === true) continue;
      return new HeadlessError('missing-field', `${type} needs ${JSON.stringify(key)}`);
    }
    if (!matches(obj[key], spec.kind)) {
      return new HeadlessError('bad-field-type', `${type}.${key} must be ${describe(spec.kind)}`);
    }
  }
  // Rebuild from the schema so no inherited or unexpected property travels further.
  const command: Record<string, unknown> = { type };
  for (const key of Object.keys(schema)) if (hasOwn(obj, key)) command[key] = obj[key];
  return command as unknown as CoreCommand;
}

function matches(v: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'uint32':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  }
}

function describe(kind: FieldKind): string {
  return kind === 'uint32' ? 'an integer 0..4294967295' : `a ${kind}`;
}

// Characters JSON.stringify leaves raw but a terminal or a line-based reader must not see: DEL and
// C1 controls, every invisible character (src/text/invisible-chars.ts: bidi controls,
// zero-width, BOM, tags, fillers…), line/paragraph separators. (C0 controls and lone surrogates
// JSON.stringify escapes itself.) Escaping is lossless: a JSON reader gets the same string back.
const UNSAFE_IN_JSON = new RegExp(`[\\p{Cc}${INVISIBLE_CLASS}\\p{Zl}\\p{Zp}]`, 'gu');

function escapeUnits(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** One event as one line of JSON (no trailing newline); only printable characters outside escapes. */
export function formatEvent(event: CoreEvent): string {
  return JSON.stringify(event).replace(UNSAFE_IN_JSON, escapeUnits);
}
