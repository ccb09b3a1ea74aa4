// Our v3 onion service: a local TCP listener plus `ADD_ONION ED25519-V3:<key> Port=9878,<target>`
// (control-spec §3.27), with `ClientAuthV3=` keys when only some clients may read its descriptor,
// considered published once tor reports `HS_DESC UPLOADED` (§5.5.15). Can be taken out of tor and
// put back (dark), and re-added to a restarted tor with the same key and listener.
import * as net from 'node:net';
import type { HostPort } from './attach-config.js';
import type { InboundConnection } from './tor-provider.js';
import { IdentityKey } from '../identity/identity-key.js';
import { OnionPublishFailedError, OnionPublishTimeoutError } from './tor-errors.js';
import type { TorSession } from './tor-session.js';
import { addOnion, delOnion } from './control/commands.js';
import { ControlProtocolError, TorControlError } from './control/errors.js';
import { unsupportedByTor } from './client-auth-registry.js';
import { parseHsDesc, type HsDescEvent } from './control/events.js';
import { RICOCHET_PORT } from '../identity/service-id.js';

/** Our onion's virtual port: the port Ricochet peers dial. */
export const RICOCHET_VIRTUAL_PORT = RICOCHET_PORT;
export const DEFAULT_PUBLISH_TIMEOUT_MS = 120_000;
/** Streams one rendezvous circuit may open: a peer needs one; this caps a flood per circuit. */
export const MAX_STREAMS_PER_CIRCUIT = 16;
/**
 * Inbound sockets open at once; more are closed on arrival. A flood of onion streams (each may
 * live 15 s unauthenticated) must not exhaust memory or file descriptors (default limit 1024).
 */
export const MAX_INBOUND_CONNECTIONS = 512;

export interface OnionServiceOptions {
  readonly listen: { readonly host: string; readonly port: number };
  /** Address tor forwards to; default the local listener's address (differs on Whonix). */
  readonly target?: HostPort;
  readonly publishTimeoutMs?: number;
  /** When HS_DESC events are filtered: how long to wait before assuming the upload happened. */
  readonly unconfirmedPublishWaitMs?: number;
  readonly onWarning?: (message: string) => void;
  /** The onion's virtual port (default 9878). */
  readonly virtualPort?: number;
  /** `ClientAuthV3=` values (base32 x25519 public keys); empty: no client authorization. */
  readonly clientAuthV3?: readonly string[];
}

