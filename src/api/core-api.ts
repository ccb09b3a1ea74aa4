// The contract between the messenger core and its front ends (the Ink UI and `sotto headless
// --json`): the commands a front end gives and the events the core emits. Plain data only, so the
// headless mode can write events as JSON lines; docs/HEADLESS.md documents the JSON form.

import { LIMITS } from '../schema/limits.js';

/**
 * Unanswered incoming requests the core keeps (the oldest is dropped, with a `request-dropped`
 * event, when a new one arrives); a front end never needs to hold more.
 */
export const MAX_PENDING_REQUESTS = LIMITS.incomingRequests;

/** A Ricochet ID in canonical form: `ricochet:<56 lower-case base32 chars>`. */
export type RicochetId = string;

export type ContactStatus =
  | 'online'
  | 'offline'
  | 'request-pending' // we asked them; waiting for an answer
  | 'request-rejected' // they rejected us (or refused our connection before answering)
  | 'request-failed' // could not deliver our request (network), will retry
  | 'removed-us' // authenticated as unknown with no pending request
  | 'blocked';

export interface ContactView {
  readonly address: RicochetId;
  readonly nickname: string;
  readonly status: ContactStatus;
  readonly historyEnabled: boolean;
  readonly unread: number;
  readonly lastError?: string;
}

export interface IncomingRequestView {
  readonly address: RicochetId;
  readonly nickname: string;
  readonly message: string;
  readonly receivedAt: number; // ms since epoch, local only
}

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'failed';

export interface MessageView {
  readonly address: RicochetId;
  // 'in': the Ricochet message_id it arrived with. 'out': the stable local id the core assigned
  // when it was queued (the wire message_id is assigned on first send and kept for re-sends).
  readonly id: number;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly at: number; // ms since epoch when composed (out) or received (in)
  readonly timeDelta: number; // seconds, <= 0, as sent on the wire
  readonly state: DeliveryState;
}

export type FileDirection = 'in' | 'out';

export interface FileTransferView {
  readonly address: RicochetId;
  readonly fileId: number;
  readonly direction: FileDirection;
  readonly name: string;
  readonly size: number;
  readonly transferred: number;
  readonly bytesPerSecond: number;
  readonly state:
    'offered' | 'accepted' | 'transferring' | 'done' | 'rejected' | 'cancelled' | 'failed';
  readonly path?: string; // where a finished download was saved
}

export type CoreCommand =
  | { readonly type: 'id' }
  | {
      readonly type: 'add';
      readonly address: string;
      readonly nickname: string;
      readonly message: string;
    }
  | { readonly type: 'accept'; readonly address: string; readonly nickname?: string }
  | { readonly type: 'reject'; readonly address: string }
  | { readonly type: 'block'; readonly address: string }
  | { readonly type: 'unblock'; readonly address: string }
  | { readonly type: 'remove'; readonly address: string }
  | { readonly type: 'rename'; readonly address: string; readonly nickname: string }
  | { readonly type: 'retry'; readonly address: string }
  | { readonly type: 'send'; readonly address: string; readonly text: string }
  | { readonly type: 'send-file'; readonly address: string; readonly path: string }
  | { readonly type: 'accept-file'; readonly address: string; readonly fileId: number }
  | { readonly type: 'reject-file'; readonly address: string; readonly fileId: number }
  | { readonly type: 'cancel-file'; readonly address: string; readonly fileId: number }
  | { readonly type: 'history'; readonly address: string; readonly enabled: boolean }
  | { readonly type: 'clear-history'; readonly address: string }
  | { readonly type: 'contacts' }
  | { readonly type: 'requests' }
  // Additions (messenger core): list a conversation, retry or discard a failed outgoing message
  // (by its local id), mark a conversation read, and the "block unknown peers" switch.
  | { readonly type: 'messages'; readonly address: string }
  | { readonly type: 'retry-message'; readonly address: string; readonly id: number }
  | { readonly type: 'discard-message'; readonly address: string; readonly id: number }
  | { readonly type: 'mark-read'; readonly address: string }
  | { readonly type: 'block-unknown'; readonly enabled: boolean }
  // Additions: the nickname our own contact requests carry ('' = none, the default) and a query
  // for it; both answer with `own-nickname`.
  | { readonly type: 'set-nickname'; readonly nickname: string }
  | { readonly type: 'own-nickname' }
  // Additions (issue 13, the dark identity onion): ask for / change whether our identity onion is
  // published — `always`, `dark`, or `open` for `minutes` (1..1440) then dark again. Both answer
  // with `identity-online`.
  | { readonly type: 'identity-online' }
  | {
      readonly type: 'set-identity-online';
      readonly mode: 'always' | 'dark' | 'open';
      readonly minutes?: number;
    }
  | { readonly type: 'quit' };

/**
 * Whether our identity onion is published: `always`, `open-until` (`until`, ms since epoch, then
 * dark), or `dark`. `published`: it is in tor right now. `identityOnly`: contacts that can reach
 * us only on the identity onion (Ricochet Refresh contacts, Sotto contacts without an endpoint),
 * who will not reach us while it is dark.
 */
export interface IdentityOnlineView {
  readonly mode: 'always' | 'open-until' | 'dark';
  readonly until?: number;
  readonly published: boolean;
  readonly identityOnly: readonly RicochetId[];
}

