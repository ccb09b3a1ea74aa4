// Channel 0 and the channel table of a Ricochet v3 connection (doc/protocol-v3.md, checked against
// 3.0.41 ControlChannel.cpp/Connection.cpp): OpenChannel/ChannelResult, KeepAlive, EnableFeatures,
// channel ids (client odd, server even, up by 2, never reused) and empty-packet channel closes.
import { AuthenticationFailedError } from './connection-types.js';
import { ProtocolViolationError } from './errors.js';
import type { Packet } from './packet-codec.js';
import {
  ChannelType,
  COOKIE_SIZE,
  decodeControlPacket,
  encodeControlPacket,
  type CommonError,
  type ControlMessage,
} from './messages.js';
import { isValidNickname, isValidRequestText } from './limits.js';
import type { ChannelHandler, ChannelHost, OpenChannelMessage } from './channels/channel.js';
import { AuthServerChannel } from './channels/auth-hidden-service.js';
import { ContactRequestServerChannel } from './channels/contact-request.js';
import { ChatReceiveChannel } from './channels/chat.js';
import { FileReceiveChannel } from './channels/file-receive.js';
import { EndpointNegotiationChannel } from './channels/endpoint-negotiation.js';

/** Channels the peer may hold open at once (3.0.41 never needs more than 4). */
export const MAX_PEER_CHANNELS = 16;
const MAX_CHANNEL_ID = 0xffff;

export interface ChannelTableContext {
  readonly maxIncomingFileSize: number;
  /** The peer's chat messages wait for ChatReceiveChannel.acknowledge (saved) for their ack. */
  readonly deferChatAcks: boolean;
  readonly features: readonly string[];
  isAuthenticated(): boolean;
  isKnownContact(): boolean;
  /** Server role: a Proof verified. Returns whether the peer is a known contact. */
  onPeerVerified(serviceId: string): boolean;
  onContactRequest(nickname: string, message: string): void;
  onFeatures(peerFeatures: readonly string[]): void;
  enableFeaturesSent(): boolean;
  onKeepAliveResponse(): void;
  /** Both peers negotiated ENDPOINTS_FEATURE (the negotiation channel may open). */
  endpointsNegotiated(): boolean;
  /** A Sotto bulk connection: file transfer only (no chat, no contact request). */
  isBulk(): boolean;
}

type OpenExtras = Pick<OpenChannelMessage, 'clientCookie' | 'contactRequest'>;

export class ChannelTable {
  readonly #channels = new Map<number, ChannelHandler>();
  readonly #pendingOpen = new Set<number>();
  /** Ids we closed and whose echo has not arrived: late packets on them are dropped. */
  readonly #closing = new Set<number>();
  readonly #afterPacket: (() => void)[] = [];
  #nextOutboundId: number;
  #highestPeerId = 0;
  #authSeen = false;
  #featuresAnswered = false;
  hasContactRequest = false;
  peerClosedConnection = false;
  /** The peer's contact request was invalid and answered `Error`: the connection should end. */
  invalidContactRequest = false;
  incomingContactRequest: ContactRequestServerChannel | undefined;
  incomingFiles: FileReceiveChannel | undefined;
  #incomingChat: ChatReceiveChannel | undefined;

  constructor(
    private readonly host: ChannelHost,
    private readonly context: ChannelTableContext,
  ) {
    this.#nextOutboundId = host.role === 'client' ? 1 : 2;
  }

  /** Runs `action` once the packet being handled is fully handled. */
  afterPacket(action: () => void): void {
    this.#afterPacket.push(action);
  }

  /** The peer's chat channel, while it is open. */
  get incomingChat(): ChatReceiveChannel | undefined {
    return this.#incomingChat;
  }

  /** True for the peer's chat channel (its messages to us), the one the inbound budget counts. */
  isIncomingChat(id: number): boolean {
    return this.#incomingChat?.id === id;
  }

