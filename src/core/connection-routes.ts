// The route side of the ConnectionManager (docs/SEAMS.md §4, docs/ENDPOINTS.md §2): which Route a
// dial takes and the stream it opens (the identity onion, or an endpoint onion behind the Gosling
// endpoint handshake, whose channel names the purpose: control or bulk), inbound endpoint streams
// (a contact's from the first byte, inbound-slots.ts), the RicochetConnection each link runs, and which of two links of one peer stays live (an endpoint
// link beats an identity one; between two of a kind the 3.0.41 duplicate rule, docs/PROTOCOL.md).
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { IdentityKey } from '../identity/identity-key.js';
import type { TorProvider } from '../onion/tor-provider.js';
import { RicochetConnection } from '../protocol/connection.js';
import type { LocalIdentity } from '../protocol/connection-types.js';
import { chooseSurvivingConnection } from '../protocol/duplicate-rule.js';
import type { ConnectionPurpose } from '../protocol/introduction.js';
import { SOTTO_INBOUND_LIMITS } from '../protocol/inbound-packets.js';
import { endpointClientStream, endpointServerStream } from './endpoint-connections.js';
import type { InboundSlots } from './inbound-slots.js';
import type { PeerLink } from './peer-link.js';
import { identityRoute, type Route } from './routes.js';

/** What a route needs from the ConnectionManager's options. */
export interface RouteSettings {
  readonly identity: LocalIdentity;
  readonly isKnownContact: (serviceId: string) => boolean;
  readonly features?: readonly string[];
  readonly routeFor?: (serviceId: string) => Route;
  readonly endpointIdentity?: IdentityKey;
}

/** What picking and opening a route needs (the bulk links have no more than this). */
export type RouteDialSettings = Pick<RouteSettings, 'routeFor' | 'endpointIdentity'>;

/** Where to dial `serviceId`: its owner's pick; the identity onion without an endpoint identity. */
export function routeOf(settings: RouteDialSettings, serviceId: string): Route {
  const route = settings.routeFor?.(serviceId) ?? identityRoute(serviceId);
  return route.via === 'endpoint' && settings.endpointIdentity === undefined
    ? identityRoute(serviceId)
    : route;
}

/**
 * Dials `route` through tor with the SOCKS isolation key `isolation` (endpoint dials use a key of
 * their own) and, on an endpoint route, proves our identity to it on the Gosling channel of
 * `purpose`: the socket, and the bytes that followed the handshake (the connection's first input).
 * `reached` is called once tor connected the stream, before that handshake: the peer may take the
 * new link as live from then on.
 */
export async function openRoute(
  tor: TorProvider,
  settings: RouteDialSettings,
  route: Route,
  isolation: string,
  now: () => number,
  signal: AbortSignal,
  reached?: () => void,
  purpose: ConnectionPurpose = 'control',
): Promise<{ readonly socket: Duplex; readonly remainder?: Uint8Array }> {
  const endpoint = route.via === 'endpoint';
  const key = endpoint ? isolation.replace(/^contact:/, 'endpoint:') : isolation;
  const socket = await tor.connect(route.serviceId, route.port, key, signal);
  reached?.();
  if (!endpoint) return { socket };
  const identity = settings.endpointIdentity as IdentityKey; // routeOf: set on endpoint routes
  const opts = { identity, endpointServiceId: route.serviceId, purpose, now, signal };
  return { socket, remainder: await endpointClientStream(socket, opts) };
}

/** A new RicochetConnection (throws if it refuses its options: our mistake). */
export function buildConnection(
  settings: RouteSettings,
  role: 'client' | 'server',
  peer: string | undefined,
  endpoint: boolean,
  now: () => number,
  purpose: ConnectionPurpose = 'control',
): RicochetConnection {
  return new RicochetConnection({
    role,
    ...(purpose === 'bulk' ? { purpose } : {}),
    identity: settings.identity,
    ...(role === 'client' && peer !== undefined ? { peerServiceId: peer } : {}),
    ...(endpoint && peer !== undefined ? { endpointPeer: peer } : {}),
    isKnownContact: (id) => settings.isKnownContact(id),
    now,
    random: (n) => new Uint8Array(randomBytes(n)),
    ...(settings.features ? { features: settings.features } : {}),
    inbound: SOTTO_INBOUND_LIMITS,
    // The core acks a message once it is in its history log, or at once with history off
    // (MessageDelivery.received).
    deferChatAcks: true,
  });
}

/**
 * An inbound stream on the endpoint onion `endpointServiceId` we host for `contact`: it takes a
 * contact's slot at once; after the Gosling endpoint handshake `accepted` gets the bytes that
 * followed and the purpose its channel named (the bulk channel is offered only with `bulk`). A failed proof, a stranger with the key, a timeout: the
 * socket is already closed. `handshakes` holds the abort of each handshake under way.
 */
export function acceptEndpointStream(
  socket: Duplex,
  contact: string,
  endpointServiceId: string,
  context: {
    readonly slots: InboundSlots;
    readonly handshakes: Set<AbortController>;
    readonly now: () => number;
    readonly stopped: () => boolean;
    /** We take bulk connections (BULK_CONNECTION_FEATURE is ours). */
    readonly bulk: boolean;
    readonly accepted: (remainder: Uint8Array, purpose: ConnectionPurpose) => void;
  },
): void {
  const slot = context.stopped() ? undefined : context.slots.admitContact();
  if (slot === undefined) {
    socket.destroy();
    return;
  }
  const abort = new AbortController();
  context.handshakes.add(abort);
  const done = (): void => {
    context.handshakes.delete(abort);
    slot.release();
  };
  const opts = {
    endpointServiceId,
    contact,
    bulk: context.bulk,
    now: context.now,
    signal: abort.signal,
  };
  endpointServerStream(socket, opts).then(({ remainder, purpose }) => {
    done();
    context.accepted(remainder, purpose);
  }, done);
}

/**
 * Which of two links of `peer` stays live once `incoming` authenticated while `existing` was: an
 * endpoint link beats an identity one (both peers see the same pair, so both keep the endpoint
 * one); between two of a kind, the 3.0.41 rule.
 */
export function survivingLink(
  existing: PeerLink,
  incoming: PeerLink,
  me: string,
  peer: string,
  now: number,
): 'existing' | 'incoming' {
  const candidate = (l: PeerLink): Parameters<typeof chooseSurvivingConnection>[0] => ({
    clientServiceId: l.connection.role === 'client' ? me : peer,
    serverServiceId: l.connection.role === 'client' ? peer : me,
    establishedAt: l.authenticatedAt ?? now,
    connected: isOpen(l),
  });
  const endpoint = (l: PeerLink): boolean => l.connection.isEndpointSession;
  if (isOpen(existing) && endpoint(existing) !== endpoint(incoming)) {
    return endpoint(existing) ? 'existing' : 'incoming';
  }
  return chooseSurvivingConnection(candidate(existing), candidate(incoming), me, now);
}

/** Not closed, and its connection open. */
export function isOpen(link: PeerLink): boolean {
  return !link.closed && link.connection.state === 'open';
}
