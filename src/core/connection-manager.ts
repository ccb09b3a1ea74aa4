// One live Ricochet connection per peer (notes "Connection rules"): dials contacts through Tor with
// bounded concurrency, a per-contact isolation key, a timeout and an AbortSignal; takes inbound
// onion connections within the core's inbound slots (inbound-slots.ts: strangers are evicted before
// a contact is refused); applies the 3.0.41 duplicate rule; reconnects with backoff; admits unknowns.
// Routes (docs/SEAMS.md §4, docs/ENDPOINTS.md §2): a contact is dialled along the Route its owner
// picks, on its identity onion or its endpoint onion; inbound endpoint streams arrive through
// acceptEndpointInbound, already the contact's (the route side: connection-routes.ts).
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { RicochetConnection } from '../protocol/connection.js';
import { BULK_CONNECTION_FEATURE, SOTTO_FEATURES } from '../protocol/connection-types.js';
import type { ConnectionPurpose } from '../protocol/introduction.js';
import { DUPLICATE_WINDOW_MS, inboundBeatsPendingOutbound } from '../protocol/duplicate-rule.js';
import { ReconnectPolicy, type FailureKind } from './backoff.js';
import { PeerLink } from './peer-link.js';
import { InboundSlots, type InboundLoad } from './inbound-slots.js';
import {
  acceptEndpointStream,
  buildConnection,
  isOpen,
  openRoute,
  routeOf,
  survivingLink,
} from './connection-routes.js';
import { LinkMoves } from './link-moves.js';
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_MAX_DIALS,
  MOVE_AGE_MARGIN_MS,
  type ConnectionManagerOptions,
} from './connection-manager-options.js';

interface Dial {
  readonly abort: AbortController;
  link?: PeerLink;
  /** A move of a live identity connection to the endpoint (the live one stays meanwhile). */
  readonly upgrade: boolean;
  /**
   * The live link this dial is to replace: a move to a fresh circuit or to the endpoint, or a
   * live link that closed while this dial was already reaching the peer (see `#replacementReaching`).
   */
  replaces?: PeerLink;
  /**
   * Tor connected the stream: the peer sees the new link (an endpoint dial's Gosling handshake
   * runs before `link` exists, and the peer takes the link as live at its end).
   */
  reached?: boolean;
}

