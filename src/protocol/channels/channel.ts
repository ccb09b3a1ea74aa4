// What a channel handler sees of its connection (ChannelHost) and what the connection sees of a
// channel (ChannelHandler). One handler per open channel id; see src/protocol/connection.ts.
import type { ConnectionEvent, Role } from '../connection-types.js';
import type { ControlMessage, KnownChannelType } from '../messages-control.js';

export type ChannelResultMessage = Extract<ControlMessage, { kind: 'channel-result' }>;
export type OpenChannelMessage = Extract<ControlMessage, { kind: 'open-channel' }>;

export interface ChannelHost {
  readonly role: Role;
  readonly localServiceId: string;
  /** Queue a packet with normal priority (control, auth, chat, file control messages). */
  send(channelId: number, data: Uint8Array): void;
  /** Queue a bulk packet (file chunk data): released at most one per takeOutput() call. */
  sendBulk(channelId: number, data: Uint8Array): void;
  /** Send an empty packet on `channelId` and forget the channel. */
  closeChannel(channelId: number): void;
  emit(event: ConnectionEvent): void;
  random(n: number): Uint8Array;
  /** The connection's clock (ConnectionOptions.now), for idle deadlines. */
  now(): number;
}

export type ChannelCloseCause = 'peer' | 'local' | 'refused' | 'connection';

export interface ChannelHandler {
  readonly type: KnownChannelType;
  readonly direction: 'inbound' | 'outbound';
  readonly id: number;
  /** A non-empty packet for this open channel. Throws a ProtocolError to end the connection. */
  receive(data: Uint8Array): void;
  /** Outbound only: the peer's ChannelResult said opened. */
  opened?(result: ChannelResultMessage): void;
  /** Outbound only: the peer's ChannelResult refused the channel (it is already forgotten). */
  refused?(result: ChannelResultMessage): void;
  /** The channel is gone: closed by the peer or us, refused, or the connection ended. */
  closed(cause: ChannelCloseCause): void;
}

/** Reads a random unsigned 32-bit integer (big endian) from `host.random`. */
export function randomUint32(host: Pick<ChannelHost, 'random'>): number {
  const bytes = host.random(4);
  if (bytes.length !== 4) throw new RangeError('random(4) returned the wrong length');
  return (
    (((bytes[0] as number) << 24) |
      ((bytes[1] as number) << 16) |
      ((bytes[2] as number) << 8) |
      (bytes[3] as number)) >>>
    0
  );
}
