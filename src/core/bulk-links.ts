// Bulk connections of the messenger core (docs/PROTOCOL.md "Bulk connections", docs/SEAMS.md §4
// "Extra streams"): a big file to a Sotto contact goes on a connection of its own, dialled with a
// fresh isolation key (so tor builds a fresh circuit) along the contact's route (routes.ts): the
// endpoint onion it hosts for us (Gosling endpoint channel `im.sotto.ricochet.bulk`,
// docs/ENDPOINTS.md §2) when we hold one, else its identity onion (introduction marker `B0`).
// Chat never waits behind its chunks. A bulk link never becomes the live control connection, never
// counts for presence, is authenticated as the contact (strangers are closed by the protocol
// layer), counts against the contacts' inbound capacity, and closes when its transfers end. When
// one cannot be made, the file goes on the control connection, as before.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { IdentityKey } from '../identity/identity-key.js';
import type { TorProvider } from '../onion/tor-provider.js';
import { RicochetConnection } from '../protocol/connection.js';
import type { RicochetId } from '../api/core-api.js';
import {
  BULK_CONNECTION_FEATURE,
  SOTTO_FEATURES,
  type ConnectionEvent,
  type LocalIdentity,
} from '../protocol/connection-types.js';
import { openRoute, routeOf } from './connection-routes.js';
import { PeerLink } from './peer-link.js';
import type { Route } from './routes.js';
import { toAddress } from './vault-mapping.js';

/**
 * Files smaller than this stay on the control connection. From the measurements in
 * docs/PERFORMANCE.md "Bulk connections": the extra circuit costs its set-up time before the
 * offer, and a file below about 1 MiB moves in well under a second on a used circuit anyway.
 */
export const DEFAULT_BULK_MIN_FILE_BYTES = 1024 * 1024;
/** From starting the dial until the bulk link is authenticated and its features answered. */
export const BULK_DIAL_TIMEOUT_MS = 60_000;
/** An inbound bulk link that carries no transfer for this long is closed. */
export const BULK_IDLE_TIMEOUT_MS = 60_000;
/** Inbound bulk links one contact may hold at once (a Sotto sender opens one). */
export const MAX_INBOUND_BULK_PER_CONTACT = 2;

/** What the bench and tests read: how bulk links were made and used. */
export interface BulkStats {
  dials: number;
  /** Dials that became usable bulk links. */
  connected: number;
  /** Dials that failed or timed out (the file went on the control connection). */
  failed: number;
  /** Of the dials, those made to the contact's endpoint onion (the rest: its identity onion). */
  viaEndpoint: number;
  /** Milliseconds from dial to usable, per connected dial (the extra circuit's set-up). */
  readonly setupMs: number[];
  /** Inbound bulk links of contacts taken, and those closed over the per-contact bound. */
  inbound: number;
  refused: number;
}

/** Where the events of bulk links go: the file transfers (file-transfers.ts). */
export interface BulkFileEvents {
  handle(address: RicochetId, link: PeerLink, event: ConnectionEvent): boolean;
  linkGone(link: PeerLink): void;
}

export interface BulkLinksOptions {
  readonly tor: TorProvider;
  readonly identity: LocalIdentity;
  /** Our features (default SOTTO_FEATURES); without BULK_CONNECTION_FEATURE no bulk link. */
  readonly features?: readonly string[] | undefined;
  /** Files from this size go on a bulk link (default DEFAULT_BULK_MIN_FILE_BYTES). */
  readonly bulkMinFileBytes?: number | undefined;
  readonly files: () => BulkFileEvents;
  /** Where the contact is dialled (routes.ts; default: its identity onion). */
  readonly routeFor?: ((serviceId: string) => Route) | undefined;
  /** Our identity key, for the Gosling endpoint handshake; without it no endpoint route. */
  readonly endpointIdentity?: IdentityKey | undefined;
  readonly now?: (() => number) | undefined;
}

const usable = (link: PeerLink): boolean => !link.closed && link.connection.state === 'open';

