// The one definition of "invisible" characters, shared by the protocol checks (limits.ts: what a
// peer's nickname or file name may hold), the user-input rules (contacts/text-rules.ts,
// tui/validate.ts) and the terminal sanitiser (tui/sanitize.ts, which shows them as `⟨U+XXXX⟩`).
//
// Invisible = Unicode format characters (General Category Cf: bidi controls, zero-width
// space/joiners, U+2060–U+2064, BOM, tags, U+1D173–U+1D17A…) ∪ Default_Ignorable_Code_Point
// (Unicode DerivedCoreProperties: also the fillers U+115F, U+1160, U+3164, U+FFA0, Khmer U+17B4,
// U+17B5, Mongolian U+180B–U+180F, U+034F, variation selectors U+FE00–U+FE0F and U+E0100–U+E01EF,
// U+2065, U+FFF0–U+FFF8, all of U+E0000–U+E0FFF) ∪ symbols that draw as blank though they are
// neither: U+2800 BRAILLE PATTERN BLANK and U+1D159 MUSICAL SYMBOL NULL NOTEHEAD.
//
// One exception, so emoji keep working: a single U+FE0E/U+FE0F (text/emoji presentation) right
// after a visible character ("❤️") is not invisible — it changes how that character is drawn, not
// whether something is there. A second selector, or one after a space or another invisible, is.
//
// Space lookalikes (every White_Space code point but U+0020 and the ASCII controls: U+00A0,
// U+2000–U+200A, U+202F, U+205F, U+3000, U+2028, U+2029…) are visible as space; nicknames refuse
// them (a nickname must not look blank or padded), file names may hold them and are shown with runs
// of whitespace made visible (tui/file-name-display.ts).

/** The family as the body of a regex character class (`u` or `v` flag), for escaping in bulk. */
export const INVISIBLE_CLASS = '\\p{Cf}\\p{Default_Ignorable_Code_Point}\\u2800\\u{1D159}';
const INVISIBLE = new RegExp(`^[${INVISIBLE_CLASS}]$`, 'u');
const WHITE_SPACE = /^\p{White_Space}$/u;
const CONTROL = /^\p{Cc}$/u;

/** U+FE0E / U+FE0F: text / emoji presentation selectors. */
export function isPresentationSelector(codePoint: number): boolean {
  return codePoint === 0xfe0e || codePoint === 0xfe0f;
}

/** True for a code point of the invisible family (see the module header), out of context. */
export function isInvisibleCodePoint(codePoint: number): boolean {
  return INVISIBLE.test(String.fromCodePoint(codePoint));
}

/** White_Space other than U+0020 and ASCII controls: draws as blank, is not a plain space. */
export function isSpaceLookalike(codePoint: number): boolean {
  if (codePoint < 0x80) return false;
  return WHITE_SPACE.test(String.fromCodePoint(codePoint));
}

/** A character a presentation selector may follow: drawn, not blank, not a control. */
function isVisibleBase(codePoint: number | undefined): boolean {
  if (codePoint === undefined) return false;
  const ch = String.fromCodePoint(codePoint);
  return !INVISIBLE.test(ch) && !WHITE_SPACE.test(ch) && !CONTROL.test(ch);
}

/**
 * True if `codePoint`, coming right after `previous` (undefined at the start), is invisible:
 * the family above, except one presentation selector after a visible character.
 */
export function isInvisibleAfter(codePoint: number, previous: number | undefined): boolean {
  if (!isInvisibleCodePoint(codePoint)) return false;
  return !(isPresentationSelector(codePoint) && isVisibleBase(previous));
}

/** The first invisible code point in `text` (in context), or undefined. */
export function firstInvisible(text: string): number | undefined {
  let previous: number | undefined;
  for (const ch of text) {
    const codePoint = ch.codePointAt(0) as number;
    if (isInvisibleAfter(codePoint, previous)) return codePoint;
    previous = codePoint;
  }
  return undefined;
}

/** True if `text` holds an invisible character (in context) or, with `spaces`, a lookalike. */
export function hasInvisible(text: string, options: { readonly spaces?: boolean } = {}): boolean {
  if (firstInvisible(text) !== undefined) return true;
  if (options.spaces !== true) return false;
  for (const ch of text) if (isSpaceLookalike(ch.codePointAt(0) as number)) return true;
  return false;
}

/** `text` without its invisible characters (in context: "❤️" keeps its selector). */
export function stripInvisible(text: string): string {
  let out = '';
  let previous: number | undefined;
  for (const ch of text) {
    const codePoint = ch.codePointAt(0) as number;
    if (!isInvisibleAfter(codePoint, previous)) out += ch;
    previous = codePoint;
  }
  return out;
}
