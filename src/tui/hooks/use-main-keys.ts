// Keys of the main screen (contact list and composer), looked up in the keymap and turned into
// reducer actions and core commands. Inactive while a dialog is open: dialogs own their keys.
import { useInput, type Key } from 'ink';
import { useRef } from 'react';
import type { CoreCommand } from '../../api/core-api.js';
import { findBinding } from '../keymap.js';
import type { UiAction } from '../state/actions.js';
import { isOverLimit } from '../state/composer.js';
import { selectedContact } from '../state/contacts.js';
import { OPEN_WINDOW_MINUTES } from '../state/identity.js';
import type { UiState } from '../state/types.js';

export interface MainKeyDeps {
  readonly state: UiState;
  readonly dispatch: (action: UiAction) => void;
  readonly command: (command: CoreCommand) => void;
  readonly quit: () => void;
  readonly pageSize: number;
  readonly now: () => number;
}

function contactsKey(id: string | null, deps: MainKeyDeps): void {
  const { state, dispatch } = deps;
  const contact = selectedContact(state);
  switch (id) {
    case 'quit-key':
      deps.quit();
      return;
    case 'up':
    case 'down':
      dispatch({ type: 'select-move', delta: id === 'up' ? -1 : 1 });
      return;
    case 'focus-next':
      if (contact !== null) dispatch({ type: 'focus', focus: 'composer' });
      return;
    case 'open':
      if (state.selected?.kind === 'request') {
        dispatch({
          type: 'open-dialog',
          dialog: { kind: 'request', address: state.selected.address },
        });
      } else if (contact !== null) {
        dispatch({ type: 'select', address: contact.address });
        dispatch({ type: 'focus', focus: 'composer' });
        deps.command({ type: 'messages', address: contact.address });
        if (contact.unread > 0) deps.command({ type: 'mark-read', address: contact.address });
      }
      return;
    case 'requests': {
      const first = state.requests[0];
      if (first !== undefined)
        dispatch({ type: 'open-dialog', dialog: { kind: 'request', address: first.address } });
      return;
    }
    case 'add-contact':
      dispatch({ type: 'open-dialog', dialog: { kind: 'add' } });
      return;
    case 'share-id':
      dispatch({ type: 'open-dialog', dialog: { kind: 'share' } });
      return;
    case 'transfers':
      dispatch({ type: 'open-dialog', dialog: { kind: 'transfers' } });
      return;
    case 'help':
      dispatch({ type: 'open-dialog', dialog: { kind: 'help' } });
      return;
    case 'toggle-bell':
      dispatch({ type: 'toggle-bell' });
      return;
    case 'dismiss-error':
      dispatch({ type: 'dismiss-error' });
      return;
    case 'go-dark':
      // Ask for the identity-only contacts afresh: the dialog lists who will not reach us.
      deps.command({ type: 'identity-online' });
      dispatch({ type: 'open-dialog', dialog: { kind: 'go-dark' } });
      return;
    case 'open-identity':
      deps.command({ type: 'set-identity-online', mode: 'open', minutes: OPEN_WINDOW_MINUTES });
      return;
    case 'identity-always':
      deps.command({ type: 'set-identity-online', mode: 'always' });
      return;
    case 'send-file':
      if (contact !== null)
        dispatch({ type: 'open-dialog', dialog: { kind: 'send-file', address: contact.address } });
      return;
    case 'contact-actions':
      if (contact !== null)
        dispatch({ type: 'open-dialog', dialog: { kind: 'actions', address: contact.address } });
      return;
  }
}

function composerKey(id: string | null, input: string, key: Key, deps: MainKeyDeps): void {
  const { state, dispatch } = deps;
  const contact = selectedContact(state);
  switch (id) {
    case 'send': {
      const text = state.composer.text;
      if (contact === null || text.trim() === '') return;
      if (isOverLimit(text)) {
        dispatch({ type: 'composer-reject' });
        return;
      }
      // Show it first: the core may answer `queued` before command() returns.
      dispatch({ type: 'message-sent', address: contact.address, text, now: deps.now() });
      deps.command({ type: 'send', address: contact.address, text });
      return;
    }
    case 'newline':
      dispatch({ type: 'composer-insert', text: '\n' });
      return;
    case 'leave-composer':
      dispatch({ type: 'focus', focus: 'contacts' });
      return;
    case 'scroll-up':
    case 'scroll-down':
      dispatch({ type: 'scroll', delta: id === 'scroll-up' ? deps.pageSize : -deps.pageSize });
      return;
  }
  // Terminals send DEL (0x7f) for Backspace and Ink reports it as `delete`: both erase backwards.
  if (key.backspace || key.delete) dispatch({ type: 'composer-backspace' });
  else if (key.leftArrow) dispatch({ type: 'composer-move', to: 'left' });
  else if (key.rightArrow) dispatch({ type: 'composer-move', to: 'right' });
  else if (key.home) dispatch({ type: 'composer-move', to: 'home' });
  else if (key.end) dispatch({ type: 'composer-move', to: 'end' });
  else if (
    !key.ctrl &&
    !key.meta &&
    !key.upArrow &&
    !key.downArrow &&
    !key.escape &&
    input !== ''
  ) {
    dispatch({ type: 'composer-insert', text: input });
  }
}

export function useMainKeys(deps: MainKeyDeps, active: boolean): void {
  const latest = useRef(deps);
  latest.current = deps;
  useInput(
    (input, key) => {
      const current = latest.current;
      const context = current.state.focus === 'composer' ? 'composer' : 'contacts';
      const id = findBinding(context, input, key);
      if (id === 'quit') return; // Ctrl+C is handled by the App for every screen
      if (context === 'contacts') contactsKey(id, current);
      else composerKey(id, input, key, current);
    },
    { isActive: active },
  );
}
