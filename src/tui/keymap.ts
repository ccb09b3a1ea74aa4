// Every key the UI reacts to, as data: the input handlers look bindings up here and the help
// overlay renders this table, so the help can never drift from what the keys really do.
import type { Key } from 'ink';

export type KeyContext =
  | 'global'
  | 'contacts'
  | 'composer'
  | 'dialog'
  | 'request'
  | 'file-offer'
  | 'actions'
  | 'transfers'
  | 'go-dark'
  | 'start';

export type KeyActionId =
  | 'quit'
  | 'quit-key'
  | 'help'
  | 'focus-next'
  | 'up'
  | 'down'
  | 'open'
  | 'add-contact'
  | 'share-id'
  | 'send-file'
  | 'transfers'
  | 'requests'
  | 'contact-actions'
  | 'toggle-bell'
  | 'dismiss-error'
  | 'send'
  | 'newline'
  | 'leave-composer'
  | 'scroll-up'
  | 'scroll-down'
  | 'cancel'
  | 'next-field'
  | 'submit'
  | 'accept'
  | 'reject'
  | 'block'
  | 'edit-name'
  | 'cancel-transfer'
  | 'go-dark'
  | 'open-identity'
  | 'identity-always'
  | 'confirm-dark'
  | 'unprotected';

export interface KeyBinding {
  readonly id: KeyActionId;
  readonly context: KeyContext;
  readonly keys: string; // how the help shows the key(s)
  readonly description: string;
  readonly matches: (input: string, key: Key) => boolean;
}

const plain = (key: Key): boolean => !key.ctrl && !key.meta;
const letter =
  (...letters: readonly string[]) =>
  (input: string, key: Key): boolean =>
    plain(key) && letters.includes(input);