function waitAbortable(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class OnionService {
  readonly serviceId: string;
  readonly #server: net.Server;
  readonly #key: IdentityKey;
  readonly #options: OnionServiceOptions;
  readonly #sockets = new Set<net.Socket>();
  #session: TorSession | undefined;

  private constructor(
    key: IdentityKey,
    onConnection: (connection: InboundConnection) => void,
    options: OnionServiceOptions,
  ) {
    this.#key = key;
    this.serviceId = key.serviceId;
    this.#options = options;
    this.#server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      onConnection({ socket });
    });
    this.#server.maxConnections = MAX_INBOUND_CONNECTIONS;
  }

  /** Opens the local listener; `publish` then announces it through tor. */
  static async open(
    expandedKey: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
    options: OnionServiceOptions,
  ): Promise<OnionService> {
    const service = new OnionService(
      IdentityKey.fromExpandedKey(expandedKey),
      onConnection,
      options,
    );
    const server = service.#server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.listen.port, options.listen.host, () => {
          server.off('error', reject);
          // An accept() error (EMFILE, ENFILE) is emitted here: without a listener, a crash.
          server.on('error', (error) =>
            options.onWarning?.(`inbound connection not accepted: ${error.message}`),
          );
          resolve();
        });
      });
    } catch (error) {
      service.#key.wipe();
      throw error;
    }
    return service;
  }

  /** Whether the onion is in tor now (added and not removed since). */
  get published(): boolean {
    return this.#session !== undefined;
  }

  get localAddress(): HostPort {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('listener is closed');
    return { host: address.address, port: address.port };
  }

  /** ADD_ONION on `session` and wait for one descriptor upload (or the filtered fallback). */
  async publish(session: TorSession, signal?: AbortSignal): Promise<void> {
    const timeoutMs = this.#options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    const target = this.#options.target ?? this.localAddress;
    const targetText = target.host.includes(':')
      ? `[${target.host}]:${target.port}`
      : `${target.host}:${target.port}`;
    const failures: string[] = [];
    let settle: ((error?: Error) => void) | undefined;
    const published = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    // The timer, an abort or a closed connection may settle this while ADD_ONION is still in flight
    // or during the unconfirmed wait, where nothing awaits it yet: never an unhandled rejection.
    published.catch(() => undefined);
    const unsubscribe = session.control.onEvent((event) => {
      if (event.keyword !== 'HS_DESC') return;
      let desc: HsDescEvent;
      try {
        desc = parseHsDesc(event.line);
      } catch (error) {
        if (error instanceof ControlProtocolError) return; // not ours to judge; tor sent odd text
        throw error;
      }
      if (desc.address !== this.serviceId) return;
      if (desc.action === 'UPLOADED') settle?.();
      if (desc.action === 'FAILED') failures.push(desc.reason ?? 'UNKNOWN');
    });
    const timer = setTimeout(
      () =>
        settle?.(
          failures.length > 0
            ? new OnionPublishFailedError(this.serviceId, failures)
            : new OnionPublishTimeoutError(this.serviceId, timeoutMs),
        ),
      timeoutMs,
    );
    const onAbort = (): void =>
      settle?.(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const closed = session.control.onClose((error) =>
      settle?.(error ?? new Error('tor control connection closed while publishing')),
    );
    try {
      signal?.throwIfAborted();
      const key = this.#key.torKeyBlob().slice('ED25519-V3:'.length);
      const clientAuthV3 = this.#options.clientAuthV3 ?? [];
      const virtualPort = this.#options.virtualPort ?? RICOCHET_VIRTUAL_PORT;
      const { serviceId } = await addOnion(
        session.control,
        {
          key: { type: 'ED25519-V3', blob: key },
          ports: [{ virtualPort, target: targetText }],
          maxStreams: MAX_STREAMS_PER_CIRCUIT,
          ...(clientAuthV3.length > 0 ? { clientAuthV3 } : {}),
        },
        { timeoutMs: 30_000, ...(signal !== undefined ? { signal } : {}) },
      ).catch((error: unknown) => {
        throw clientAuthV3.length > 0 ? unsupportedByTor(error, 'client-auth-v3') : error;
      });
      if (serviceId !== this.serviceId) {
        await delOnion(session.control, serviceId).catch(() => undefined);
        throw new TorControlError(250, 'ADD_ONION answered with another ServiceID', 'ADD_ONION');
      }
      this.#session = session;
      if (!session.capabilities.hsDescEvents) {
        const waitMs = this.#options.unconfirmedPublishWaitMs ?? 10_000;
        this.#options.onWarning?.(
          `HS_DESC events are filtered: cannot confirm the upload; assuming it after ${waitMs} ms`,
        );
        await waitAbortable(waitMs, signal);
        return;
      }
      await published;
    } catch (error) {
      if (this.#session === session) await this.#delOnion(session);
      this.#session = undefined;
      throw error;
    } finally {
      clearTimeout(timer);
      unsubscribe();
      closed();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #delOnion(session: TorSession): Promise<void> {
    if (session.control.closed) return;
    await delOnion(session.control, this.serviceId, { timeoutMs: 5_000 }).catch(() => {
      // 552 (already gone after a restart), 510 (filtered), a timeout or a closed connection: the
      // onion is bound to this control connection, so tor removes it when the connection closes.
    });
  }

  /** DEL_ONION, but keep the local listener, its sockets and the key (dark: publish again later). */
  async unpublish(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined) await this.#delOnion(session);
  }

  /** DEL_ONION, stop accepting and close every inbound socket; wipes the key copy. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    try {
      if (session !== undefined) await this.#delOnion(session);
    } finally {
      for (const socket of this.#sockets) socket.destroy();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#key.wipe();
    }
  }
}
