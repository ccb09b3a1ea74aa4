// One live Ricochet connection per peer (notes "Connection rules"): dials contacts through Tor with
// bounded concurrency, a per-contact isolation key, a timeout and an AbortSignal; takes inbound
// onion connections within the core's inbound slots (inbound-slots.ts: strangers are evicted before
// a contact is refused); applies the 3.0.41 duplicate rule; reconnects with backoff; admits unknowns.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { RicochetConnection } from '../protocol/connection.js';
import type { ConnectionEvent, LocalIdentity } from '../protocol/connection-types.js';
import {
  DUPLICATE_WINDOW_MS,
  chooseSurvivingConnection,
  inboundBeatsPendingOutbound,
} from '../protocol/duplicate-rule.js';
import type { TorProvider } from '../onion/tor-provider.js';
import { ReconnectPolicy, type BackoffOptions, type FailureKind } from './backoff.js';
import { PeerLink } from './peer-link.js';
import { InboundSlots, type InboundLimits, type InboundLoad } from './inbound-slots.js';
import { RICOCHET_PORT } from '../identity/service-id.js';
import { LinkMoves } from './link-moves.js';

export const DEFAULT_MAX_DIALS = 4;
/** From starting a dial until the peer authenticated (SOCKS, rendezvous, introduction, auth). */
export const DEFAULT_DIAL_TIMEOUT_MS = 120_000;
/**
 * A move (`replace`) leaves a link the peer dialled only once it is this much older than the
 * duplicate window, so both peers keep the new connection (docs/PROTOCOL.md, duplicate rule).
 */
export const MOVE_AGE_MARGIN_MS = 10_000;

export interface ConnectionManagerOptions {
  readonly tor: TorProvider;
  readonly identity: LocalIdentity;
  /** Peers (service ids) we dial: contacts and open outgoing requests that are not blocked. */
  readonly wantsConnection: (serviceId: string) => boolean;
  /** Server role: whether an authenticated peer counts as a known contact. */
  readonly isKnownContact: (serviceId: string) => boolean;
  /** An unknown peer authenticated to us: may it stay (block list, rate limits)? */
  readonly admitUnknown: (serviceId: string) => boolean;
  /** Events of the live connection of `serviceId` (and of unknown inbound peers). */
  readonly onEvent: (serviceId: string, link: PeerLink, event: ConnectionEvent) => void;
  /** A connection became the live one for `serviceId` (authenticated, survived the duplicate rule). */
  readonly onLive: (serviceId: string, link: PeerLink) => void;
  /**
   * The live connection of `serviceId` ended; `replacedBy`: a newer connection of the same peer
   * took its place (the duplicate rule), so the peer did not go offline.
   */
  readonly onGone: (serviceId: string, link: PeerLink, replacedBy?: PeerLink) => void;
  /**
   * A move (`replace`) succeeded: `next` is live, `previous` drains (its chat acks and messages
   * still come through `onEvent`) until `onDrained`. No `onGone`: the peer never went offline.
   */
  readonly onMoved?: (serviceId: string, previous: PeerLink, next: PeerLink) => void;
  /** The link a move left has closed: what it left unacked may go on the live link now. */
  readonly onDrained?: (serviceId: string, previous: PeerLink) => void;
  /**
   * An inbound Sotto bulk connection authenticated (docs/PROTOCOL.md "Bulk connections"): it is
   * handed over here and never becomes live; without this hook it is closed.
   */
  readonly onBulk?: (serviceId: string, link: PeerLink, known: boolean) => void;
  /** Every later event of such a link, `closed` included. */
  readonly onBulkEvent?: (serviceId: string, link: PeerLink, event: ConnectionEvent) => void;
  /** A dial failed before authentication (network). */
  readonly onDialFailed?: (serviceId: string, error: unknown) => void;
  /**
   * Our own mistake, not the network's: a connection could not even be set up (e.g. the
   * RicochetConnection refused its options). The socket is closed; the owner reports it.
   */
  readonly onError?: (error: unknown) => void;
  readonly features?: readonly string[];
  readonly maxDials?: number;
  readonly dialTimeoutMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly inboundLimits?: Partial<InboundLimits>;
  readonly drainTimeoutMs?: number;
  readonly now?: () => number;
}

interface Dial {
  readonly abort: AbortController;
  link?: PeerLink;
  /** The live link this dial is to replace (a move to a fresh circuit). */
  readonly replaces?: PeerLink;
}

