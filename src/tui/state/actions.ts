// Everything that can change the UI state: a CoreEvent (stamped with the local time it arrived)
// or something the user did. One discriminated union, reduced by src/tui/state/reducer.ts.
import type { CoreEvent, RicochetId } from '../../api/core-api.js';
import type { Dialog, Focus } from './types.js';

export type UiAction =
  | { readonly type: 'core'; readonly event: CoreEvent; readonly now: number }
  | { readonly type: 'focus'; readonly focus: Focus }
  | { readonly type: 'select-move'; readonly delta: number }
  | { readonly type: 'select'; readonly address: RicochetId }
  | { readonly type: 'open-dialog'; readonly dialog: Dialog }
  | { readonly type: 'close-dialog' }
  | { readonly type: 'scroll'; readonly delta: number }
  | { readonly type: 'composer-insert'; readonly text: string }
  | { readonly type: 'composer-backspace' }
  | { readonly type: 'composer-delete' }
  | { readonly type: 'composer-move'; readonly to: 'left' | 'right' | 'home' | 'end' }
  | { readonly type: 'composer-reject' }
  /** We dispatched `send` for the composer text: show it as queued, clear the composer. */
  | {
      readonly type: 'message-sent';
      readonly address: RicochetId;
      readonly text: string;
      readonly now: number;
    }
  /** We dispatched accept/reject/block for an incoming request. */
  | { readonly type: 'request-resolved'; readonly address: RicochetId }
  | { readonly type: 'toggle-bell' }
  | { readonly type: 'dismiss-error' };
