// The options of the ConnectionManager (connection-manager.ts): the owner's hooks (contacts,
// strangers, live links, moves, bulk links, routes, busy links) and its limits.
import type { ConnectionEvent, LocalIdentity } from '../protocol/connection-types.js';
import type { TorProvider } from '../onion/tor-provider.js';
import type { IdentityKey } from '../identity/identity-key.js';
import type { BackoffOptions } from './backoff.js';
import type { InboundLimits } from './inbound-slots.js';
import type { PeerLink } from './peer-link.js';
import type { Route } from './routes.js';

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
  /** A dial that was to replace a live link failed; that link stays live (a move that failed). */
  readonly onMoveFailed?: (serviceId: string) => void;
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
  /** Where to dial a peer (default: its identity onion); endpoint routes need `endpointIdentity`. */
  readonly routeFor?: (serviceId: string) => Route;
  /** Our identity key, for the Gosling endpoint handshake's proof. */
  readonly endpointIdentity?: IdentityKey;
  /** How a dial along a route ended: authenticated, or not (`upgrade`: a move, see upgrade()). */
  readonly onRouteResult?: (
    serviceId: string,
    route: Route,
    result: { readonly ok: boolean; readonly upgrade: boolean; readonly error?: unknown },
  ) => void;
  /**
   * A file transfer runs on `link`. A live connection replaced by an endpoint one while busy is
   * kept open, no longer live, until its transfers end (its events still reach onEvent), then
   * closed; `onReleased` is told when it is gone.
   */
  readonly isBusy?: (link: PeerLink) => boolean;
  readonly onReleased?: (serviceId: string, link: PeerLink) => void;
  readonly maxDials?: number;
  readonly dialTimeoutMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly inboundLimits?: Partial<InboundLimits>;
  readonly drainTimeoutMs?: number;
  readonly now?: () => number;
}
