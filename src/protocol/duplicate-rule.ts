// Which of two authenticated connections between the same two peers survives, as Ricochet Refresh
// 3.0.41 decides it (libtego core/ContactUser.cpp, assignConnection). Pure; both peers reach the
// same answer. Note: the connection whose *server* has the smaller service id wins (the notes say
// "client"; the code and the session-reconnect-known recording say server).

/** Replace a recent connection only when it is at most this old (ms since authentication). */
export const DUPLICATE_WINDOW_MS = 30_000;

export interface ConnectionCandidate {
  /** Service id (56 chars, no ".onion") of the side that dialled. */
  readonly clientServiceId: string;
  /** Service id of the side that accepted. */
  readonly serverServiceId: string;
  /** When it authenticated (ms, same clock as `now`). */
  readonly establishedAt: number;
  /** False once it has closed; a dead connection always gives way. */
  readonly connected: boolean;
}

export type Survivor = 'existing' | 'incoming';

/**
 * 1. a dead existing connection is replaced; 2. same direction (same client): the new one wins;
 * 3. existing older than 30 s: the new one wins; 4. otherwise the connection whose server has the
 * smaller service id (plain code-unit compare, as QString::compare) wins.
 * `ourServiceId`, when given, must be one end of both connections (RangeError otherwise).
 */
export function chooseSurvivingConnection(
  existing: ConnectionCandidate,
  incoming: ConnectionCandidate,
  ourServiceId: string | undefined,
  now: number,
): Survivor {
  const pair = (c: ConnectionCandidate): string =>
    [c.clientServiceId, c.serverServiceId].sort().join(' ');
  if (pair(existing) !== pair(incoming) || existing.clientServiceId === existing.serverServiceId) {
    throw new RangeError('both connections must join the same two distinct peers');
  }
  if (
    ourServiceId !== undefined &&
    existing.clientServiceId !== ourServiceId &&
    existing.serverServiceId !== ourServiceId
  ) {
    throw new RangeError('we are not an end of these connections');
  }
  if (!existing.connected) return 'incoming';
  if (existing.clientServiceId === incoming.clientServiceId) return 'incoming';
  if (now - existing.establishedAt > DUPLICATE_WINDOW_MS) return 'incoming';
  return incoming.serverServiceId < existing.serverServiceId ? 'incoming' : 'existing';
}

/**
 * An inbound connection from a peer we are still dialling: the inbound one wins unless our
 * outbound attempt is already authenticating and would win the comparison above (its server,
 * the peer, has the smaller id). True: abort the outbound attempt and keep the inbound one.
 */
export function inboundBeatsPendingOutbound(
  ourServiceId: string,
  peerServiceId: string,
  outboundAuthenticating: boolean,
): boolean {
  const outboundWouldWin = peerServiceId < ourServiceId;
  return !outboundAuthenticating || !outboundWouldWin;
}
