// Content limits of Ricochet v3 as enforced by Ricochet Refresh 3.0.41: message text, nickname
// and file-name rules, file chunk size. Pure predicates; the channel handlers decide the answer.
// Nicknames and file names are stricter than 3.0.41 about invisible characters
// (invisible-chars.ts, docs/PROTOCOL.md "Strictness"); chat text is not checked for them (the UI
// shows them visibly).
import { hasInvisible } from '../text/invisible-chars.js';

/** Largest FileChunk.chunk_data (63 KiB), as 3.0.41 sends and accepts. */
export const MAX_FILE_CHUNK = 64512;
/** ContactRequest / ChatMessage text, in UTF-16 code units. */
export const MAX_MESSAGE_LENGTH = 2000;
export const MAX_NICKNAME_LENGTH = 30;
/** File names longer than this (UTF-16 units) are refused. */
export const MAX_FILE_NAME_LENGTH = 255;

/** Chat text: 1..2000 UTF-16 code units. */
export function isValidMessageText(text: string): boolean {
  return text.length >= 1 && text.length <= MAX_MESSAGE_LENGTH;
}

/** Contact request text: 0..2000 UTF-16 code units (3.0.41 allows an empty greeting). */
export function isValidRequestText(text: string): boolean {
  return text.length <= MAX_MESSAGE_LENGTH;
}

const FORBIDDEN_NICKNAME_CHARS = /["<>&]/;
// Cc (controls), lone surrogates, line/paragraph separators; invisibles: see invisible-chars.ts.
const CONTROL_OR_SEPARATOR = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;

/** U+FDD0..U+FDEF and every U+xxFFFE / U+xxFFFF. */
function hasNonCharacter(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return true;
  }
  return false;
}

/**
 * Nickname: ≤ 30 UTF-16 units, no `" < > &`, no controls, no invisible characters, no space other
 * than U+0020 (nothing that pads or blanks a name), no non-characters.
 */
export function isValidNickname(nickname: string): boolean {
  return (
    nickname.length <= MAX_NICKNAME_LENGTH &&
    !FORBIDDEN_NICKNAME_CHARS.test(nickname) &&
    !CONTROL_OR_SEPARATOR.test(nickname) &&
    !hasInvisible(nickname, { spaces: true }) &&
    !hasNonCharacter(nickname)
  );
}

/**
 * A file name safe to show and to save under: non-empty, ≤ 255 UTF-16 units, no path separators,
 * not `.`/`..` nor containing `..`, no NUL/control/invisible characters, line separators or lone
 * surrogates. Spaces (also U+3000 and the like) are allowed: the UI shows runs of them visibly.
 */
export function isSafeFileName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= MAX_FILE_NAME_LENGTH &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.includes('..') &&
    name !== '.' &&
    !CONTROL_OR_SEPARATOR.test(name) &&
    !hasInvisible(name) &&
    !hasNonCharacter(name)
  );
}