  handlePacket(packet: Packet): void {
    this.#dispatch(packet);
    for (const action of this.#afterPacket.splice(0)) action();
  }

  /** Allocates the next id of our parity, sends OpenChannel, and tracks the pending channel. */
  openOutbound<T extends ChannelHandler>(make: (id: number) => T, extras: OpenExtras = {}): T {
    const id = this.#nextOutboundId;
    if (id > MAX_CHANNEL_ID) {
      throw new ProtocolViolationError('channel identifiers of this connection are used up');
    }
    this.#nextOutboundId += 2;
    const handler = make(id);
    this.#channels.set(id, handler);
    this.#pendingOpen.add(id);
    if (handler.type === ChannelType.ContactRequest) this.hasContactRequest = true;
    const open: ControlMessage = {
      kind: 'open-channel',
      channelIdentifier: id,
      channelType: handler.type,
      ...extras,
    };
    this.host.send(0, encodeControlPacket(open));
    return handler;
  }

  /** Our or the peer's negotiation channel `id`, if open. */
  endpointChannel(id: number): EndpointNegotiationChannel | undefined {
    const handler = this.#channels.get(id);
    return handler instanceof EndpointNegotiationChannel ? handler : undefined;
  }

  /** Sends the empty packet that closes `id` and forgets the channel. */
  closeLocally(id: number): void {
    const handler = this.#channels.get(id);
    if (!handler) return;
    this.#forget(id);
    this.#closing.add(id);
    this.host.send(id, new Uint8Array(0));
    handler.closed('local');
  }

  /** The connection ends: every channel is told, nothing is sent. */
  closeAll(): void {
    for (const [id, handler] of [...this.#channels]) {
      this.#forget(id);
      handler.closed('connection');
    }
  }

  #forget(id: number): void {
    const handler = this.#channels.get(id);
    this.#channels.delete(id);
    this.#pendingOpen.delete(id);
    if (handler === this.incomingContactRequest) this.incomingContactRequest = undefined;
    if (handler === this.incomingFiles) this.incomingFiles = undefined;
    if (handler === this.#incomingChat) this.#incomingChat = undefined;
  }

  #dispatch({ channel, data }: Packet): void {
    if (channel === 0) {
      if (data.length === 0) this.peerClosedConnection = true;
      else this.#control(decodeControlPacket(data));
      return;
    }
    if (this.#closing.has(channel)) {
      if (data.length === 0) this.#closing.delete(channel);
      return;
    }
    const handler = this.#channels.get(channel);
    if (!handler) {
      // 3.0.41: a packet for a channel that does not exist is answered by closing it.
      if (data.length > 0) this.host.send(channel, new Uint8Array(0));
      return;
    }
    if (data.length === 0) {
      const wasPending = this.#pendingOpen.has(channel);
      this.#forget(channel);
      this.host.send(channel, new Uint8Array(0)); // echo, as 3.0.41 does
      handler.closed(wasPending ? 'refused' : 'peer');
      return;
    }
    if (this.#pendingOpen.has(channel)) {
      throw new ProtocolViolationError(`data on channel ${channel} before its ChannelResult`);
    }
    handler.receive(data);
  }

  #control(message: ControlMessage): void {
    switch (message.kind) {
      case 'open-channel':
        this.#inboundOpen(message);
        return;
      case 'channel-result': {
        const id = message.channelIdentifier;
        const handler = this.#channels.get(id);
        if (!handler || !this.#pendingOpen.has(id)) return; // 3.0.41 ignores these
        if (message.opened) {
          this.#pendingOpen.delete(id);
          handler.opened?.(message);
          return;
        }
        this.#forget(id);
        handler.refused?.(message);
        handler.closed('refused');
        if (handler.type === ChannelType.Auth) {
          throw new AuthenticationFailedError('the server refused our auth channel');
        }
        return;
      }
      case 'keep-alive':
        if (message.responseRequested) {
          this.host.send(0, encodeControlPacket({ kind: 'keep-alive', responseRequested: false }));
        } else {
          this.context.onKeepAliveResponse();
        }
        return;
      case 'enable-features': {
        const supported = message.features.filter((f) => this.context.features.includes(f));
        this.host.send(0, encodeControlPacket({ kind: 'features-enabled', features: supported }));
        this.context.onFeatures(supported);
        return;
      }
      case 'features-enabled':
        if (!this.context.enableFeaturesSent() || this.#featuresAnswered) {
          throw new ProtocolViolationError('FeaturesEnabled that answers nothing we sent');
        }
        this.#featuresAnswered = true;
        this.context.onFeatures(message.features);
        return;
    }
  }

  #inboundOpen(message: OpenChannelMessage): void {
    const id = message.channelIdentifier;
    const peerIsClient = this.host.role === 'server';
    // 3.0.41 kills the connection for an id of the wrong parity or one in use. We also refuse
    // ids that do not increase: deployed peers count up by 2 and never reuse an id.
    if (id < 1 || id > MAX_CHANNEL_ID || (id % 2 === 1) !== peerIsClient) {
      throw new ProtocolViolationError(`peer opened channel ${id} of the wrong parity`);
    }
    if (id <= this.#highestPeerId || this.#channels.has(id) || this.#closing.has(id)) {
      throw new ProtocolViolationError(`peer reused or went back to channel id ${id}`);
    }
    this.#highestPeerId = id;
    const refuse = (commonError: CommonError) =>
      this.host.send(
        0,
        encodeControlPacket({
          kind: 'channel-result',
          channelIdentifier: id,
          opened: false,
          commonError,
        }),
      );
    const inbound = [...this.#channels.values()].filter((c) => c.direction === 'inbound');
    if (inbound.length >= MAX_PEER_CHANNELS) return refuse('failed');
    const authenticated = this.context.isAuthenticated();
    switch (message.channelType) {
      case ChannelType.Auth: {
        const cookie = message.clientCookie;
        if (!peerIsClient || this.#authSeen || authenticated || cookie?.length !== COOKIE_SIZE) {
          return refuse('bad-usage');
        }
        this.#authSeen = true;
        // Copy: decoded bytes may be views into the caller's input buffer.
        const channel = new AuthServerChannel(id, this.host, cookie.slice(), {
          onVerified: (serviceId) => this.context.onPeerVerified(serviceId),
        });
        this.#accept(id, channel, { serverCookie: channel.serverCookie });
        return;
      }
      case ChannelType.ContactRequest:
        return this.#inboundContactRequest(message, refuse);
      case ChannelType.EndpointNegotiation: {
        const known = authenticated && this.context.isKnownContact();
        if (!known || !this.context.endpointsNegotiated()) return refuse('unauthorized');
        const busy = inbound.some((c) => c.type === ChannelType.EndpointNegotiation);
        if (busy) return refuse('bad-usage');
        this.#accept(id, new EndpointNegotiationChannel(id, 'inbound', this.host));
        return;
      }
      case ChannelType.Chat:
      case ChannelType.FileTransfer: {
        if (!authenticated || !this.context.isKnownContact()) return refuse('unauthorized');
        const chat = message.channelType === ChannelType.Chat;
        if (chat && this.context.isBulk()) return refuse('bad-usage');
        if (chat ? this.#incomingChat : this.incomingFiles) return refuse('bad-usage');
        if (chat) {
          this.#incomingChat = new ChatReceiveChannel(id, this.host, this.context.deferChatAcks);
          this.#accept(id, this.#incomingChat);
        } else {
          this.incomingFiles = new FileReceiveChannel(
            id,
            this.host,
            this.context.maxIncomingFileSize,
          );
          this.#accept(id, this.incomingFiles);
        }
        return;
      }
      default:
        return refuse('unknown-type');
    }
  }

  #inboundContactRequest(message: OpenChannelMessage, refuse: (e: CommonError) => void): void {
    const id = message.channelIdentifier;
    if (this.context.isBulk()) return refuse('bad-usage');
    if (this.context.isKnownContact()) {
      // 3.0.41: already a contact → refuse the channel but answer Accepted.
      this.host.send(
        0,
        encodeControlPacket({
          kind: 'channel-result',
          channelIdentifier: id,
          opened: false,
          contactResponse: 'accepted',
        }),
      );
      return;
    }
    if (this.host.role !== 'server' || this.hasContactRequest) return refuse('bad-usage');
    if (!this.context.isAuthenticated()) return refuse('unauthorized');
    const request = message.contactRequest;
    if (!request) return refuse('bad-usage');
    this.hasContactRequest = true;
    const channel = new ContactRequestServerChannel(id, this.host);
    const valid = isValidNickname(request.nickname) && isValidRequestText(request.messageText);
    this.#accept(id, channel, { contactResponse: valid ? 'pending' : 'error' });
    if (!valid) {
      this.closeLocally(id); // a final answer closes the channel at once
      this.invalidContactRequest = true;
      return;
    }
    this.incomingContactRequest = channel;
    this.context.onContactRequest(request.nickname, request.messageText);
  }

  #accept(
    id: number,
    handler: ChannelHandler,
    extras: { serverCookie?: Uint8Array; contactResponse?: 'pending' | 'error' } = {},
  ): void {
    this.#channels.set(id, handler);
    this.host.send(
      0,
      encodeControlPacket({
        kind: 'channel-result',
        channelIdentifier: id,
        opened: true,
        ...extras,
      }),
    );
  }
}
