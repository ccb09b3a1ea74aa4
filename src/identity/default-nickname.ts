// The name a contact gets when nobody chose one: Ricochet Refresh 3.0.41 never sends a nickname
// with its contact request (docs/PROTOCOL.md), nor does Sotto by default. Shared by the core (which
// stores it) and the UI (which offers it), so both always agree.

const PREFIX = 'ricochet:';

/**
 * The first 8 characters of the service id of `address` (`ricochet:<id>` or the bare id) — the
 * same characters the UI's short form of an ID starts with. Stored like any nickname, so the
 * contact list, the conversation header and headless events all show it, and `rename` changes it.
 */
export function defaultNickname(address: string): string {
  const bare = address.startsWith(PREFIX) ? address.slice(PREFIX.length) : address;
  return bare.slice(0, 8);
}
