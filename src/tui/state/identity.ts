// The identity onion as the UI shows it (issue 13, docs/HEADLESS.md "Identity onion"): the state
// from the core's `identity-online` event, the status-bar words (open / open till HH:MM / DARK),
// and when the main screen may show although no `published` event came (we are dark).
import type { CoreEvent } from '../../api/core-api.js';
import { formatClock } from './format.js';
import type { IdentityState, UiState } from './types.js';

/** How many minutes the one-key "accept requests" window lasts (the core's default). */
export const OPEN_WINDOW_MINUTES = 30;

export function identityFromEvent(
  event: Extract<CoreEvent, { type: 'identity-online' }>,
): IdentityState {
  const identityOnly = new Set(event.identityOnly.filter((a) => typeof a === 'string'));
  const base = { published: event.published === true, identityOnly };
  const until = event.until;
  if (event.mode === 'open-until' && until !== undefined && Number.isFinite(until)) {
    return { ...base, mode: 'open-until', until };
  }
  return { ...base, mode: event.mode === 'dark' ? 'dark' : 'always' };
}

/** `open`, `open till 14:30`, `DARK` (null: the core has not said yet). */
export function identityWords(identity: IdentityState | null): string | null {
  if (identity === null) return null;
  switch (identity.mode) {
    case 'always':
      return 'open';
    case 'open-until':
      return `open till ${formatClock(identity.until ?? 0)}`;
    case 'dark':
      return 'DARK';
  }
}

/**
 * The main screen shows once our onion is published, or, when we are dark (nothing to publish),
 * once tor is bootstrapped.
 */
export function mainScreenReady(state: UiState): boolean {
  if (state.tor.published) return true;
  return state.identity?.mode === 'dark' && state.tor.progress >= 100;
}