export class BulkLinks {
  readonly stats: BulkStats = {
    dials: 0,
    connected: 0,
    failed: 0,
    viaEndpoint: 0,
    setupMs: [],
    inbound: 0,
    refused: 0,
  };
  readonly #o: BulkLinksOptions;
  readonly #now: () => number;
  readonly #enabled: boolean;
  readonly #features: readonly string[];
  /** Our dialled link (or the dial in progress) per contact service id. */
  readonly #outbound = new Map<string, Promise<PeerLink | undefined>>();
  readonly #outboundLinks = new Set<PeerLink>();
  /** Inbound bulk links by contact service id. */
  readonly #inbound = new Map<PeerLink, string>();
  readonly #idle = new Map<PeerLink, NodeJS.Timeout>();
  readonly #aborts = new Set<AbortController>();
  #stopped = false;

  constructor(options: BulkLinksOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#features = options.features ?? SOTTO_FEATURES;
    this.#enabled = this.#features.includes(BULK_CONNECTION_FEATURE);
  }

  /**
   * The link that should carry a file of `size` bytes to `serviceId`, whose control link is
   * `control`: a bulk link when both sides negotiated it and the file is big enough, else
   * undefined (use the control link). Never throws: a failed dial is counted and means undefined.
   */
  async linkFor(serviceId: string, control: PeerLink, size: number): Promise<PeerLink | undefined> {
    if (this.#stopped || !this.#enabled || !control.connection.bulkConnections) return undefined;
    if (size < (this.#o.bulkMinFileBytes ?? DEFAULT_BULK_MIN_FILE_BYTES)) return undefined;
    const existing = await this.#outbound.get(serviceId);
    if (existing !== undefined && usable(existing)) return existing;
    const dial = this.#dial(serviceId);
    this.#outbound.set(serviceId, dial);
    const link = await dial;
    if (link === undefined && this.#outbound.get(serviceId) === dial) {
      this.#outbound.delete(serviceId);
    }
    return link;
  }

  /** The ConnectionManager authenticated an inbound bulk connection (server role). */
  adopt(serviceId: string, link: PeerLink, known: boolean): void {
    const held = [...this.#inbound.values()].filter((id) => id === serviceId).length;
    if (this.#stopped || !this.#enabled || !known || held >= MAX_INBOUND_BULK_PER_CONTACT) {
      if (known) this.stats.refused++;
      link.close();
      return;
    }
    this.stats.inbound++;
    this.#inbound.set(link, serviceId);
    this.#armIdle(link);
  }

  /** An event of a bulk link (inbound ones come through the ConnectionManager). */
  onLinkEvent(serviceId: string, link: PeerLink, event: ConnectionEvent): void {
    if (event.type === 'file-offer') this.#disarmIdle(link);
    const files = this.#o.files();
    try {
      if (event.type !== 'closed') files.handle(toAddress(serviceId), link, event);
    } finally {
      if (event.type === 'closed') {
        this.#forget(serviceId, link);
        files.linkGone(link);
      }
    }
  }

  /** No transfer is left on `link`: our own bulk link closes now, a peer's after idling. */
  released(link: PeerLink): void {
    if (this.#outboundLinks.has(link)) link.close();
    else if (this.#inbound.has(link)) this.#armIdle(link);
  }

  /** Closes every bulk link (ours and theirs) of a peer that is no longer a contact (block, remove). */
  prune(isContact: (serviceId: string) => boolean): void {
    for (const link of [...this.#outboundLinks, ...this.#inbound.keys()]) {
      const peer = link.connection.peerServiceId;
      if (peer !== undefined && !isContact(peer)) link.close();
    }
  }

  isBulk(link: PeerLink): boolean {
    return this.#outboundLinks.has(link) || this.#inbound.has(link);
  }

  stop(): void {
    this.#stopped = true;
    for (const abort of this.#aborts) abort.abort(new Error('shutting down'));
    for (const timer of this.#idle.values()) clearTimeout(timer);
    for (const link of [...this.#outboundLinks, ...this.#inbound.keys()]) link.destroy();
  }

  async #dial(serviceId: string): Promise<PeerLink | undefined> {
    this.stats.dials++;
    const started = this.#now();
    const abort = new AbortController();
    this.#aborts.add(abort);
    const timer = setTimeout(
      () => abort.abort(new Error('bulk dial timed out')),
      BULK_DIAL_TIMEOUT_MS,
    );
    timer.unref();
    try {
      // A fresh isolation key per bulk link: tor never reuses a circuit across isolation keys.
      const isolation = `bulk:${serviceId}:${randomBytes(8).toString('hex')}`;
      // The contact's endpoint when we hold one (the Gosling endpoint handshake on the bulk
      // channel comes first), else its identity onion; a failure of either: the control link.
      const route = routeOf(this.#routeSettings(), serviceId);
      const endpoint = route.via === 'endpoint';
      if (endpoint) this.stats.viaEndpoint++;
      const stream = await openRoute(
        this.#o.tor,
        this.#routeSettings(),
        route,
        isolation,
        this.#now,
        abort.signal,
        undefined,
        'bulk',
      );
      const { socket, remainder } = stream;
      const link = await this.#handshake(serviceId, socket, abort.signal, endpoint, remainder);
      if (link === undefined) {
        this.stats.failed++;
        return undefined;
      }
      this.stats.connected++;
      this.stats.setupMs.push(this.#now() - started);
      return link;
    } catch {
      this.stats.failed++;
      return undefined;
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
    }
  }

  #routeSettings(): Parameters<typeof routeOf>[0] {
    const { routeFor, endpointIdentity } = this.#o;
    return { ...(routeFor ? { routeFor } : {}), ...(endpointIdentity ? { endpointIdentity } : {}) };
  }

  /**
   * Resolves with the link once it is authenticated as a known contact and features answered. On
   * an endpoint stream (`endpoint`) the Gosling handshake already proved the contact: the Ricochet
   * layer starts authenticated, `remainder` (what followed the handshake) its first input.
   */
  #handshake(
    serviceId: string,
    socket: Duplex,
    signal: AbortSignal,
    endpoint: boolean,
    remainder: Uint8Array | undefined,
  ): Promise<PeerLink | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (link: PeerLink | undefined): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(link);
      };
      const connection = new RicochetConnection({
        role: 'client',
        purpose: 'bulk',
        identity: this.#o.identity,
        peerServiceId: serviceId,
        ...(endpoint ? { endpointPeer: serviceId } : {}),
        now: this.#now,
        random: (n) => new Uint8Array(randomBytes(n)),
        features: this.#features,
      });
      const link = new PeerLink({
        socket,
        connection,
        ...(remainder ? { initialInput: remainder } : {}),
        now: this.#now,
        onEvent: (l, event) => {
          if (event.type === 'features-enabled') {
            if (l.connection.isKnownContact && !this.#stopped) settle(l);
            else l.close();
          }
          if (event.type === 'closed') settle(undefined);
          this.onLinkEvent(serviceId, l, event);
        },
      });
      this.#outboundLinks.add(link);
      const onAbort = (): void => {
        link.destroy();
        settle(undefined);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #forget(serviceId: string, link: PeerLink): void {
    this.#outboundLinks.delete(link);
    this.#inbound.delete(link);
    this.#disarmIdle(link);
    const current = this.#outbound.get(serviceId);
    if (current !== undefined) {
      void current.then((l) => {
        if (l === link && this.#outbound.get(serviceId) === current) {
          this.#outbound.delete(serviceId);
        }
      });
    }
  }

  #armIdle(link: PeerLink): void {
    this.#disarmIdle(link);
    const timer = setTimeout(() => link.close(), BULK_IDLE_TIMEOUT_MS);
    timer.unref();
    this.#idle.set(link, timer);
  }

  #disarmIdle(link: PeerLink): void {
    clearTimeout(this.#idle.get(link));
    this.#idle.delete(link);
  }
}
