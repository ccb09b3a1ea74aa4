// Both ends of an endpoint stream before the Ricochet packet layer starts (docs/ENDPOINTS.md §2):
// the dialler runs the Gosling endpoint client handshake on a channel (ENDPOINT_CHANNEL for the
// control connection, ENDPOINT_BULK_CHANNEL for a bulk connection), naming the endpoint onion it
// dialled; the host runs the server side for the one contact the onion serves, offering the
// channels it takes. What follows on the stream is a RicochetConnection built with `endpointPeer`
// (authenticated from the start, no introduction) and the channel's purpose: the bytes that
// followed the handshake are its first input.
import { EndpointClientHandshake } from '../gosling/endpoint-client.js';
import { EndpointServerHandshake } from '../gosling/endpoint-server.js';
import type { IdentityKey } from '../identity/identity-key.js';
import type { Duplex } from 'node:stream';
import type { ConnectionPurpose } from '../protocol/introduction.js';
import { runEndpointHandshake } from './endpoint-stream.js';

/** The Gosling endpoint channel of the control connection: the Ricochet v3 packet layer. */
export const ENDPOINT_CHANNEL = 'im.sotto.ricochet';
/**
 * The Gosling endpoint channel of a bulk connection (docs/PROTOCOL.md "Bulk connections"): the
 * same packet layer, for one windowed file; the endpoint stream's stand-in for the `B0` marker.
 */
export const ENDPOINT_BULK_CHANNEL = 'im.sotto.ricochet.bulk';

/** The Gosling endpoint channel that carries a connection of `purpose`. */
export function endpointChannelFor(purpose: ConnectionPurpose): string {
  return purpose === 'bulk' ? ENDPOINT_BULK_CHANNEL : ENDPOINT_CHANNEL;
}
/** From the socket's start until the endpoint handshake is done (Gosling's own default is 60 s). */
export const ENDPOINT_HANDSHAKE_TIMEOUT_MS = 60_000;

/** Dialler: proves `identity` to the endpoint `endpointServiceId`; resolves with the remainder. */
export async function endpointClientStream(
  socket: Duplex,
  options: {
    readonly identity: IdentityKey;
    readonly endpointServiceId: string;
    /** The connection's purpose (default 'control'): names the Gosling channel asked for. */
    readonly purpose?: ConnectionPurpose;
    readonly now: () => number;
    readonly signal?: AbortSignal;
  },
): Promise<Uint8Array> {
  const session = new EndpointClientHandshake({
    identity: options.identity,
    endpointServiceId: options.endpointServiceId,
    channel: endpointChannelFor(options.purpose ?? 'control'),
    now: options.now(),
    timeoutMs: ENDPOINT_HANDSHAKE_TIMEOUT_MS,
  });
  const { remainder } = await runEndpointHandshake(socket, session, {
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
    start: () => session.start(),
  });
  return remainder;
}

/**
 * Host: the client must prove it is `contact`, the one client this endpoint serves, and ask for
 * the control channel or (with `bulk`) the bulk one; any other is refused (UnknownChannelError).
 * Resolves with the remainder and the purpose its channel names.
 */
export async function endpointServerStream(
  socket: Duplex,
  options: {
    readonly endpointServiceId: string;
    readonly contact: string;
    /** Offer ENDPOINT_BULK_CHANNEL too (we negotiate bulk connections). */
    readonly bulk: boolean;
    readonly now: () => number;
    readonly signal?: AbortSignal;
  },
): Promise<{ readonly remainder: Uint8Array; readonly purpose: ConnectionPurpose }> {
  const session = new EndpointServerHandshake({
    endpointServiceId: options.endpointServiceId,
    clientServiceId: options.contact,
    channels: options.bulk ? [ENDPOINT_CHANNEL, ENDPOINT_BULK_CHANNEL] : [ENDPOINT_CHANNEL],
    now: options.now(),
    timeoutMs: ENDPOINT_HANDSHAKE_TIMEOUT_MS,
  });
  const { result, remainder } = await runEndpointHandshake(socket, session, {
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { remainder, purpose: result.channel === ENDPOINT_BULK_CHANNEL ? 'bulk' : 'control' };
}
