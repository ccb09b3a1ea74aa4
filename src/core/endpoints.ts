// The endpoint onions of a Messenger (issue 13, docs/ENDPOINTS.md §2): owns the endpoint book,
// the route policy and the negotiator, and talks to tor for them — one onion per contact we host
// (ADD_ONION with the contact's ClientAuthV3 key), one client-auth credential per contact that
// hosts one for us (ONION_CLIENT_AUTH_ADD). Everything is re-added on start (launch and attach
// mode). Where tor refuses client authorization (UnsupportedByTorError: Tails/Whonix filters, an
// old tor) it says so once (`endpoints-unsupported` + log) and every contact stays on identity.
import type { CoreEvent } from '../api/core-api.js';
import { IdentityKey } from '../identity/identity-key.js';
import type { OnionListener, TorProvider } from '../onion/tor-provider.js';
import {
  OnionBadClientAuthError,
  OnionDescriptorNotFoundError,
  OnionMissingClientAuthError,
  UnsupportedByTorError,
} from '../onion/tor-errors.js';
import { GoslingError } from '../gosling/errors.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { ConnectionManager } from './connection-manager.js';
import type { EndpointBook, PeerEndpoint } from './endpoint-book.js';
import { EndpointNegotiator } from './endpoint-negotiation.js';
import type { PeerLink } from './peer-link.js';
import { ENDPOINT_PORT, RoutePolicy, type Route } from './routes.js';
import { toAddress } from './vault-mapping.js';

/**
 * Tries of moving a live identity connection onto a fresh endpoint: its descriptor may take
 * minutes to be uploaded and fetched under load (0xF0 until then). 2, 4, 8, 16 s, then every 30 s:
 * about 4 minutes in all.
 */
export const UPGRADE_ATTEMPTS = 12;
export const UPGRADE_FIRST_DELAY_MS = 2_000;
export const UPGRADE_MAX_DELAY_MS = 30_000;

export interface EndpointsOptions {
  readonly tor: TorProvider;
  readonly identity: IdentityKey;
  readonly book: EndpointBook;
  /** False with --ricochet-compat (no Sotto features): identity only, nothing hosted. */
  readonly enabled: boolean;
  readonly now: () => number;
  readonly manager: () => ConnectionManager;
  readonly isContact: (serviceId: string) => boolean;
  /** A file transfer runs on this link: a move to the endpoint waits for it (it would cut it). */
  readonly busy: (link: PeerLink) => boolean;
  readonly changed: () => void;
  readonly emit: (event: CoreEvent) => void;
}

export class Endpoints {
  readonly routes: RoutePolicy;
  readonly negotiator: EndpointNegotiator;
  readonly #o: EndpointsOptions;
  readonly #listeners = new Map<string, Promise<OnionListener | undefined>>();
  readonly #renegotiate = new Set<string>();
  /**
   * Contacts we learned a fresh endpoint from while they stayed connected (the link it came on, or
   * a link that replaced it): their ask in turn is no loss, even when a move cut it and they ask
   * again on the new link. Cleared when the contact goes offline.
   */
  readonly #learnedFrom = new Set<string>();
  readonly #upgradeTimers = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  #unsupported = false;
  #closed = false;