export type CoreEvent =
  | { readonly type: 'id'; readonly address: RicochetId }
  | { readonly type: 'tor'; readonly progress: number; readonly summary: string }
  | { readonly type: 'tor-problem'; readonly summary: string; readonly recommendation: string }
  /**
   * Attached to a running tor: `authenticated` (cookie or password), or a port without
   * authentication trusted because the user opted in (`user-opt-in`) or it is the onion-grater
   * filter of Tails (`tails`) or of a Whonix gateway (`whonix`).
   */
  | {
      readonly type: 'tor-access';
      readonly access: 'authenticated' | 'user-opt-in' | 'tails' | 'whonix';
    }
  | { readonly type: 'published'; readonly address: RicochetId }
  | { readonly type: 'online'; readonly address: RicochetId }
  | { readonly type: 'offline'; readonly address: RicochetId }
  | {
      readonly type: 'request';
      readonly address: RicochetId;
      readonly nickname: string;
      readonly message: string;
    }
  /** A pending incoming request left the store without a user decision (the oldest, when full). */
  | { readonly type: 'request-dropped'; readonly address: RicochetId; readonly reason: 'evicted' }
  | {
      readonly type: 'contact';
      readonly address: RicochetId;
      readonly status: ContactStatus;
      readonly nickname: string;
    }
  | { readonly type: 'contact-removed'; readonly address: RicochetId }
  | { readonly type: 'contacts'; readonly contacts: readonly ContactView[] }
  | { readonly type: 'requests'; readonly requests: readonly IncomingRequestView[] }
  | {
      readonly type: 'message';
      readonly address: RicochetId;
      readonly id: number;
      readonly text: string;
      readonly timeDelta: number;
    }
  | {
      readonly type: 'message-state';
      readonly address: RicochetId;
      readonly id: number;
      readonly state: DeliveryState;
    }
  | { readonly type: 'delivered'; readonly address: RicochetId; readonly id: number }
  | {
      readonly type: 'file-offer';
      readonly address: RicochetId;
      readonly fileId: number;
      readonly name: string;
      readonly size: number;
    }
  // Addition (messenger core): our `send-file` offer went out; `fileId` is what `cancel-file` takes.
  | {
      readonly type: 'file-offered';
      readonly address: RicochetId;
      readonly fileId: number;
      readonly name: string;
      readonly size: number;
    }
  | {
      readonly type: 'file-progress';
      readonly address: RicochetId;
      readonly fileId: number;
      readonly direction: FileDirection;
      readonly transferred: number;
      readonly size: number;
      readonly bytesPerSecond: number;
    }
  | {
      readonly type: 'file-done';
      readonly address: RicochetId;
      readonly fileId: number;
      readonly direction: FileDirection;
      readonly result: 'success' | 'rejected' | 'cancelled' | 'failed';
      readonly path?: string;
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  // Additions (messenger core): answer to `messages`; an outgoing message was queued (its local id).
  | {
      readonly type: 'messages';
      readonly address: RicochetId;
      readonly messages: readonly MessageView[];
    }
  | {
      readonly type: 'queued';
      readonly address: RicochetId;
      readonly id: number;
      readonly text: string;
    }
  // Addition: the nickname our contact requests carry ('' = none), after `set-nickname` or
  // `own-nickname`.
  | { readonly type: 'own-nickname'; readonly nickname: string }
  // Addition (issue 13): the identity onion's setting and state; after `identity-online`,
  // `set-identity-online`, when the state changes (published, the window ended) and when the
  // identity-only contacts change.
  | ({ readonly type: 'identity-online' } & IdentityOnlineView)
  // Addition (issue 13, docs/ENDPOINTS.md §2): a contact's endpoint onion. `negotiated`: the
  // contact gave us its endpoint for us; `connected`: the live connection runs on the endpoint;
  // `fallback`: the endpoint failed, the next dial uses the identity onion (and renegotiates);
  // `negotiation-failed`: a negotiation ended badly (`code`: the Gosling error's code).
  | {
      readonly type: 'endpoint';
      readonly address: RicochetId;
      readonly state: 'negotiated' | 'connected' | 'fallback' | 'negotiation-failed';
      readonly code?: string;
    }
  // Addition (issue 13): tor refused client authorization (a filtering control port, an old tor):
  // every contact stays on the identity onion. `feature`: what was refused.
  | { readonly type: 'endpoints-unsupported'; readonly feature: string; readonly message: string }
  | { readonly type: 'quit' };

/**
 * The `code` of an `error` event that answers a command (docs/HEADLESS.md, "Command error codes").
 * Each comes from the error class that carries it (`code` of the contacts, core and identity
 * errors); an error whose code is not listed here is reported as `internal`.
 */
export const COMMAND_ERROR_CODES = [
  'invalid-address',
  'invalid-nickname',
  'invalid-text',
  'contact-exists',
  'unknown-contact',
  'self-contact',
  'too-many-contacts',
  'unknown-request',
  'block-list-full',
  'queue-full',
  'unknown-message',
  'unsafe-downloads-dir',
  'no-free-file-name',
  'download-failed',
  'peer-offline',
  'unknown-transfer',
  'file-error',
  'unknown-command',
  'storage-failed',
  'invalid-identity-online',
  'history-log-unreadable',
  'message-not-saved',
  'internal',
] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

/** What the UI and headless mode hold on to. */
export interface MessengerCore {
  dispatch(command: CoreCommand): Promise<void>;
  onEvent(listener: (event: CoreEvent) => void): () => void;
  close(): Promise<void>;
}
