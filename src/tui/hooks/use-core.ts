// Subscribes to a MessengerCore's events and feeds them, stamped with the local time, into the
// UI reducer; returns the state, the reducer's dispatch and a fire-and-forget command sender.
import { useCallback, useEffect, useReducer } from 'react';
import type { CoreCommand, MessengerCore } from '../../api/core-api.js';
import type { UiAction } from '../state/actions.js';
import { initialState, reducer, type InitialStateOptions } from '../state/reducer.js';
import type { UiState } from '../state/types.js';

export interface UseCore {
  readonly state: UiState;
  readonly dispatch: (action: UiAction) => void;
  /** Sends a command to the core; a rejected command becomes an error shown in the status bar. */
  readonly command: (command: CoreCommand) => void;
}

export function useCore(
  core: MessengerCore,
  options: InitialStateOptions,
  now: () => number = Date.now,
): UseCore {
  const [state, dispatch] = useReducer(reducer, options, initialState);

  useEffect(() => {
    // Contacts that reach us only on our ID change with the contact book: ask again (once per
    // burst of contact events).
    let asking = false;
    const askIdentity = (): void => {
      if (asking) return;
      asking = true;
      queueMicrotask(() => {
        asking = false;
        core.dispatch({ type: 'identity-online' }).catch(() => undefined);
      });
    };
    const unsubscribe = core.onEvent((event) => {
      dispatch({ type: 'core', event, now: now() });
      if (event.type === 'contact' || event.type === 'contact-removed') askIdentity();
    });
    // Ask for what may have been said before we listened: own ID, contacts, pending requests,
    // the nickname our requests carry, whether our ID is open or dark.
    for (const type of ['id', 'contacts', 'requests', 'own-nickname', 'identity-online'] as const) {
      core.dispatch({ type }).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        dispatch({ type: 'core', event: { type: 'error', code: 'startup', message }, now: now() });
      });
    }
    return unsubscribe;
  }, [core, now]);

  const command = useCallback(
    (cmd: CoreCommand) => {
      core.dispatch(cmd).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const code = error instanceof Error ? error.name : 'Error';
        dispatch({ type: 'core', event: { type: 'error', code, message }, now: now() });
      });
    },
    [core, now],
  );

  return { state, dispatch, command };
}
