// The one interface the messenger core uses to reach Tor (after gosling's `TorProvider`): bootstrap,
// publish our onion services (optionally with v3 client authorization, or dark), hold client-auth
// credentials for peers' onions, dial a peer's onion, and a stream of typed events. The real
// implementation drives a launched or attached tor over its control port and SOCKS5 port
// (control-spec ADD_ONION `ClientAuthV3=`, ONION_CLIENT_AUTH_ADD/REMOVE); docs/SEAMS.md §3.
import type { Duplex } from 'node:stream';
import type { ControlAccess } from './attach-config.js';
import { InvalidOnionArgumentError } from './tor-errors.js';

export type TorEvent =
  | {
      readonly type: 'bootstrap';
      readonly progress: number;
      readonly tag: string;
      readonly summary: string;
    }
  | {
      readonly type: 'bootstrap-problem';
      readonly reason: string;
      readonly summary: string;
      readonly recommendation: string;
    }
  | { readonly type: 'ready' }
  | { readonly type: 'onion-published'; readonly serviceId: string }
  | { readonly type: 'onion-publish-failed'; readonly serviceId: string; readonly reason: string }
  | { readonly type: 'network-liveness'; readonly up: boolean }
  | { readonly type: 'tor-restarted' }
  | { readonly type: 'tor-exited'; readonly code: number | null; readonly signal: string | null }
  /** Attach mode: how the running tor's control port let us in (shown to the user). */
  | { readonly type: 'control-access'; readonly access: ControlAccess }
  | { readonly type: 'warning'; readonly message: string };

/** An inbound connection that tor forwarded from our onion's virtual port 9878. */
export interface InboundConnection {
  readonly socket: Duplex;
}

/** How `listen` publishes an onion. Every field is optional; `{}` is the identity onion's shape. */
export interface ListenOptions {
  /**
   * x25519 public keys (32 bytes each) of the only clients that may read the onion's descriptor
   * (ADD_ONION `ClientAuthV3=`, rend-spec-v3 client authorization). Absent or empty: anyone who
   * knows the address can. Refused by a filtering control port: `UnsupportedByTorError`.
   */
  readonly clientAuthV3?: readonly Uint8Array[];
  /** The onion's virtual port (default 9878, the Ricochet port). */
  readonly port?: number;
  /**
   * `false`: open the local listener and keep the key, but do not add the onion to tor: no
   * descriptor exists, a dial fails with "descriptor not found" (0xF0). Default `true`.
   * `OnionListener.setPublished` changes it later.
   */
  readonly publish?: boolean;
}

export interface OnionListener {
  readonly serviceId: string;
  /** Whether the onion is in tor now (its descriptor published). */
  readonly published: boolean;
  /**
   * `true`: add the onion to tor (ADD_ONION) and resolve once a descriptor was uploaded;
   * `false`: remove it from tor (DEL_ONION) but keep the local listener, the key and the
   * connections already accepted (tor closes the onion's circuits, so those usually end too).
   * Nothing happens when it already is in that state.
   */
  setPublished(published: boolean, signal?: AbortSignal): Promise<void>;
  /** Stop accepting, remove the onion from tor (DEL_ONION) and close the local listener. */
  close(): Promise<void>;
}

export interface TorProvider {
  /** Start (launch mode) or attach (attach mode) and wait until tor reports bootstrap 100%. */
  bootstrap(signal?: AbortSignal): Promise<void>;
  /**
   * Publish `expandedKeyBlob` (64-byte expanded ed25519 secret key) as a v3 onion service on virtual
   * port 9878 (or `options.port`), forwarding to a local listener; resolves once a descriptor was
   * uploaded (at once with `publish: false`). The provider keeps its own copy of the key.
   */
  listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    signal?: AbortSignal,
  ): Promise<OnionListener>;
  listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    options: ListenOptions,
    signal?: AbortSignal,
  ): Promise<OnionListener>;
  /**
   * Let our tor read the descriptor of `serviceId`, an onion with client authorization, with the
   * 32-byte x25519 secret (ONION_CLIENT_AUTH_ADD, in memory only: never `Permanent`). Replaces a
   * credential already held for it. The provider keeps its own copy (zeroed on removal or close),
   * re-adds it after a restart and removes it from tor on `close()`. A filtering control port
   * that refuses it: `UnsupportedByTorError`.
   */
  addClientAuth(serviceId: string, x25519Secret: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** Forget the credential for `serviceId` (ONION_CLIENT_AUTH_REMOVE); none held is no error. */
  removeClientAuth(serviceId: string, signal?: AbortSignal): Promise<void>;
  /**
   * Dial `<serviceId>.onion:port` through SOCKS5; `isolationKey` separates circuits per contact.
   * Tor's extended errors become typed: 0xF0 `OnionDescriptorNotFoundError` (not published, or
   * dark), 0xF4 `OnionMissingClientAuthError` (client authorization needed, none held), 0xF5
   * `OnionBadClientAuthError` (the credential held does not open the descriptor).
   */
  connect(
    serviceId: string,
    port: number,
    isolationKey: string,
    signal?: AbortSignal,
  ): Promise<Duplex>;
  /**
   * After `tor-exited`: start a fresh tor (launch mode) or reconnect to the control port (attach
   * mode), bootstrap, re-publish every open listener with the same key and local port, then emit
   * `tor-restarted`. Optional: an in-memory provider need not implement it.
   */
  restart?(signal?: AbortSignal): Promise<void>;
  /** Subscribe to events; returns an unsubscribe function. */
  onEvent(listener: (event: TorEvent) => void): () => void;
  /** Remove our onions, stop tor if we launched it, close the control connection. */
  close(): Promise<void>;
}

/** `listen`'s two call shapes, `(key, cb, signal?)` and `(key, cb, options, signal?)`, as one. */
export function listenArguments(
  optionsOrSignal: ListenOptions | AbortSignal | undefined,
  signal: AbortSignal | undefined,
): { readonly options: ListenOptions; readonly signal: AbortSignal | undefined } {
  if (optionsOrSignal instanceof AbortSignal) return { options: {}, signal: optionsOrSignal };
  return { options: optionsOrSignal ?? {}, signal };
}

/** Refuses options no tor would take (before any listener opens): bad port, bad key length. */
export function checkListenOptions(options: ListenOptions): void {
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65_535)) {
    throw new InvalidOnionArgumentError('the onion port must be an integer 1–65535');
  }
  for (const key of options.clientAuthV3 ?? []) {
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new InvalidOnionArgumentError('a ClientAuthV3 key is a 32-byte x25519 public key');
    }
  }
}

/** Refuses an x25519 secret for `addClientAuth` that is not 32 bytes. */
export function checkClientAuthSecret(x25519Secret: Uint8Array): void {
  if (!(x25519Secret instanceof Uint8Array) || x25519Secret.length !== 32) {
    throw new InvalidOnionArgumentError('a client-auth secret is a 32-byte x25519 key');
  }
}
