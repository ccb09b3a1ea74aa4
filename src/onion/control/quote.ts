// Quoting for the Tor control port (torspec control-spec §2.1, §2.1.1): QuotedString encoding for
// arguments we send, CString decoding of values tor sends, and `KEY=value` reply-line parsing.
// Arguments holding CR, LF or NUL are refused: they would end the command and inject another.
import { ControlArgumentError, MalformedControlFieldError } from './errors.js';

/** Throws unless `value` can travel inside one command line (no CR, LF or NUL). */
export function assertSingleLine(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new ControlArgumentError(`${what} must not contain CR, LF or NUL`);
  }
}

/** Encodes `value` as a control-spec QuotedString: `"` + value with `\` and `"` escaped + `"`. */
export function quoteString(value: string, what = 'argument'): string {
  assertSingleLine(value, what);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Decodes the quoted string starting at `text[start]` (which must be `"`). Follows §2.1.1: reads
 * `\n` `\t` `\r` and octal `\0`…`\377` as C escapes (tor's CString bug), any other `\x` as `x`.
 * Octal escapes are bytes, so runs of them are decoded together as UTF-8.
 */
export function unquoteAt(text: string, start: number): { value: string; end: number } {
  if (text[start] !== '"') throw new MalformedControlFieldError('expected a quoted string');
  let out = '';
  let bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length > 0) {
      out += new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
      bytes = [];
    }
  };
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      flushBytes();
      return { value: out, end: i + 1 };
    }
    if (c !== '\\') {
      flushBytes();
      out += c;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    const octal = /^(?:[0-3][0-7]{0,2}|[4-7][0-7]?)/.exec(text.slice(i + 1, i + 4));
    if (octal !== null) {
      bytes.push(parseInt(octal[0], 8));
      i += 1 + octal[0].length;
      continue;
    }
    flushBytes();
    out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
    i += 2;
  }
  throw new MalformedControlFieldError('unterminated quoted string');
}

/** Decodes a whole string that is exactly one quoted string. */
export function unquoteString(text: string): string {
  const { value, end } = unquoteAt(text, 0);
  if (end !== text.length) throw new MalformedControlFieldError('text after closing quote');
  return value;
}

export interface KeywordLine {
  /** Space-separated words that are not `KEY=value`, in order (quoted words are unquoted). */
  readonly positional: readonly string[];
  /** `KEY=value` pairs; quoted values are unquoted. The first occurrence of a key wins. */
  readonly keywords: ReadonlyMap<string, string>;
}

const KEYWORD_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_/.-]*=/;

/**
 * Parses a reply line of space-separated words and `KEY=value` / `KEY="quoted value"` pairs, e.g.
 * `AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/var/run/tor/control.authcookie"`.
 */
export function parseKeywordLine(text: string): KeywordLine {
  const positional: string[] = [];
  const keywords = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i += 1;
      continue;
    }
    const rest = text.slice(i);
    const key = KEYWORD_PREFIX.exec(rest);
    if (key !== null) {
      const name = key[0].slice(0, -1);
      const valueStart = i + key[0].length;
      let value: string;
      if (text[valueStart] === '"') {
        const quoted = unquoteAt(text, valueStart);
        value = quoted.value;
        i = quoted.end;
        if (i < text.length && text[i] !== ' ') {
          throw new MalformedControlFieldError(`text after quoted value of ${name}`);
        }
      } else {
        const space = text.indexOf(' ', valueStart);
        const end = space === -1 ? text.length : space;
        value = text.slice(valueStart, end);
        i = end;
      }
      if (!keywords.has(name)) keywords.set(name, value);
      continue;
    }
    if (text[i] === '"') {
      const quoted = unquoteAt(text, i);
      positional.push(quoted.value);
      i = quoted.end;
      continue;
    }
    const space = text.indexOf(' ', i);
    const end = space === -1 ? text.length : space;
    positional.push(text.slice(i, end));
    i = end;
  }
  return { positional, keywords };
}
