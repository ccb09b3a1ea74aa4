// `im.sotto.endpoint.identity`: a Sotto-only channel on an authenticated known-contact Ricochet
// connection whose peers both negotiated the `im.sotto.endpoints` feature (docs/ENDPOINTS.md §2,
// docs/PROTOCOL.md "Sotto extensions"). It carries one Gosling v0.1.0 identity handshake: the
// opener is the Gosling identity client, the other side the identity server. Each packet's data
// is a piece of the Honk-RPC byte stream (the handshake in src/gosling/ frames and checks it);
// this layer only bounds it: at most MAX_NEGOTIATION_PACKET bytes a packet and
// MAX_NEGOTIATION_BYTES in all, checked before anything is kept. The channel is closed by the
// side that finishes first (the server after its last reply, the client on completion).
import { LimitExceededError } from '../errors.js';
import { ChannelType } from '../messages.js';
import type { ChannelHandler, ChannelHost } from './channel.js';

/** One Honk-RPC message at most (Gosling's 4096-byte limit): one message a packet. */
export const MAX_NEGOTIATION_PACKET = 4096;
/** A whole identity handshake is 2 messages each way; anything past this is not a handshake. */
export const MAX_NEGOTIATION_BYTES = 4 * MAX_NEGOTIATION_PACKET;

export class EndpointNegotiationChannel implements ChannelHandler {
  readonly type = ChannelType.EndpointNegotiation;
  #received = 0;
  #open: boolean;
  #gone = false;
  readonly #queued: Uint8Array[] = [];

  constructor(
    readonly id: number,
    readonly direction: 'inbound' | 'outbound',
    private readonly host: ChannelHost,
  ) {
    this.#open = direction === 'inbound';
    if (this.#open) this.host.emit({ type: 'endpoint-channel-opened', channelId: id, direction });
  }

  get isGone(): boolean {
    return this.#gone;
  }

  /** Queues bytes of the handshake stream (sent once the peer accepted our open). */
  send(data: Uint8Array): void {
    if (this.#gone) return;
    if (data.length === 0 || data.length > MAX_NEGOTIATION_PACKET) {
      throw new RangeError(`negotiation packets carry 1..${MAX_NEGOTIATION_PACKET} bytes`);
    }
    if (this.#open) this.host.send(this.id, data);
    else this.#queued.push(data);
  }

  close(): void {
    if (!this.#gone) this.host.closeChannel(this.id);
  }

  opened(): void {
    this.#open = true;
    for (const data of this.#queued.splice(0)) this.host.send(this.id, data);
    this.host.emit({ type: 'endpoint-channel-opened', channelId: this.id, direction: 'outbound' });
  }

  receive(data: Uint8Array): void {
    if (data.length > MAX_NEGOTIATION_PACKET) {
      throw new LimitExceededError(`a negotiation packet of ${data.length} bytes`);
    }
    this.#received += data.length;
    if (this.#received > MAX_NEGOTIATION_BYTES) {
      throw new LimitExceededError('more negotiation bytes than a handshake needs');
    }
    // A copy: decoded packets may be views into the caller's input buffer.
    this.host.emit({ type: 'endpoint-channel-data', channelId: this.id, data: data.slice() });
  }

  closed(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#queued.length = 0;
    this.host.emit({ type: 'endpoint-channel-closed', channelId: this.id });
  }
}
