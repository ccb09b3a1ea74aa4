// The one interface the messenger core uses to reach Tor (after gosling's `TorProvider`): bootstrap,
// publish our onion service, dial a peer's onion, and a stream of typed events. The real
// implementation drives a launched or attached tor over its control port and SOCKS5 port.
import type { Duplex } from 'node:stream';
import type { ControlAccess } from './attach-config.js';

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

export interface OnionListener {
  readonly serviceId: string;
  /** Stop accepting, remove the onion from tor (DEL_ONION) and close the local listener. */
  close(): Promise<void>;
}

export interface TorProvider {
  /** Start (launch mode) or attach (attach mode) and wait until tor reports bootstrap 100%. */
  bootstrap(signal?: AbortSignal): Promise<void>;
  /**
   * Publish `expandedKeyBlob` (64-byte expanded ed25519 secret key) as a v3 onion service on virtual
   * port 9878, forwarding to a local listener; resolves once a descriptor was uploaded.
   */
  listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    signal?: AbortSignal,
  ): Promise<OnionListener>;
  /** Dial `<serviceId>.onion:port` through SOCKS5; `isolationKey` separates circuits per contact. */
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
