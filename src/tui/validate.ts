// What the user types that the peer will see, checked before it goes to the core: nickname and
// contact-request message limits of Ricochet (docs/PROTOCOL.md "Strictness": nickname ≤ 30 UTF-16
// units without `" < > &`, control or invisible characters (src/text/invisible-chars.ts) or
// spaces other than U+0020; message ≤ 2000 UTF-16 units), and the name a contact request suggests
// when the user accepts it.
import type { IncomingRequestView } from '../api/core-api.js';
import { defaultNickname } from '../identity/default-nickname.js';
import { hasInvisible } from '../text/invisible-chars.js';

export const NICKNAME_MAX_UTF16 = 30;
export const REQUEST_MESSAGE_MAX_UTF16 = 2000;

/** Why `nickname` cannot be used, or null when it is fine. */
export function nicknameProblem(nickname: string): string | null {
  const trimmed = nickname.trim();
  if (trimmed === '') return 'give them a nickname';
  if (trimmed.length > NICKNAME_MAX_UTF16) return `at most ${NICKNAME_MAX_UTF16} characters`;
  if (/["<>&]/.test(trimmed)) return 'no " < > or & in nicknames';
  if (/[\p{Cc}\p{Zl}\p{Zp}]/u.test(trimmed) || hasInvisible(trimmed)) {
    return 'no invisible or control characters';
  }
  if (hasInvisible(trimmed, { spaces: true })) return 'only plain spaces in nicknames';
  return null;
}

/** Why `nickname` cannot be our own nickname ('' is fine: requests then carry none). */
export function ownNicknameProblem(nickname: string): string | null {
  return nickname.trim() === '' ? null : nicknameProblem(nickname);
}

/**
 * The name offered when accepting `request`: the nickname it carried (already sanitised for the
 * terminal) if that is a valid nickname, else the core's default for a contact without one (the
 * first 8 characters of the ID; Ricochet Refresh 3.0.41 never sends a nickname).
 */
export function suggestedNickname(request: IncomingRequestView): string {
  const given = request.nickname.trim();
  return given !== '' && nicknameProblem(given) === null ? given : defaultNickname(request.address);
}

/** Why a contact-request message cannot be sent, or null when it is fine. */
export function requestMessageProblem(message: string): string | null {
  if (message.length > REQUEST_MESSAGE_MAX_UTF16)
    return `at most ${REQUEST_MESSAGE_MAX_UTF16} characters`;
  return null;
}
