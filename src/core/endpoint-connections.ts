// Both ends of an endpoint stream before the Ricochet packet layer starts (docs/ENDPOINTS.md §2):
// the dialler runs the Gosling endpoint client handshake on channel ENDPOINT_CHANNEL, naming the
// endpoint onion it dialled; the host runs the server side for the one contact the onion serves.
// What follows on the stream is a RicochetConnection built with `endpointPeer` (authenticated
// from the start, no introduction): the bytes that followed the handshake are its first input.
import { EndpointClientHandshake } from '../gosling/endpoint-client.js';
import { EndpointServerHandshake } from '../gosling/endpoint-server.js';
import type { IdentityKey } from '../identity/identity-key.js';
import type { Duplex } from 'node:stream';
import { runEndpointHandshake } from './endpoint-stream.js';

/** The one Gosling endpoint channel a Sotto endpoint offers: the Ricochet v3 packet layer. */
export const ENDPOINT_CHANNEL = 'im.sotto.ricochet';
/** From the socket's start until the endpoint handshake is done (Gosling's own default is 60 s). */
export const ENDPOINT_HANDSHAKE_TIMEOUT_MS = 60_000;

/** Dialler: proves `identity` to the endpoint `endpointServiceId`; resolves with the remainder. */
export async function endpointClientStream(
  socket: Duplex,
  options: {
    readonly identity: IdentityKey;
    readonly endpointServiceId: string;
    readonly now: () => number;
    readonly signal?: AbortSignal;
  },
): Promise<Uint8Array> {
  const session = new EndpointClientHandshake({
    identity: options.identity,
    endpointServiceId: options.endpointServiceId,
    channel: ENDPOINT_CHANNEL,
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

/** Host: the client must prove it is `contact`, the one client this endpoint serves. */
export async function endpointServerStream(
  socket: Duplex,
  options: {
    readonly endpointServiceId: string;
    readonly contact: string;
    readonly now: () => number;
    readonly signal?: AbortSignal;
  },
): Promise<Uint8Array> {
  const session = new EndpointServerHandshake({
    endpointServiceId: options.endpointServiceId,
    clientServiceId: options.contact,
    channels: [ENDPOINT_CHANNEL],
    now: options.now(),
    timeoutMs: ENDPOINT_HANDSHAKE_TIMEOUT_MS,
  });
  const { remainder } = await runEndpointHandshake(socket, session, {
    now: options.now,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return remainder;
}
