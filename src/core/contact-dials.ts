// Dialling contacts for the ConnectionManager (notes "Connection rules"; docs/SEAMS.md §4): at
// most `maxDials` at once, peers dialled when the reconnect policy says they are due (backoff.ts),
// each dial along the contact's Route with its isolation key (a move's is fresh: link-moves.ts), a
// timeout and an AbortSignal. A failed move leaves the live link as it was; a failed dial counts
// for the backoff. The manager attaches the connected socket as a link (connection-manager.ts).
// The dial's side of replacement and duplicates: an inbound link that wins over our dial aborts
// it; a dial already reaching the peer takes the place of a live link that closed meanwhile.
import type { Duplex } from 'node:stream';
import type { RicochetConnection } from '../protocol/connection.js';
import type { ReconnectPolicy } from './backoff.js';
import { inboundBeatsPendingOutbound } from '../protocol/duplicate-rule.js';
import type { PeerLink } from './peer-link.js';
import { buildConnection, openRoute, routeOf } from './connection-routes.js';
import type { LinkMoves } from './link-moves.js';
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_MAX_DIALS,
  type ConnectionManagerOptions,
} from './connection-manager-options.js';

export interface Dial {
  readonly abort: AbortController;
  link?: PeerLink;
  /** A move of a live identity connection to the endpoint (the live one stays meanwhile). */
  readonly upgrade: boolean;
  /**
   * The live link this dial is to replace: a move to a fresh circuit or to the endpoint, or a
   * live link that closed while this dial was already reaching the peer (`replacementReaching`).
   */
  replaces?: PeerLink;
  /**
   * Tor connected the stream: the peer sees the new link (an endpoint dial's Gosling handshake
   * runs before `link` exists, and the peer takes the link as live at its end).
   */
  reached?: boolean;
}

/** What dialling needs from the ConnectionManager. */
export interface DialsHost {
  readonly options: ConnectionManagerOptions;
  readonly now: () => number;
  readonly policy: ReconnectPolicy;
  readonly moves: LinkMoves;
  stopped(): boolean;
  torUp(): boolean;
  hasLive(serviceId: string): boolean;
  /** The connected socket as a link; `settled` once it authenticated or closed before that. */
  attach(
    socket: Duplex,
    connection: RicochetConnection,
    settled: (authenticated: boolean) => void,
    initialInput: Uint8Array | undefined,
    replaces: () => PeerLink | undefined,
  ): PeerLink;
}

/** The dials under way, one per peer at most. */
export class ContactDials {
  readonly #h: DialsHost;
  readonly #dials = new Map<string, Dial>();
  #timer: NodeJS.Timeout | undefined;

  constructor(host: DialsHost) {
    this.#h = host;
  }

  /** The dial of `serviceId` under way, if any. */
  get(serviceId: string): Dial | undefined {
    return this.#dials.get(serviceId);
  }

  has(serviceId: string): boolean {
    return this.#dials.has(serviceId);
  }