  constructor(options: EndpointsOptions) {
    this.#o = options;
    this.routes = new RoutePolicy(options.book, () => this.#usable());
    this.negotiator = new EndpointNegotiator({
      identity: options.identity,
      now: options.now,
      canHost: () => this.#usable(),
      wantsEndpoint: (c) => options.book.peer(c) === undefined || this.#renegotiate.has(c),
      hostFor: (c, key) => this.#hostFor(c, key),
      learned: (c, id, secret) => this.#learned(c, id, secret),
      failed: (c, error) => this.#failed(c, error),
    });
  }

  /** Whether a contact has an endpoint for us (it no longer needs our identity onion). */
  hasEndpoint(serviceId: string): boolean {
    return this.#usable() && this.#o.book.peer(serviceId) !== undefined;
  }

  /**
   * Re-adds every credential we hold (awaited: quick) and every endpoint we host (not awaited:
   * each onion is usable once its own descriptor is up; 200 of them take minutes the first time,
   * docs/ENDPOINTS.md "Cost"), before the identity onion is published (tor is bootstrapped).
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (!this.#o.enabled) return;
    const { book } = this.#o;
    const credentials: Promise<boolean>[] = [];
    for (const contact of book.contacts()) {
      if (!this.#o.isContact(contact)) continue;
      const peer = book.peer(contact);
      if (peer !== undefined) credentials.push(this.#authorize(contact, peer, signal));
      if (book.hosted(contact) !== undefined) void this.#listen(contact);
    }
    await Promise.all(credentials);
  }

  /**
   * ConnectionManager hook: how a dial along a route ended. A move to the endpoint that fails
   * while the contact is live on its identity onion, with tor or Gosling saying the endpoint is
   * not what we hold (client auth missing or refused, the handshake refused, no descriptor even at
   * the last try), is the sign our endpoint from it is lost: we negotiate again on the live
   * connection. Other failures (a slow circuit, a fresh descriptor not up yet) are retried.
   */
  routeResult(
    contact: string,
    route: Route,
    result: { readonly ok: boolean; readonly upgrade: boolean; readonly error?: unknown },
  ): void {
    const { ok, upgrade, error } = result;
    if (upgrade) {
      if (ok) return;
      // A fresh endpoint is "not found" (0xF0) until its descriptor is up: that is retried; only
      // a descriptor still missing at the last try means the endpoint is gone.
      const fresh = error instanceof OnionDescriptorNotFoundError && !this.#lastTry(contact);
      if (endpointLost(error) && !fresh) this.#renegotiateNow(contact);
      else this.#scheduleUpgrade(contact);
      return;
    }
    if (ok) this.routes.succeeded(contact, route);
    else {
      this.routes.failed(contact, route);
      if (route.via === 'endpoint') {
        this.#o.emit({ type: 'endpoint', address: toAddress(contact), state: 'fallback' });
      }
    }
  }

  /** Events of a contact's live link; true if consumed. */
  handle(contact: string, link: PeerLink, event: ConnectionEvent): boolean {
    const c = link.connection;
    if (event.type === 'authenticated' && c.isEndpointSession) {
      this.#cancelUpgrade(contact);
      this.#o.emit({ type: 'endpoint', address: toAddress(contact), state: 'connected' });
    }
    // A Sotto contact live on its identity onion whose endpoint we hold: move there.
    const identityLink = !c.isEndpointSession && c.endpointsNegotiated && this.#usable();
    if (event.type === 'features-enabled' && identityLink && this.#o.book.peer(contact)) {
      this.#scheduleUpgrade(contact, 0);
    }
    return this.negotiator.handle(contact, link, event);
  }

  /** A live link ended: replaced by `replacedBy`, or the contact went offline (none). */
  linkGone(link: PeerLink, replacedBy?: PeerLink): void {
    this.negotiator.linkGone(link);
    const contact = link.connection.peerServiceId;
    if (replacedBy === undefined && contact !== undefined) this.#learnedFrom.delete(contact);
  }

  /** Drops what belongs to contacts that are gone (removed or blocked): onions, credentials, keys. */
  prune(): void {
    for (const contact of this.#o.book.contacts()) {
      if (this.#o.isContact(contact)) continue;
      const peer = this.#o.book.peer(contact);
      if (peer !== undefined)
        void this.#o.tor.removeClientAuth(peer.serviceId).catch(() => undefined);
      this.#unlisten(contact);
      this.#cancelUpgrade(contact);
      this.routes.reset(contact);
      this.#o.book.erase(contact);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.negotiator.close();
    for (const { timer } of this.#upgradeTimers.values()) clearTimeout(timer);
    const listeners = await Promise.all([...this.#listeners.values()]);
    await Promise.all(listeners.flatMap((l) => (l ? [l.close().catch(() => undefined)] : [])));
    this.#o.book.wipeAll();
  }

  #usable(): boolean {
    return this.#o.enabled && !this.#unsupported && !this.#closed;
  }

  #hostFor(contact: string, peerClientAuthKey: Uint8Array): string {
    const replaced = this.#o.book.hosted(contact) !== undefined;
    const key = IdentityKey.generate();
    const serviceId = key.serviceId;
    this.#o.book.setHosted(contact, { key: key.expandedKey(), peerClientAuthKey }, this.#o.now());
    key.wipe();
    this.#o.changed();
    this.#unlisten(contact);
    void this.#listen(contact);
    // A contact that asks again lost (some of) its keys: ours from it may be stale too. Unless we
    // just learned a fresh one from it (since it is connected): then this is its ask in turn after
    // ours — perhaps again, on the link that took over while the first try was under way — and
    // asking back again would make the two sides replace each other's endpoints forever.
    if (replaced && !this.#learnedFrom.has(contact)) this.#renegotiate.add(contact);
    return serviceId;
  }

  #learned(contact: string, endpointServiceId: string, secret: Uint8Array): void {
    this.#learnedFrom.add(contact);
    this.#renegotiate.delete(contact);
    this.routes.reset(contact);
    const old = this.#o.book.peer(contact);
    if (old !== undefined && old.serviceId !== endpointServiceId) {
      void this.#o.tor.removeClientAuth(old.serviceId).catch(() => undefined);
    }
    const peer = { serviceId: endpointServiceId, clientAuthSecret: secret };
    this.#o.book.setPeer(contact, peer, this.#o.now());
    this.#o.changed();
    this.#o.emit({ type: 'endpoint', address: toAddress(contact), state: 'negotiated' });
    void this.#authorize(contact, peer).then((ok) => {
      if (ok) this.#scheduleUpgrade(contact, 0);
    });
  }

  #renegotiateNow(contact: string): void {
    this.#cancelUpgrade(contact);
    this.#renegotiate.add(contact);
    const link = this.#o.manager().live(contact);
    if (link !== undefined) this.negotiator.maybeStart(contact, link);
  }

  #failed(contact: string, error: GoslingError): void {
    this.#o.emit({
      type: 'endpoint',
      address: toAddress(contact),
      state: 'negotiation-failed',
      code: error.code,
    });
  }

  #scheduleUpgrade(contact: string, attempt?: number): void {
    const previous = this.#upgradeTimers.get(contact);
    const next = attempt ?? (previous?.attempt ?? 0) + 1;
    if (previous) clearTimeout(previous.timer);
    this.#upgradeTimers.delete(contact);
    if (next >= UPGRADE_ATTEMPTS || this.#closed) return;
    const delay =
      next === 0 ? 0 : Math.min(UPGRADE_MAX_DELAY_MS, UPGRADE_FIRST_DELAY_MS * 2 ** (next - 1));
    const move = (): void => {
      const live = this.#o.manager().live(contact);
      if (live !== undefined && this.#o.busy(live)) {
        this.#scheduleUpgrade(contact, Math.max(1, next)); // not a failed try: wait and ask again
        return;
      }
      this.#o.manager().upgrade(contact);
    };
    const timer = setTimeout(move, delay);
    timer.unref();
    this.#upgradeTimers.set(contact, { timer, attempt: next });
  }

  #lastTry(contact: string): boolean {
    return (this.#upgradeTimers.get(contact)?.attempt ?? 0) + 1 >= UPGRADE_ATTEMPTS;
  }

  #cancelUpgrade(contact: string): void {
    clearTimeout(this.#upgradeTimers.get(contact)?.timer);
    this.#upgradeTimers.delete(contact);
  }

  /** Adds our credential for a contact's endpoint; false if tor refused (or we closed). */
  async #authorize(contact: string, peer: PeerEndpoint, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#o.tor.addClientAuth(peer.serviceId, peer.clientAuthSecret, signal);
      return true;
    } catch (error) {
      this.#refused(error, contact);
      return false;
    }
  }

  #listen(contact: string): Promise<OnionListener | undefined> {
    const hosted = this.#o.book.hosted(contact);
    if (hosted === undefined) return Promise.resolve(undefined);
    const key = hosted.key.slice(); // the provider keeps its own copy
    const options = { clientAuthV3: [hosted.peerClientAuthKey.slice()], port: ENDPOINT_PORT };
    const serviceId = IdentityKey.fromExpandedKey(hosted.key.slice());
    const endpointServiceId = serviceId.serviceId;
    serviceId.wipe();
    const listening = this.#o.tor
      .listen(
        key,
        ({ socket }) => this.#o.manager().acceptEndpointInbound(socket, contact, endpointServiceId),
        options,
      )
      .then(
        (listener) => {
          if (this.#closed || this.#listeners.get(contact) !== listening) {
            void listener.close().catch(() => undefined);
            return undefined;
          }
          return listener;
        },
        (error: unknown) => {
          this.#refused(error, contact);
          return undefined;
        },
      )
      .finally(() => key.fill(0));
    this.#listeners.set(contact, listening);
    return listening;
  }

  #unlisten(contact: string): void {
    const listening = this.#listeners.get(contact);
    this.#listeners.delete(contact);
    void listening?.then((l) => l?.close().catch(() => undefined));
  }

  /** Tor refused: client auth at all (once, for every contact), or this contact's onion/key. */
  #refused(error: unknown, contact: string): void {
    if (this.#closed) return;
    if (error instanceof UnsupportedByTorError) {
      if (this.#unsupported) return;
      this.#unsupported = true;
      this.#o.emit({
        type: 'endpoints-unsupported',
        feature: error.feature,
        message: error.message,
      });
      return;
    }
    const code = (error as { code?: unknown } | undefined)?.code;
    this.#o.emit({
      type: 'endpoint',
      address: toAddress(contact),
      state: 'fallback',
      code: typeof code === 'string' ? code : 'tor-error',
    });
  }
}

/** Errors that say the endpoint we dialled is not (or no longer) the one we hold keys for. */
function endpointLost(error: unknown): boolean {
  return (
    error instanceof OnionDescriptorNotFoundError ||
    error instanceof OnionMissingClientAuthError ||
    error instanceof OnionBadClientAuthError ||
    error instanceof GoslingError
  );
}
