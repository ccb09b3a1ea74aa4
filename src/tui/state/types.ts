// The UI's state: what the terminal shows, built only from CoreEvents and UI actions
// (src/api/core-api.ts). All peer strings in here are already sanitised for the terminal.
import type {
  ContactStatus,
  DeliveryState,
  FileTransferView,
  IncomingRequestView,
  RicochetId,
} from '../../api/core-api.js';

export interface ContactEntry {
  readonly address: RicochetId;
  readonly nickname: string;
  readonly status: ContactStatus;
  readonly historyEnabled: boolean;
  readonly unread: number;
  readonly lastError?: string;
}

export interface UiMessage {
  readonly key: string; // unique within a conversation
  readonly id: number | null; // null until the core told us the wire id of an outgoing message
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly at: number; // ms since epoch when written (peer clock corrected by timeDelta)
  readonly timeDelta: number; // seconds, <= 0
  readonly state: DeliveryState;
}

export interface Conversation {
  readonly messages: readonly UiMessage[];
  readonly nextKey: number;
}

export type TransferState = FileTransferView['state'];

/** A transfer as the UI lists it: the core's view plus a key unique within the list. */
export interface TransferEntry extends FileTransferView {
  readonly key: string; // `${address}|${direction}|${fileId}`
}

export type TorProblemKind = 'tor-missing' | 'bootstrap-stuck' | 'control-filtered' | 'other';

export interface TorState {
  readonly progress: number; // 0–100
  readonly summary: string;
  readonly published: boolean;
  /** Attach mode: how the running tor's control port let us in (absent: we launched tor). */
  readonly access?: 'authenticated' | 'user-opt-in' | 'tails' | 'whonix';
  readonly problem: {
    readonly kind: TorProblemKind;
    readonly summary: string;
    readonly recommendation: string;
  } | null;
}

/** Our identity onion as the core last said (`identity-online`); null until it said. */
export interface IdentityState {
  readonly mode: 'always' | 'open-until' | 'dark';
  readonly until?: number;
  readonly published: boolean;
  /** Contacts that reach us only on the identity onion (not while it is dark). */
  readonly identityOnly: ReadonlySet<RicochetId>;
}

export type Focus = 'contacts' | 'composer';

export type Dialog =
  | { readonly kind: 'add' }
  | { readonly kind: 'request'; readonly address: RicochetId }
  | { readonly kind: 'share' }
  | { readonly kind: 'send-file'; readonly address: RicochetId }
  | { readonly kind: 'file-offer'; readonly key: string }
  | { readonly kind: 'transfers' }
  | { readonly kind: 'actions'; readonly address: RicochetId }
  | { readonly kind: 'help' }
  | { readonly kind: 'go-dark' };

export type ListEntry =
  | { readonly kind: 'request'; readonly address: RicochetId }
  | { readonly kind: 'contact'; readonly address: RicochetId };

export interface ComposerState {
  readonly text: string;
  readonly cursor: number; // UTF-16 index into text
  readonly rejected: boolean; // last send refused (over the limit)
}

export interface UiState {
  readonly ownAddress: RicochetId | null;
  /** The nickname our contact requests carry ('' = none), as the core last said. */
  readonly ownNickname: string;
  readonly protectedProfile: boolean;
  readonly tor: TorState;
  readonly identity: IdentityState | null;
  readonly contacts: readonly ContactEntry[];
  readonly requests: readonly IncomingRequestView[];
  readonly conversations: Readonly<Record<string, Conversation>>;
  readonly transfers: readonly TransferEntry[];
  readonly focus: Focus;
  readonly selected: ListEntry | null;
  readonly scrollBack: number; // messages scrolled up from the newest
  readonly dialogs: readonly Dialog[]; // a stack: the last one is on top
  readonly composer: ComposerState;
  readonly lastError: { readonly code: string; readonly message: string } | null;
  readonly alerts: number; // grows on each new message/request: the bell rings on change
  readonly bell: boolean;
  readonly quitting: boolean;
}
