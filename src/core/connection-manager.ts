// One live Ricochet connection per peer (notes "Connection rules"): dials contacts through Tor with
// bounded concurrency, a per-contact isolation key, a timeout and an AbortSignal; takes inbound
// onion connections within the core's inbound slots (inbound-slots.ts: strangers are evicted before
// a contact is refused); applies the 3.0.41 duplicate rule; reconnects with backoff; admits unknowns.
// Routes (docs/SEAMS.md §4, docs/ENDPOINTS.md §2): a contact is dialled along the Route its owner
// picks, on its identity onion or its endpoint onion; inbound endpoint streams arrive through
// acceptEndpointInbound, already the contact's (the route side: connection-routes.ts). Dialling:
// contact-dials.ts.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { RicochetConnection } from '../protocol/connection.js';
import { BULK_CONNECTION_FEATURE, SOTTO_FEATURES } from '../protocol/connection-types.js';
import type { ConnectionPurpose } from '../protocol/introduction.js';
import { DUPLICATE_WINDOW_MS } from '../protocol/duplicate-rule.js';
import { ReconnectPolicy, type FailureKind } from './backoff.js';
import { PeerLink } from './peer-link.js';
import { InboundSlots, type InboundLoad } from './inbound-slots.js';
import {
  acceptEndpointStream,
  buildConnection,
  isOpen,
  routeOf,
  survivingLink,
} from './connection-routes.js';
import { LinkMoves } from './link-moves.js';
import { ContactDials } from './contact-dials.js';
import { MOVE_AGE_MARGIN_MS, type ConnectionManagerOptions } from './connection-manager-options.js';

export class ConnectionManager {
  readonly #o: ConnectionManagerOptions;
  readonly #now: () => number;
  readonly #policy: ReconnectPolicy;
  readonly #live = new Map<string, PeerLink>();
  readonly #dials: ContactDials;
  readonly #links = new Set<PeerLink>();
  readonly #slots: InboundSlots;
  readonly #handshakes = new Set<AbortController>();
  /** Replaced connections that still carry a file transfer (see `isBusy`). */
  readonly #draining = new Set<PeerLink>();
  readonly #moves: LinkMoves;
  #torUp = false;
  #stopped = false;