export class ConnectionManager {
  readonly #o: ConnectionManagerOptions;
  readonly #now: () => number;
  readonly #policy: ReconnectPolicy;
  readonly #live = new Map<string, PeerLink>();
  readonly #dials = new Map<string, Dial>();
  readonly #links = new Set<PeerLink>();
  readonly #slots: InboundSlots;
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
        closed: (link) => {
          this.#links.delete(link);
          this.#slots.remove(link);
        },
      },
      options.drainTimeoutMs,
    );
  }

  /** The live connection of a peer, if any. */
  live(serviceId: string): PeerLink | undefined {
    return this.#live.get(serviceId);
  }

  /**
   * Moves a peer to a fresh circuit (issue 14): dials it again with a new isolation key while the
   * live link stays live; the new link wins the duplicate rule on both sides and the old one
   * drains (`onMoved`, `onDrained`). False when no move can start now: not live, a dial or a move
   * in progress, or a link the peer dialled still inside the duplicate window (it could win).
   */
  replace(serviceId: string): boolean {
    const live = this.#live.get(serviceId);
    if (this.#stopped || !this.#torUp || live === undefined || live.closed) return false;
    if (this.#dials.has(serviceId) || this.#moves.busy(serviceId)) return false;
    const age = this.#now() - (live.authenticatedAt ?? this.#now());
    if (live.connection.role === 'server' && age <= DUPLICATE_WINDOW_MS + MOVE_AGE_MARGIN_MS) {
      return false;
    }
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
    let connection: RicochetConnection;
    try {
      connection = new RicochetConnection({
        role: 'server',
        identity: this.#o.identity,
        isKnownContact: (id) => this.#o.isKnownContact(id),
        now: this.#now,
        random: (n) => new Uint8Array(randomBytes(n)),
        ...(this.#o.features ? { features: this.#o.features } : {}),
      });
    } catch (error) {
      socket.destroy();
      this.#o.onError?.(error);
      return;
    }
    this.#slots.add(this.#attach(socket, connection, undefined));
  }

  /** Close everything and stop dialling. */
  stop(): void {
    this.#stopped = true;
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

  #dial(serviceId: string, replaces?: PeerLink): void {
    const abort = new AbortController();
    const dial: Dial = replaces ? { abort, replaces } : { abort };
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
      // A failed move leaves the live link as it was: no backoff, no "could not reach".
      if (replaces !== undefined && !replaces.closed) return this.#schedule();
      this.#moves.orphanGone(serviceId);
      this.#policy.onFailure(serviceId, this.#now(), 'network');
      if (ours) this.#o.onError?.(error);
      else this.#o.onDialFailed?.(serviceId, error);
      this.#schedule();
    };
    abort.signal.addEventListener('abort', () => dial.link?.destroy(), { once: true });
    const isolationKey = this.#moves.isolationKey(serviceId);
    this.#o.tor.connect(serviceId, RICOCHET_PORT, isolationKey, abort.signal).then(
      (socket) => {
        if (abort.signal.aborted || this.#stopped) {
          socket.destroy();
          fail(abort.signal.reason);
          return;
        }
        let connection: RicochetConnection;
        try {
          connection = new RicochetConnection({
            role: 'client',
            identity: this.#o.identity,
            peerServiceId: serviceId,
            now: this.#now,
            random: (n) => new Uint8Array(randomBytes(n)),
            ...(this.#o.features ? { features: this.#o.features } : {}),
          });
        } catch (error) {
          socket.destroy();
          fail(error, true); // not the network: never reported as "could not reach"
          return;
        }
        dial.link = this.#attach(socket, connection, (authenticated) => {
          clearTimeout(timeout);
          if (this.#dials.get(serviceId) === dial) this.#dials.delete(serviceId);
          if (!authenticated) fail(new Error('the connection closed before authentication'));
          else this.#schedule();
        });
        if (replaces !== undefined) this.#moves.dialled(dial.link, replaces);
      },
      (error: unknown) => fail(error),
    );
  }

  // ---- connections ----

  #attach(
    socket: Duplex,
    connection: RicochetConnection,
    onDialSettled: ((authenticated: boolean) => void) | undefined,
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
      now: this.#now,
      onEvent: (l, event) => {
        if (event.type === 'authenticated') {
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
          if (event.type === 'closed') {
            this.#links.delete(l);
            this.#slots.remove(l);
          }
          this.#o.onBulkEvent?.(peer, l, event);
          return;
        }
        if (event.type === 'closed') {
          this.#links.delete(l);
          this.#slots.remove(l);
          settle(false);
          if (peer !== undefined && this.#live.get(peer) === l) {
            this.#live.delete(peer);
            // Closed while its replacement is connecting: wait for that one, not offline.
            const dial = this.#dials.get(peer);
            const connecting = dial?.replaces === l && dial.link !== undefined && !this.#stopped;
            if (!this.#moves.orphan(peer, l, connecting)) this.#gone(peer, l);
          }
          return;
        }
        if (peer !== undefined && this.#live.get(peer) === l) this.#o.onEvent(peer, l, event);
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
        const authenticating = dial.link !== undefined;
        if (inboundBeatsPendingOutbound(me, peer, authenticating)) {
          this.#dials.delete(peer);
          dial.abort.abort(new Error('an inbound connection from the peer won'));
        }
      }
    }
    const existing = this.#live.get(peer);
    if (existing !== undefined && existing !== link) {
      const candidate = (l: PeerLink): Parameters<typeof chooseSurvivingConnection>[0] => ({
        clientServiceId: l.connection.role === 'client' ? me : peer,
        serverServiceId: l.connection.role === 'client' ? peer : me,
        establishedAt: l.authenticatedAt ?? this.#now(),
        connected: !l.closed && l.connection.state === 'open',
      });
      const survivor = chooseSurvivingConnection(
        candidate(existing),
        candidate(link),
        me,
        this.#now(),
      );
      if (survivor === 'existing') {
        link.close();
        return;
      }
      this.#live.delete(peer);
      if (!this.#moves.takeOver(peer, existing, link)) {
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

  /** The live link of `peer` ended for good: reconnect soon, tell the owner. */
  #gone(peer: string, link: PeerLink): void {
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