export class ConnectionManager {
  readonly #o: ConnectionManagerOptions;
  readonly #now: () => number;
  readonly #policy: ReconnectPolicy;
  readonly #live = new Map<string, PeerLink>();
  readonly #dials = new Map<string, Dial>();
  readonly #links = new Set<PeerLink>();
  readonly #slots: InboundSlots;
  readonly #handshakes = new Set<AbortController>();
  /** Replaced connections that still carry a file transfer (see `isBusy`). */
  readonly #draining = new Set<PeerLink>();
  readonly #moves: LinkMoves;
  #timer: NodeJS.Timeout | undefined;
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
    this.#dial(serviceId, live);
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
    this.#dial(serviceId, live, true); // a move (link-moves.ts), to the endpoint route
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
    if (this.#timer) clearTimeout(this.#timer);
    for (const dial of this.#dials.values()) dial.abort.abort(new Error('shutting down'));
    for (const link of [...this.#links]) link.destroy();
  }

  // ---- dialling ----

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#torUp) return;
    const now = this.#now();
    for (const serviceId of this.#policy.due(now)) {
      if (this.#dials.size >= (this.#o.maxDials ?? DEFAULT_MAX_DIALS)) break;
      if (this.#live.has(serviceId) || this.#dials.has(serviceId)) continue;
      if (!this.#o.wantsConnection(serviceId)) continue;
      this.#dial(serviceId);
    }
    // Wake for the next due peer (or poll while every dial slot is busy).
    const nextDue = this.#policy
      .due(Number.MAX_SAFE_INTEGER)
      .map((id) => this.#policy.retryAt(id) ?? now)
      .filter((at) => at > now);
    const wakeAt = Math.min(now + 5_000, ...nextDue);
    this.#timer = setTimeout(() => this.#schedule(), Math.max(50, wakeAt - now));
    this.#timer.unref();
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

  #dial(serviceId: string, replaces?: PeerLink, upgrade = false): void {
    const abort = new AbortController();
    const dial: Dial = replaces ? { abort, upgrade, replaces } : { abort, upgrade };
    const route = routeOf(this.#o, serviceId);
    const endpoint = route.via === 'endpoint';
    this.#dials.set(serviceId, dial);
    const timeout = setTimeout(
      () => abort.abort(new Error('timed out connecting')),
      this.#o.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
    );
    timeout.unref();
    const fail = (error: unknown, ours = false): void => {
      clearTimeout(timeout);
      if (this.#dials.get(serviceId) === dial) this.#dials.delete(serviceId);
      if (this.#stopped) return;
      // A failed move leaves the live link as it was: no backoff, no "could not reach", and no
      // route verdict (a move off a live endpoint link must not send later dials to the identity
      // onion). The endpoint upgrade's own result still counts (endpoints.ts retries it).
      const moveLeftLive = dial.replaces !== undefined && !dial.replaces.closed;
      if (!moveLeftLive || upgrade) {
        this.#o.onRouteResult?.(serviceId, route, { ok: false, upgrade, error });
      }
      if (moveLeftLive) {
        this.#o.onMoveFailed?.(serviceId);
        return this.#schedule();
      }
      this.#moves.orphanGone(serviceId);
      this.#policy.onFailure(serviceId, this.#now(), 'network');
      if (ours) this.#o.onError?.(error);
      else this.#o.onDialFailed?.(serviceId, error);
      this.#schedule();
    };
    abort.signal.addEventListener('abort', () => dial.link?.destroy(), { once: true });
    // A move renews the key (a fresh circuit); endpoint dials use a key of their own.
    const isolation = this.#moves.isolationKey(serviceId);
    const connected = ({ socket, remainder }: { socket: Duplex; remainder?: Uint8Array }) => {
      if (abort.signal.aborted || this.#stopped) {
        socket.destroy();
        fail(abort.signal.reason);
        return;
      }
      let connection: RicochetConnection;
      try {
        connection = buildConnection(this.#o, 'client', serviceId, endpoint, this.#now);
      } catch (error) {
        socket.destroy();
        fail(error, true); // not the network: never reported as "could not reach"
        return;
      }
      const settled = (authenticated: boolean): void => {
        clearTimeout(timeout);
        if (this.#dials.get(serviceId) === dial) this.#dials.delete(serviceId);
        if (!authenticated) fail(new Error('the connection closed before authentication'));
        else {
          this.#o.onRouteResult?.(serviceId, route, { ok: true, upgrade });
          this.#schedule();
        }
      };
      dial.link = this.#attach(socket, connection, settled, remainder, () => dial.replaces);
    };
    const reached = (): void => {
      dial.reached = true;
    };
    openRoute(this.#o.tor, this.#o, route, isolation, this.#now, abort.signal, reached)
      .then(connected)
      .catch((error: unknown) => fail(error));
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
            if (!this.#moves.orphan(peer, l, this.#replacementReaching(peer, l))) {
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
    if (link.connection.role === 'server') {
      const dial = this.#dials.get(peer);
      if (dial !== undefined) {
        // An endpoint dial authenticates from the moment tor reached the peer (its Gosling
        // handshake runs before `link` exists): crossed endpoint dials keep exactly one.
        const authenticating = dial.link !== undefined || dial.reached === true;
        if (inboundBeatsPendingOutbound(me, peer, authenticating)) {
          this.#dials.delete(peer);
          dial.abort.abort(new Error('an inbound connection from the peer won'));
        }
      }
    }
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

  /**
   * The live link `closed` of `peer` closed: true when a dial of ours already reaches the peer
   * and may take its place, so the contact waits for it instead of going offline. A move's dial
   * counts from the moment tor connected it: the peer takes an endpoint link as live as soon as
   * the Gosling handshake is done at its end, and closes the old link, while our end of that
   * handshake is still under way. A plain dial that was racing the closed link (both peers dialled
   * each other; the peer kept ours by the duplicate rule and closed its own), or a move's dial
   * whose old link another link had already replaced (both peers moved to their endpoints at
   * once), takes the place of the closed link the same way (it becomes its replacement).
   */
  #replacementReaching(peer: string, closed: PeerLink): boolean {
    const dial = this.#dials.get(peer);
    if (dial === undefined || dial.reached !== true || this.#stopped) return false;
    if (dial.replaces !== closed) {
      dial.replaces = closed;
      if (dial.link !== undefined) this.#moves.dialled(dial.link, closed);
    }
    return true;
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
