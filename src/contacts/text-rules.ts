// Text rules for what a user or peer may type: nicknames and chat/request texts, as Ricochet v3
// enforces them (notes "Contact requests" / "Chat"), built on src/protocol/limits.ts and turned
// into typed errors; stricter than the wire (no empty nickname, no lone surrogates).

import { hasInvisible } from '../text/invisible-chars.js';
import { MAX_MESSAGE_LENGTH, MAX_NICKNAME_LENGTH, isValidNickname } from '../protocol/limits.js';
import { ContactsError } from './errors.js';

export const MAX_NICKNAME_UNITS = MAX_NICKNAME_LENGTH;
export const MAX_MESSAGE_UNITS = MAX_MESSAGE_LENGTH;
export const MAX_REQUEST_MESSAGE_UNITS = MAX_MESSAGE_LENGTH;

export class InvalidTextError extends ContactsError {
  readonly code: string = 'invalid-text';
  override name = 'InvalidTextError';
}
export class InvalidNicknameError extends InvalidTextError {
  override readonly code: string = 'invalid-nickname';
  override name = 'InvalidNicknameError';
}
export class InvalidMessageTextError extends InvalidTextError {
  override name = 'InvalidMessageTextError';
}

/** Unicode non-characters: U+FDD0..U+FDEF and the last two code points of every plane. */
export function isNonCharacter(codePoint: number): boolean {
  return (codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) === 0xfffe;
}

/** Returns the first problem with `text` as UTF-16 (lone surrogates), or undefined. */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return true;
    }
  }
  return false;
}

const CONTROL_OR_SEPARATOR = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** Throws InvalidNicknameError unless `nickname` follows Ricochet's nickname rules. */
export function validateNickname(nickname: string): string {
  if (typeof nickname !== 'string') throw new InvalidNicknameError('nickname must be a string');
  if (nickname.length === 0) throw new InvalidNicknameError('nickname is empty');
  if (nickname.length > MAX_NICKNAME_UNITS) {
    throw new InvalidNicknameError(`nickname is longer than ${MAX_NICKNAME_UNITS} UTF-16 units`);
  }
  if (hasLoneSurrogate(nickname)) throw new InvalidNicknameError('nickname is not valid UTF-16');
  if (/["<>&]/.test(nickname)) throw new InvalidNicknameError('nickname contains " < > or &');
  if (CONTROL_OR_SEPARATOR.test(nickname) || hasInvisible(nickname)) {
    throw new InvalidNicknameError('nickname contains control or invisible characters');
  }
  if (hasInvisible(nickname, { spaces: true })) {
    throw new InvalidNicknameError('nickname contains spaces other than U+0020');
  }
  for (const ch of nickname) {
    if (isNonCharacter(ch.codePointAt(0) ?? 0)) {
      throw new InvalidNicknameError('nickname contains a Unicode non-character');
    }
  }
  if (nickname.trim().length === 0) throw new InvalidNicknameError('nickname is blank');
  // The protocol layer's predicate must agree (it is what peers are held to).
  if (!isValidNickname(nickname)) throw new InvalidNicknameError('nickname is not allowed');
  return nickname;
}

/** Throws InvalidMessageTextError unless `text` is 1..max UTF-16 units of well-formed UTF-16. */
export function validateMessageText(text: string, max = MAX_MESSAGE_UNITS, min = 1): string {
  if (typeof text !== 'string') throw new InvalidMessageTextError('text must be a string');
  if (text.length < min) throw new InvalidMessageTextError('message is empty');
  if (text.length > max) {
    throw new InvalidMessageTextError(`message is longer than ${max} UTF-16 units`);
  }
  if (hasLoneSurrogate(text)) throw new InvalidMessageTextError('message is not valid UTF-16');
  return text;
}