export const KEYMAP: readonly KeyBinding[] = [
  {
    id: 'quit',
    context: 'global',
    keys: 'Ctrl+C',
    description: 'Quit Sotto',
    matches: (input, key) => key.ctrl && input === 'c',
  },
  { id: 'quit-key', context: 'contacts', keys: 'q', description: 'Quit', matches: letter('q') },
  {
    id: 'help',
    context: 'contacts',
    keys: '?',
    description: 'Show this help',
    matches: letter('?'),
  },
  {
    id: 'focus-next',
    context: 'contacts',
    keys: 'Tab',
    description: 'Go to the message composer',
    matches: (_input, key) => key.tab && !key.shift,
  },
  {
    id: 'up',
    context: 'contacts',
    keys: '↑ / k',
    description: 'Previous contact',
    matches: (input, key) => key.upArrow || (plain(key) && input === 'k'),
  },
  {
    id: 'down',
    context: 'contacts',
    keys: '↓ / j',
    description: 'Next contact',
    matches: (input, key) => key.downArrow || (plain(key) && input === 'j'),
  },
  {
    id: 'open',
    context: 'contacts',
    keys: 'Enter',
    description: 'Open conversation / answer request',
    matches: (_input, key) => key.return && !key.meta,
  },
  {
    id: 'add-contact',
    context: 'contacts',
    keys: 'a',
    description: 'Add a contact',
    matches: letter('a'),
  },
  {
    id: 'share-id',
    context: 'contacts',
    keys: 'i',
    description: 'Show my ID and QR code',
    matches: letter('i'),
  },
  {
    id: 'send-file',
    context: 'contacts',
    keys: 'f',
    description: 'Send a file to the contact',
    matches: letter('f'),
  },
  {
    id: 'transfers',
    context: 'contacts',
    keys: 't',
    description: 'File transfers',
    matches: letter('t'),
  },
  {
    id: 'requests',
    context: 'contacts',
    keys: 'r',
    description: 'Answer the next contact request',
    matches: letter('r'),
  },
  {
    id: 'contact-actions',
    context: 'contacts',
    keys: 'c',
    description: 'Contact actions (rename, remove, block…)',
    matches: letter('c'),
  },
  {
    id: 'toggle-bell',
    context: 'contacts',
    keys: 'n',
    description: 'Turn the bell on/off',
    matches: letter('n'),
  },
  {
    id: 'go-dark',
    context: 'contacts',
    keys: 'd',
    description: 'Go dark: take my ID offline (no new contacts)',
    matches: letter('d'),
  },
  {
    id: 'open-identity',
    context: 'contacts',
    keys: 'o',
    description: 'Accept contact requests for the next 30 minutes',
    matches: letter('o'),
  },
  {
    id: 'identity-always',
    context: 'contacts',
    keys: 'O',
    description: 'Keep my ID online always',
    matches: letter('O'),
  },
  {
    id: 'dismiss-error',
    context: 'contacts',
    keys: 'Esc',
    description: 'Dismiss the error line',
    matches: (_input, key) => key.escape,
  },
  {
    id: 'send',
    context: 'composer',
    keys: 'Enter',
    description: 'Send the message',
    matches: (_input, key) => key.return && !key.meta,
  },
  {
    id: 'newline',
    context: 'composer',
    keys: 'Ctrl+J / Alt+Enter',
    description: 'New line in the message',
    matches: (input, key) => input === '\n' || (key.return && key.meta),
  },
  {
    id: 'leave-composer',
    context: 'composer',
    keys: 'Esc / Tab',
    description: 'Back to the contact list',
    matches: (_input, key) => key.escape || key.tab,
  },
  {
    id: 'scroll-up',
    context: 'composer',
    keys: 'PgUp',
    description: 'Scroll the conversation up',
    matches: (_input, key) => key.pageUp,
  },
  {
    id: 'scroll-down',
    context: 'composer',
    keys: 'PgDn',
    description: 'Scroll the conversation down',
    matches: (_input, key) => key.pageDown,
  },
  {
    id: 'cancel',
    context: 'dialog',
    keys: 'Esc',
    description: 'Close the dialog',
    matches: (_i, key) => key.escape,
  },
  {
    id: 'next-field',
    context: 'dialog',
    keys: 'Tab',
    description: 'Next field',
    matches: (_i, key) => key.tab,
  },
  {
    id: 'submit',
    context: 'dialog',
    keys: 'Enter',
    description: 'Confirm',
    matches: (_input, key) => key.return,
  },
  {
    id: 'accept',
    context: 'request',
    keys: 'y',
    description: 'Accept the request',
    matches: letter('y'),
  },
  {
    id: 'reject',
    context: 'request',
    keys: 'n',
    description: 'Reject the request',
    matches: letter('n'),
  },
  {
    id: 'block',
    context: 'request',
    keys: 'b',
    description: 'Block the sender',
    matches: letter('b'),
  },
  {
    id: 'edit-name',
    context: 'request',
    keys: 'e / Tab',
    description: 'Edit the name the contact gets',
    matches: (input, key) => (plain(key) && input === 'e') || key.tab,
  },
  {
    id: 'accept',
    context: 'file-offer',
    keys: 'y',
    description: 'Accept the file',
    matches: letter('y'),
  },
  {
    id: 'reject',
    context: 'file-offer',
    keys: 'n',
    description: 'Reject the file',
    matches: letter('n'),
  },
  {
    id: 'up',
    context: 'actions',
    keys: '↑ / k',
    description: 'Previous action',
    matches: (i, k) => k.upArrow || (plain(k) && i === 'k'),
  },
  {
    id: 'down',
    context: 'actions',
    keys: '↓ / j',
    description: 'Next action',
    matches: (i, k) => k.downArrow || (plain(k) && i === 'j'),
  },
  {
    id: 'up',
    context: 'transfers',
    keys: '↑ / k',
    description: 'Previous transfer',
    matches: (i, k) => k.upArrow || (plain(k) && i === 'k'),
  },
  {
    id: 'down',
    context: 'transfers',
    keys: '↓ / j',
    description: 'Next transfer',
    matches: (i, k) => k.downArrow || (plain(k) && i === 'j'),
  },
  {
    id: 'accept',
    context: 'transfers',
    keys: 'y',
    description: 'Accept the selected offer',
    matches: letter('y'),
  },
  {
    id: 'reject',
    context: 'transfers',
    keys: 'n',
    description: 'Reject the selected offer',
    matches: letter('n'),
  },
  {
    id: 'cancel-transfer',
    context: 'transfers',
    keys: 'x',
    description: 'Cancel the selected transfer',
    matches: letter('x'),
  },
  {
    id: 'confirm-dark',
    context: 'go-dark',
    keys: 'y / Enter',
    description: 'Go dark',
    matches: (input, key) => (plain(key) && input === 'y') || key.return,
  },
  {
    id: 'cancel',
    context: 'go-dark',
    keys: 'n / Esc',
    description: 'Stay open',
    matches: (input, key) => (plain(key) && input === 'n') || key.escape,
  },
  {
    id: 'unprotected',
    context: 'start',
    keys: 'Ctrl+N',
    description: 'Create a profile WITHOUT a passphrase',
    matches: (input, key) => key.ctrl && input === 'n',
  },
  {
    id: 'next-field',
    context: 'start',
    keys: 'Tab',
    description: 'Next field',
    matches: (_i, key) => key.tab,
  },
  {
    id: 'submit',
    context: 'start',
    keys: 'Enter',
    description: 'Create / unlock',
    matches: (_i, key) => key.return,
  },
];

export const CONTEXT_TITLES: Readonly<Record<KeyContext, string>> = {
  global: 'Everywhere',
  contacts: 'Contact list',
  composer: 'Composer',
  dialog: 'Dialogs',
  request: 'Contact request',
  'file-offer': 'File offer',
  actions: 'Contact actions',
  transfers: 'Transfers',
  'go-dark': 'Going dark',
  start: 'Profile screens',
};

/** The action bound to this keypress in `context` (global bindings apply everywhere). */
export function findBinding(context: KeyContext, input: string, key: Key): KeyActionId | null {
  for (const binding of KEYMAP) {
    if (
      (binding.context === context || binding.context === 'global') &&
      binding.matches(input, key)
    ) {
      return binding.id;
    }
  }
  return null;
}