  /**
   * `peer` authenticated an inbound link to us while our dial to it is under way: the dial is
   * aborted when the inbound link wins (3.0.41 duplicate rule, duplicate-rule.ts). An endpoint
   * dial authenticates from the moment tor reached the peer (its Gosling handshake runs before
   * `link` exists): crossed endpoint dials keep exactly one.
   */
  inboundAuthenticated(peer: string, me: string): void {
    const dial = this.#dials.get(peer);
    if (dial !== undefined) {
      const authenticating = dial.link !== undefined || dial.reached === true;
      if (inboundBeatsPendingOutbound(me, peer, authenticating)) {
        this.#dials.delete(peer);
        dial.abort.abort(new Error('an inbound connection from the peer won'));
      }
    }
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
  replacementReaching(peer: string, closed: PeerLink): boolean {
    const dial = this.#dials.get(peer);
    if (dial === undefined || dial.reached !== true || this.#h.stopped()) return false;
    if (dial.replaces !== closed) {
      dial.replaces = closed;
      if (dial.link !== undefined) this.#h.moves.dialled(dial.link, closed);
    }
    return true;
  }

  /** Shutdown: no more wake-ups, every dial aborted. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const dial of this.#dials.values()) dial.abort.abort(new Error('shutting down'));
  }

  /** Dials every peer that is due, within the dial slots, and wakes for the next due one. */
  schedule(): void {
    if (this.#h.stopped()) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#h.torUp()) return;
    const now = this.#h.now();
    for (const serviceId of this.#h.policy.due(now)) {
      if (this.#dials.size >= (this.#h.options.maxDials ?? DEFAULT_MAX_DIALS)) break;
      if (this.#h.hasLive(serviceId) || this.#dials.has(serviceId)) continue;
      if (!this.#h.options.wantsConnection(serviceId)) continue;
      this.dial(serviceId);
    }
    // Wake for the next due peer (or poll while every dial slot is busy).
    const nextDue = this.#h.policy
      .due(Number.MAX_SAFE_INTEGER)
      .map((id) => this.#h.policy.retryAt(id) ?? now)
      .filter((at) => at > now);
    const wakeAt = Math.min(now + 5_000, ...nextDue);
    this.#timer = setTimeout(() => this.schedule(), Math.max(50, wakeAt - now));
    this.#timer.unref();
  }

  /**
   * Dials `serviceId` along its route (`replaces`: the live link a move is to replace; `upgrade`:
   * a move to the endpoint route); the link is attached once tor connected it.
   */
  dial(serviceId: string, replaces?: PeerLink, upgrade = false): void {
    const abort = new AbortController();
    const dial: Dial = replaces ? { abort, upgrade, replaces } : { abort, upgrade };
    const route = routeOf(this.#h.options, serviceId);
    const endpoint = route.via === 'endpoint';
    this.#dials.set(serviceId, dial);
    const timeout = setTimeout(
      () => abort.abort(new Error('timed out connecting')),
      this.#h.options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
    );
    timeout.unref();
    const fail = (error: unknown, ours = false): void => {
      clearTimeout(timeout);
      if (this.#dials.get(serviceId) === dial) this.#dials.delete(serviceId);
      if (this.#h.stopped()) return;
      // A failed move leaves the live link as it was: no backoff, no "could not reach", and no
      // route verdict (a move off a live endpoint link must not send later dials to the identity
      // onion). The endpoint upgrade's own result still counts (endpoints.ts retries it).
      const moveLeftLive = dial.replaces !== undefined && !dial.replaces.closed;
      if (!moveLeftLive || upgrade) {
        this.#h.options.onRouteResult?.(serviceId, route, { ok: false, upgrade, error });
      }
      if (moveLeftLive) {
        this.#h.options.onMoveFailed?.(serviceId);
        return this.schedule();
      }
      this.#h.moves.orphanGone(serviceId);
      this.#h.policy.onFailure(serviceId, this.#h.now(), 'network');
      if (ours) this.#h.options.onError?.(error);
      else this.#h.options.onDialFailed?.(serviceId, error);
      this.schedule();
    };
    abort.signal.addEventListener('abort', () => dial.link?.destroy(), { once: true });
    // A move renews the key (a fresh circuit); endpoint dials use a key of their own.
    const isolation = this.#h.moves.isolationKey(serviceId);
    const connected = ({ socket, remainder }: { socket: Duplex; remainder?: Uint8Array }) => {
      if (abort.signal.aborted || this.#h.stopped()) {
        socket.destroy();
        fail(abort.signal.reason);
        return;
      }
      let connection: RicochetConnection;
      try {
        connection = buildConnection(this.#h.options, 'client', serviceId, endpoint, this.#h.now);
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
          this.#h.options.onRouteResult?.(serviceId, route, { ok: true, upgrade });
          this.schedule();
        }
      };
      dial.link = this.#h.attach(socket, connection, settled, remainder, () => dial.replaces);
    };
    const reached = (): void => {
      dial.reached = true;
    };
    openRoute(
      this.#h.options.tor,
      this.#h.options,
      route,
      isolation,
      this.#h.now,
      abort.signal,
      reached,
    )
      .then(connected)
      .catch((error: unknown) => fail(error));
  }
}