  constructor(options: ConnectionManagerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#slots = new InboundSlots(options.inboundLimits);
    this.#policy = new ReconnectPolicy(
      () => randomBytes(4).readUInt32BE() / 2 ** 32,
      options.backoff,
    );
    this.#moves = new LinkMoves(
      {
        ...(options.onMoved ? { onMoved: options.onMoved } : {}),
        ...(options.onDrained ? { onDrained: options.onDrained } : {}),
        onEvent: (peer, link, event) => this.#o.onEvent(peer, link, event),
        gone: (peer, link) => this.#gone(peer, link),
        closed: (link) => this.#forgetLink(link),
      },
      options.drainTimeoutMs,
    );
    this.#dials = new ContactDials({
      options,
      now: this.#now,
      policy: this.#policy,
      moves: this.#moves,
      stopped: () => this.#stopped,
      torUp: () => this.#torUp,
      hasLive: (serviceId) => this.#live.has(serviceId),
      attach: (socket, connection, settled, initialInput, replaces) =>
        this.#attach(socket, connection, settled, initialInput, replaces),
    });
  }

  /** The live connection of a peer, if any. */
  live(serviceId: string): PeerLink | undefined {
    return this.#live.get(serviceId);
  }

  /** A link is on its way to replace the peer's closed live link (the peer is not offline). */
  replacing(serviceId: string): boolean {
    return this.#moves.busy(serviceId);
  }

  /**
   * Moves a peer to a fresh circuit (issue 14): dials it again with a new isolation key while the
   * live link stays live; the new link wins the duplicate rule on both sides and the old one
   * drains (`onMoved`, `onDrained`). A contact live on its endpoint onion moves along its endpoint
   * route (new key, the endpoint handshake again), never back to the identity onion: an identity
   * link loses to an endpoint one, and the identity onion may be dark. False when no move can start
   * now: not live, a dial or a move in progress (the endpoint upgrade included), the endpoint route
   * not the one to dial, or a link the peer dialled still inside the duplicate window when our new
   * link would lose there (3.0.41: the link whose server has the smaller service id wins).
   */
  replace(serviceId: string): boolean {
    const live = this.#live.get(serviceId);
    if (this.#stopped || !this.#torUp || live === undefined || live.closed) return false;
    if (this.#dials.has(serviceId) || this.#moves.busy(serviceId)) return false;
    const endpoint = routeOf(this.#o, serviceId).via === 'endpoint';
    if (live.connection.isEndpointSession && !endpoint) return false;
    const age = this.#now() - (live.authenticatedAt ?? this.#now());
    const young = age <= DUPLICATE_WINDOW_MS + MOVE_AGE_MARGIN_MS;
    const oursWins = serviceId < this.#o.identity.serviceId; // our new link's server is the peer
    if (live.connection.role === 'server' && young && !oursWins) return false;
    this.#moves.renewIsolation(serviceId);
    this.#dials.dial(serviceId, live);
    return true;
  }

  /** Tor is bootstrapped and our onion is up (or not): dialling starts or pauses. */
  setTorUp(up: boolean): void {
    this.#torUp = up;
    if (up) this.#policy.resetAll(this.#now());
    this.#schedule();
  }

  /** Start tracking a peer we should reach (due at once). */
  track(serviceId: string): void {
    this.#policy.track(serviceId, this.#now());
    this.#schedule();
  }

  /** Stop reaching a peer and drop its connections (removed, blocked). */
  forget(serviceId: string): void {
    this.#policy.forget(serviceId);
    this.#dials.get(serviceId)?.abort.abort(new Error('contact forgotten'));
    this.#live.get(serviceId)?.close();
    // Bulk links are contacts-only too: a blocked or removed contact keeps none of them.
    for (const link of this.#links) {
      if (link.connection.purpose === 'bulk' && link.connection.peerServiceId === serviceId) {
        link.close();
      }
    }
    this.#moves.forget(serviceId);
  }

  /** "Retry now" for one peer. */
  retryNow(serviceId: string): void {
    this.#policy.retryNow(serviceId, this.#now());
    this.#schedule();
  }

  /** Tor restarted or the network came back: every peer is due again. */
  resetAll(): void {
    this.#policy.resetAll(this.#now());
    this.#schedule();
  }

  /** Record how an attempt ended (e.g. a likely rejection is retried rarely). */
  noteFailure(serviceId: string, kind: FailureKind): void {
    this.#policy.onFailure(serviceId, this.#now(), kind);
    this.#schedule();
  }

  /** Inbound load as the core counts it. */
  get inboundLoad(): InboundLoad {
    return this.#slots.load;
  }

  /** Keep a stranger's inbound link for its pending request (bounded; see InboundSlots). */
  holdForRequest(link: PeerLink): void {
    this.#slots.holdForRequest(link);
  }

  /** An inbound onion connection (server role). */
  acceptInbound(socket: Duplex): void {
    if (this.#stopped || !this.#slots.makeRoom()) {
      socket.destroy();
      return;
    }
    this.#serve(socket);
  }

  /**
   * Move a live identity connection to the peer's endpoint: dial the endpoint while the live one
   * stays; an endpoint connection beats an identity one in the duplicate rule, so it takes over.
   */
  upgrade(serviceId: string): void {
    const live = this.#live.get(serviceId);
    if (this.#stopped || !this.#torUp || live === undefined || this.#dials.has(serviceId)) return;
    if (live.connection.isEndpointSession) return;
    if (routeOf(this.#o, serviceId).via !== 'endpoint') return;
    this.#dials.dial(serviceId, live, true); // a move (link-moves.ts), to the endpoint route
  }

  /** An inbound stream on the endpoint onion `endpointServiceId` we host for `contact`. */
  acceptEndpointInbound(socket: Duplex, contact: string, endpointServiceId: string): void {
    acceptEndpointStream(socket, contact, endpointServiceId, {
      slots: this.#slots,
      handshakes: this.#handshakes,
      now: this.#now,
      stopped: () => this.#stopped,
      bulk: (this.#o.features ?? SOTTO_FEATURES).includes(BULK_CONNECTION_FEATURE),
      accepted: (remainder, purpose) => {
        if (this.#stopped || !this.#o.isKnownContact(contact)) {
          socket.destroy();
          return;
        }
        this.#serve(socket, contact, remainder, purpose);
      },
    });
  }

  /** Close everything and stop dialling. */
  stop(): void {
    this.#stopped = true;
    for (const abort of this.#handshakes) abort.abort(new Error('shutting down'));
    this.#dials.stop();
    for (const link of [...this.#links]) link.destroy();
  }

  #schedule(): void {
    this.#dials.schedule(); // dialling: contact-dials.ts
  }

  /**
   * A server-side link on `socket`, counted in the inbound slots (`endpointPeer`: an endpoint
   * stream of that contact, of `purpose`; a bulk one goes to `onBulk` once authenticated). If its
   * connection refuses its options (our mistake) the socket is closed and the error reported.
   */
  #serve(
    socket: Duplex,
    endpointPeer?: string,
    remainder?: Uint8Array,
    purpose: ConnectionPurpose = 'control',
  ): void {
    let connection: RicochetConnection;
    try {
      const endpoint = endpointPeer !== undefined;
      const now = this.#now;
      connection = buildConnection(this.#o, 'server', endpointPeer, endpoint, now, purpose);
    } catch (error) {
      socket.destroy();
      this.#o.onError?.(error);
      return;
    }
    this.#slots.add(this.#attach(socket, connection, undefined, remainder));
  }

  // ---- connections ----

  #attach(
    socket: Duplex,
    connection: RicochetConnection,
    onDialSettled: ((authenticated: boolean) => void) | undefined,
    initialInput?: Uint8Array,
    replaces?: () => PeerLink | undefined,
  ): PeerLink {
    let settled = false;
    const settle = (authenticated: boolean): void => {
      if (settled) return;
      settled = true;
      onDialSettled?.(authenticated);
    };
    const link = new PeerLink({
      socket,
      connection,
      ...(initialInput ? { initialInput } : {}),
      now: this.#now,
      onEvent: (l, event) => {
        if (event.type === 'authenticated') {
          // A move's link names the link it replaces before it can win: an endpoint link is
          // authenticated by its first input, inside this constructor (link-moves.ts drains).
          const replaced = replaces?.();
          if (replaced !== undefined) this.#moves.dialled(l, replaced);
          // Live first, then settle the dial: the scheduler must see the live link.
          this.#authenticated(l, event.peerServiceId, event.isKnownContact);
          settle(true);
          return;
        }
        const peer = l.connection.peerServiceId;
        if (peer !== undefined && this.#moves.isDraining(peer, l)) {
          return this.#moves.drainEvent(peer, l, event);
        }
        if (l.connection.purpose === 'bulk' && peer !== undefined) {
          if (event.type === 'closed') this.#forgetLink(l);
          this.#o.onBulkEvent?.(peer, l, event);
          return;
        }
        if (event.type === 'closed') {
          this.#forgetLink(l);
          settle(false);
          if (peer !== undefined && this.#draining.delete(l)) this.#o.onReleased?.(peer, l);
          if (peer !== undefined && this.#live.get(peer) === l) {
            this.#live.delete(peer);
            if (!this.#moves.orphan(peer, l, this.#dials.replacementReaching(peer, l))) {
              this.#gone(peer, l);
            }
          }
          return;
        }
        if (peer !== undefined && this.#live.get(peer) === l) this.#o.onEvent(peer, l, event);
        else if (peer !== undefined && this.#draining.has(l)) {
          this.#o.onEvent(peer, l, event);
          if (!(this.#o.isBusy?.(l) ?? false)) l.close(); // its last transfer ended
        }
      },
    });
    this.#links.add(link);
    return link;
  }

  #authenticated(link: PeerLink, peer: string, known: boolean): void {
    if (link.connection.purpose === 'bulk') {
      if (this.#o.onBulk === undefined) link.close();
      else this.#o.onBulk(peer, link, known);
      return;
    }
    const me = this.#o.identity.serviceId;
    if (link.connection.role === 'server' && !known && !this.#o.admitUnknown(peer)) {
      link.close();
      return;
    }
    if (link.connection.role === 'server') this.#dials.inboundAuthenticated(peer, me);
    const existing = this.#live.get(peer);
    if (existing !== undefined && existing !== link) {
      const survivor = survivingLink(existing, link, me, peer, this.#now());
      if (survivor === 'existing') {
        if (this.#moves.replaces(link, existing)) this.#o.onMoveFailed?.(peer); // the move lost
        link.close();
        return;
      }
      this.#live.delete(peer);
      const toEndpoint = link.connection.isEndpointSession;
      if (isOpen(existing) && toEndpoint && (this.#o.isBusy?.(existing) ?? false)) {
        this.#draining.add(existing); // a move to the endpoint never cuts a transfer
      } else if (this.#moves.takeOver(peer, existing, link)) {
        // a move: the old link drains until the peer closes it (link-moves.ts)
      } else {
        this.#o.onGone(peer, existing, link);
        existing.close();
      }
    }
    this.#live.set(peer, link);
    if (this.#policy.retryAt(peer) !== undefined) this.#policy.onSuccess(peer, this.#now());
    this.#moves.live(peer, link);
    this.#o.onLive(peer, link);
    this.#o.onEvent(peer, link, {
      type: 'authenticated',
      peerServiceId: peer,
      isKnownContact: known,
    });
  }

  /** A link closed: it no longer counts (links, inbound slots). */
  #forgetLink(link: PeerLink): void {
    this.#links.delete(link);
    this.#slots.remove(link);
  }

  /**
   * The live link of `peer` ended for good: reconnect soon, tell the owner. A link left waiting
   * for a dial that failed while another link of the peer took over meanwhile (crossed endpoint
   * dials) is replaced by that one: the peer never went offline.
   */
  #gone(peer: string, link: PeerLink): void {
    const live = this.#live.get(peer);
    if (live !== undefined && live !== link && !live.closed)
      return this.#o.onGone(peer, link, live);
    if (!this.#stopped) {
      // Reconnect soon (unless the owner noted a longer delay before).
      const at = this.#policy.retryAt(peer);
      if (at !== undefined && at <= this.#now()) {
        this.#policy.onFailure(peer, this.#now(), 'network');
      }
    }
    this.#o.onGone(peer, link);
    this.#schedule();
  }
}
