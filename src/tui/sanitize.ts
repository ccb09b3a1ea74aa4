// Makes any peer-supplied string safe to draw in a terminal: escape sequences (ECMA-48 CSI, OSC
// incl. OSC 8 / OSC 52, DCS, SOS, PM, APC, 7- and 8-bit forms) are removed, other controls are
// removed, and invisible characters (bidi, zero-width, tags, fillers…) are shown as `⟨U+XXXX⟩`.
//
// Policy, in one sentence each:
// - Escape sequences and C0/C1/DEL controls are dropped: they are formatting, never content.
// - Every invisible character (src/text/invisible-chars.ts, the one definition the protocol
//   checks use too: format characters — bidi overrides/isolates/marks, zero-width space/joiners,
//   BOM, tags — default-ignorables such as the Hangul fillers U+3164/U+115F/U+1160/U+FFA0, Khmer
//   U+17B4/U+17B5, variation selectors, and U+2800 BRAILLE PATTERN BLANK) becomes a visible
//   `⟨U+XXXX⟩` so a peer can neither reorder text ("gnp.exe") nor hide or blank content, and the
//   reader sees it was tried. Chat text may carry them (3.0.41 sends what its user typed); one
//   U+FE0E/U+FE0F right after a visible character stays, so emoji such as "❤️" draw as sent.
// - Non-characters and lone surrogates become U+FFFD; more than MAX_COMBINING marks in a row are
//   dropped (no "Zalgo" text overflowing lines).
// - Tab becomes spaces; line breaks (\r\n, \r, \n, U+2028, U+2029) become \n in multiline text and
//   a space otherwise; the result is capped at `maxLength` code points (ending in `…`).
// Sanitising is idempotent: sanitising an already sanitised string returns it unchanged.

import { isInvisibleAfter } from '../text/invisible-chars.js';

export interface SanitizeOptions {
  /** Keep line breaks (as `\n`). Only for message bodies. */
  readonly multiline?: boolean;
  /** Cap on the output length in code points (default DEFAULT_MAX_LENGTH). */
  readonly maxLength?: number;
}

export const DEFAULT_MAX_LENGTH = 4000;
export const MAX_COMBINING = 4;
const TAB = '    ';
const ELLIPSIS = '…';
const REPLACEMENT = '\uFFFD';

const ESC = 0x1b;
const BEL = 0x07;
const C1_DCS = 0x90;
const C1_SOS = 0x98;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
const C1_OSC = 0x9d;
const C1_PM = 0x9e;
const C1_APC = 0x9f;

const COMBINING_MARK = /^\p{M}$/u;

/** Visible stand-in for an invisible character, e.g. `⟨U+202E⟩`. */
export function placeholderFor(codePoint: number): string {
  return `⟨U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

export function isNonCharacter(codePoint: number): boolean {
  return (codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) === 0xfffe;
}

/** Index just past a CSI sequence whose parameters start at `i` (final byte 0x40–0x7E). */
function skipCsi(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 0x40 && c <= 0x7e) return i + 1;
    if (c < 0x20 || c > 0x3f) return i; // malformed: stop, the rest is sanitised as text
    i++;
  }
  return i;
}

/**
 * Index just past a control string (OSC, DCS, SOS, PM, APC) whose body starts at `start`: ends at
 * BEL, ESC \ or 8-bit ST; another ESC ends it too and starts a new sequence (as in xterm). An
 * unterminated string drops only its introducer: its body is then shown as plain text.
 */
function skipControlString(s: string, start: number): number {
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BEL || c === C1_ST) return i + 1;
    if (c === ESC) return s.charCodeAt(i + 1) === 0x5c ? i + 2 : i;
  }
  return start;
}

/** Index just past the escape sequence starting with ESC at `i`. */
function skipEscape(s: string, i: number): number {
  const next = s.charCodeAt(i + 1);
  if (Number.isNaN(next)) return i + 1;
  if (next === 0x5b) return skipCsi(s, i + 2); // ESC [
  if (next === 0x5d || next === 0x50 || next === 0x58 || next === 0x5e || next === 0x5f) {
    return skipControlString(s, i + 2); // ESC ] P X ^ _
  }
  let j = i + 1;
  while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++; // intermediates
  const final = s.charCodeAt(j);
  if (final >= 0x30 && final <= 0x7e) return j + 1;
  return j; // lone ESC (or ESC + non-ASCII): drop only what we consumed
}

function skipC1(s: string, i: number, c: number): number {
  if (c === C1_CSI) return skipCsi(s, i + 1);
  if (c === C1_OSC || c === C1_DCS || c === C1_SOS || c === C1_PM || c === C1_APC) {
    return skipControlString(s, i + 1);
  }
  return i + 1;
}

/** Replaces ESC-/C1-introduced sequences and lone controls; keeps line breaks and tabs. */
function stripSequences(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === ESC) {
      i = skipEscape(s, i);
    } else if (c >= 0x80 && c <= 0x9f) {
      i = skipC1(s, i, c);
    } else {
      out += s[i];
      i++;
    }
  }
  return out;
}

function lineBreak(multiline: boolean): string {
  return multiline ? '\n' : ' ';
}

function mapCodePoint(
  ch: string,
  cp: number,
  previous: number | undefined,
  multiline: boolean,
): string {
  if (cp === 0x0a || cp === 0x2028 || cp === 0x2029) return lineBreak(multiline);
  if (cp === 0x09) return multiline ? TAB : ' ';
  if (cp < 0x20 || cp === 0x7f) return '';
  if (cp >= 0xd800 && cp <= 0xdfff) return REPLACEMENT; // lone surrogate
  if (isNonCharacter(cp)) return REPLACEMENT;
  if (isInvisibleAfter(cp, previous)) return placeholderFor(cp);
  return ch;
}

function truncate(codePoints: readonly string[], maxLength: number): string {
  if (codePoints.length <= maxLength) return codePoints.join('');
  if (maxLength <= 0) return '';
  return codePoints.slice(0, maxLength - 1).join('') + ELLIPSIS;
}

/** Returns `text` made safe to draw in a terminal (see the module header for the policy). */
export function sanitizeForTerminal(text: string, options: SanitizeOptions = {}): string {
  const multiline = options.multiline ?? false;
  const maxLength = Math.max(0, Math.floor(options.maxLength ?? DEFAULT_MAX_LENGTH));
  const stripped = stripSequences(text).replace(/\r\n?/g, '\n');
  const out: string[] = [];
  let combiningRun = 0;
  let previous: number | undefined;
  for (const ch of stripped) {
    const cp = ch.codePointAt(0) ?? 0;
    const mapped = mapCodePoint(ch, cp, previous, multiline);
    previous = cp;
    if (mapped === ch && COMBINING_MARK.test(ch)) {
      combiningRun++;
      if (combiningRun > MAX_COMBINING) continue;
    } else if (mapped !== '') {
      combiningRun = 0;
    }
    for (const piece of mapped) out.push(piece);
  }
  return truncate(out, maxLength);
}
