// The core of the sans-IO Ricochet v3 connection (doc/protocol-v3.md, as Ricochet Refresh 3.0.41
// runs it): the introduction, authentication (or an endpoint stream's start), channel 0 and the
// channel table, deadlines and keepalives, our own chat and file channels, and closing. The
// commands a caller gives on an open connection (contact request, chat, files, the endpoint
// negotiation channel) are in connection.ts, which also says how a socket adapter drives it.
// Who the peer is (authentication, an endpoint stream's start): connection-auth.ts.
import {
  ConnectionStateError,
  FORCED_CLOSE_TIMEOUT_MS,
  InternalConnectionError,
  SOTTO_FEATURES,
  UNKNOWN_PURPOSE_TIMEOUT_MS,
  WINDOWED_FILE_FEATURE,
  ENDPOINTS_FEATURE,
  BULK_CONNECTION_FEATURE,
  type CloseReason,
  type ConnectionEvent,
  type ConnectionOptions,
  type Role,
} from './connection-types.js';
import { InvalidContactRequestError, ProtocolError, UnsupportedVersionError } from './errors.js';
import { PacketDecoder, encodePacket } from './packet-codec.js';
import { encodeControlPacket } from './messages.js';
import {
  IntroductionParser,
  introductionFor,
  parseIntroductionReply,
  type ConnectionPurpose,
} from './introduction.js';
import { ChannelTable } from './channel-table.js';
import type { ChannelHost } from './channels/channel.js';
import type { ContactRequestClientChannel } from './channels/contact-request.js';
import { ChatSendChannel } from './channels/chat.js';
import { FileSendChannel } from './channels/file-send.js';
import { FeatureNegotiation } from './feature-negotiation.js';
import { KeepAliveClock } from './keep-alive.js';
import { OutputFrames } from './output-frames.js';
import { InboundPackets, UNLIMITED_INBOUND } from './inbound-packets.js';
import { checkPeerOptions, PeerAuthentication } from './connection-auth.js';

export { MAX_PROBES_IN_FLIGHT } from './keep-alive.js';
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_INCOMING_FILE_SIZE = Number.MAX_SAFE_INTEGER;

type State = 'introduction' | 'open' | 'closing' | 'closed';

export class ConnectionCore {
  readonly role: Role;
  readonly features: readonly string[];
  #state: State = 'introduction';
  #purpose: ConnectionPurpose;
  readonly #options: ConnectionOptions;
  readonly #intro = new IntroductionParser();
  readonly #decoder = new PacketDecoder();
  readonly #inbox: InboundPackets;
  protected readonly table: ChannelTable;
  readonly #output = new OutputFrames();
  readonly #events: ConnectionEvent[] = [];
  readonly #afterInput: (() => void)[] = [];
  readonly #createdAt: number;
  readonly #keepAlive: KeepAliveClock;
  readonly #features: FeatureNegotiation;
  #closingSince = 0;
  #closeReason: CloseReason = 'local-close';
  readonly #auth: PeerAuthentication;
  protected contactRequest: ContactRequestClientChannel | undefined;
  protected chat: ChatSendChannel | undefined;
  protected files: FileSendChannel | undefined;
  protected readonly host: ChannelHost;

  constructor(options: ConnectionOptions) {
    checkPeerOptions(options);
    const endpointPeer = options.endpointPeer;
    this.role = options.role;
    this.#options = options;
    this.features = options.features ?? SOTTO_FEATURES;
    this.#features = new FeatureNegotiation(this.features);
    // A server learns the purpose from the introduction; an endpoint stream has none, its
    // Gosling channel named the purpose before the first Ricochet byte.
    const purposeGiven = options.role === 'client' || endpointPeer !== undefined;
    this.#purpose = purposeGiven ? (options.purpose ?? 'control') : 'control';
    this.#createdAt = options.now();
    this.#inbox = new InboundPackets(options.inbound ?? UNLIMITED_INBOUND, this.#createdAt);
    this.#keepAlive = new KeepAliveClock(this.#createdAt);
    this.host = {
      role: this.role,
      localServiceId: options.identity.serviceId,
      send: (id, data) => this.#write(id, data),
      sendBulk: (id, data) => this.#output.pushChunk(encodePacket({ channel: id, data })),
      closeChannel: (id) => this.table.closeLocally(id),
      emit: (event) => this.#events.push(event),
      random: (n) => options.random(n),
      now: () => options.now(),
    };
    this.#auth = new PeerAuthentication({
      role: this.role,
      options,
      host: this.host,
      table: () => this.table,
      purpose: () => this.#purpose,
      emit: (event) => this.#events.push(event),
      afterInput: (action) => this.#afterInput.push(action),
      open: () => (this.#state = 'open'),
      sendEnableFeatures: () => this.#sendEnableFeatures(),
      openOwnChannels: () => this.#openOwnChannels(),
    });
    this.table = new ChannelTable(this.host, {
      maxIncomingFileSize: options.maxIncomingFileSize ?? DEFAULT_MAX_INCOMING_FILE_SIZE,
      deferChatAcks: options.deferChatAcks ?? false,
      isAuthenticated: () => this.#auth.authenticated,
      isKnownContact: () => this.#auth.knownContact,
      onPeerVerified: (serviceId) => this.#auth.serverVerified(serviceId),
      onContactRequest: (nickname, message) => {
        this.#events.push({ type: 'contact-request-received', nickname, message });
      },
      features: this.features,
      onFeatures: (features) => this.#featuresNegotiated(features),
      enableFeaturesSent: () => this.#features.sent,
      onKeepAliveResponse: () => {
        const ms = this.#keepAlive.answered(options.now());
        if (ms !== undefined) this.#events.push({ type: 'round-trip', ms });
      },
      endpointsNegotiated: () => this.endpointsNegotiated,
      isBulk: () => this.#purpose === 'bulk',
    });
    if (endpointPeer !== undefined) this.#auth.startEndpointSession(endpointPeer);
    else if (this.role === 'client') this.#output.push(introductionFor(this.#purpose));
  }

  get isAuthenticated(): boolean {
    return this.#auth.authenticated;
  }
  /** The peer's service id once authenticated (client role: the one we dialled). */
  get peerServiceId(): string | undefined {
    return this.#auth.authenticated ? this.#auth.peerServiceId : undefined;
  }
  get isKnownContact(): boolean {
    return this.#auth.knownContact;
  }
  get state(): 'introduction' | 'open' | 'closing' | 'closed' {
    return this.#state;
  }
  /** 'bulk': a Sotto bulk connection (one file transfer; no chat, never the control link). */
  get purpose(): ConnectionPurpose {
    return this.#purpose;
  }
  /** True when both peers negotiated bulk connections (docs/PROTOCOL.md "Bulk connections"). */
  get bulkConnections(): boolean {
    return this.#features.has(BULK_CONNECTION_FEATURE);
  }
  /** True when both peers negotiated several file chunks in flight. */
  get windowedFileTransfer(): boolean {
    return this.#features.has(WINDOWED_FILE_FEATURE);
  }
  /** True when both peers negotiated endpoint onions (the negotiation channel may open). */
  get endpointsNegotiated(): boolean {
    return this.#features.has(ENDPOINTS_FEATURE);
  }
  /** True for a connection on an endpoint stream (started after the Gosling handshake). */
  get isEndpointSession(): boolean {
    return this.#options.endpointPeer !== undefined;
  }
  get hasPendingOutput(): boolean {
    return this.#output.hasPending;
  }
  /**
   * Bytes of chat and control frames (replies, acks) not yet taken by the transport; file chunks
   * are not counted. A peer that sends requests but never reads our replies makes this grow: the
   * adapter stops reading from it beyond a bound.
   */
  get pendingPriorityBytes(): number {
    return this.#output.priorityBytes;
  }

  // ---- inputs ----

  receive(bytes: Uint8Array): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#guard(() => {
      this.#keepAlive.heard(this.#options.now());
      let rest = bytes;
      if (this.#state === 'introduction') {
        if (bytes.length === 0) return;
        if (this.role === 'client') {
          rest = parseIntroductionReply(bytes).rest;
        } else {
          const step = this.#intro.push(bytes);
          if (!step.done) return;
          this.#output.push(step.reply);
          this.#purpose = step.purpose;
          if (step.version === null) {
            throw new UnsupportedVersionError('the client offers no version we speak');
          }
          rest = step.rest;
        }
        this.#state = 'open';
        if (this.role === 'client') this.#auth.openClientAuth();
      }
      this.#inbox.push(this.#decoder.push(rest));
      this.#handleSlice();
    });
    this.#guard(() => {
      for (const action of this.#afterInput.splice(0)) action();
    });
  }

  /**
   * Packets received but not handled yet (a slice was full, or the peer's chat budget is spent):
   * the adapter stops reading the peer and calls continueInput() later (inbound-packets.ts).
   */
  get hasPendingInput(): boolean {
    return this.#state === 'open' && this.#inbox.pending > 0;
  }

  /** While the peer's chat budget is spent: when it has a token again (ms); else undefined. */
  get inputBlockedUntil(): number | undefined {
    return this.hasPendingInput ? this.#inbox.blockedUntil : undefined;
  }

  /** Handles the next slice of packets already received (see hasPendingInput). */
  continueInput(): void {
    if (this.#state !== 'open') return;
    this.#guard(() => this.#handleSlice());
    this.#guard(() => {
      for (const action of this.#afterInput.splice(0)) action();
    });
  }

  #handleSlice(): void {
    const isChat = (channel: number): boolean => this.table.isIncomingChat(channel);
    for (const packet of this.#inbox.slice(this.#options.now(), isChat)) {
      if (this.#state !== 'open') break;
      this.table.handlePacket(packet);
      if (this.table.peerClosedConnection) this.#startClosing('peer-closed');
      if (this.table.invalidContactRequest) {
        // Response{Error} is queued; it goes out before the transport ends (no stranger lingers).
        this.#startClosing(new InvalidContactRequestError('invalid nickname or request text'));
      }
    }
    if (this.#state !== 'open') this.#inbox.clear();
  }

  tick(nowMs: number): void {
    this.#guard(() => {
      if (this.#state === 'closed') return;
      if (this.#state === 'closing') {
        if (nowMs - this.#closingSince >= FORCED_CLOSE_TIMEOUT_MS) this.#finish(true);
        return;
      }
      if (!this.#isUseful() && nowMs - this.#createdAt >= UNKNOWN_PURPOSE_TIMEOUT_MS) {
        this.#startClosing('timeout');
        return;
      }
      this.files?.tick(nowMs);
      this.table.incomingFiles?.tick(nowMs);
      const interval = this.#options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
      if (!this.#auth.authenticated || interval <= 0) return;
      const due = this.#keepAlive.due(nowMs, interval);
      if (due === 'timeout') this.#startClosing('timeout');
      else if (due === 'send') this.#sendKeepAlive(nowMs);
    });
  }

  /** The transport ended (peer FIN/RST, or our own end finished). */
  transportClosed(): void {
    if (this.#state === 'closed') return;
    if (this.#state !== 'closing') this.#startClosing('peer-closed');
    this.#finish(false);
  }

  takeOutput(): Uint8Array[] {
    return this.#output.take();
  }

  takeEvents(): ConnectionEvent[] {
    return this.#events.splice(0);
  }

  // ---- commands ----

  close(): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#startClosing('local-close');
  }

  /**
   * Times one round trip: a KeepAlive asking for a response (3.0.41 answers it), answered by a
   * `round-trip` event. False (nothing sent) before authentication or with too many in flight.
   */
  probeRoundTrip(): boolean {
    this.requireOpen();
    if (!this.#auth.authenticated || !this.#keepAlive.canProbe) return false;
    this.#sendKeepAlive(this.#options.now());
    return true;
  }

  openChat(): void {
    this.requireKnown();
    if (this.#purpose === 'bulk') throw new ConnectionStateError('no chat on a bulk connection');
    this.chat ??= this.table.openOutbound((id) => new ChatSendChannel(id, this.host));
  }

  openFileChannel(): void {
    this.requireKnown();
    this.files ??= this.table.openOutbound((id) => new FileSendChannel(id, this.host, this));
  }

  // ---- internals ----

  protected requireOpen(): void {
    if (this.#state !== 'open') throw new ConnectionStateError(`connection is ${this.#state}`);
  }

  protected requireKnown(): void {
    this.requireOpen();
    if (!this.#auth.knownContact) {
      throw new ConnectionStateError('the peer is not a known contact');
    }
  }

  #write(channel: number, data: Uint8Array): void {
    this.#output.push(encodePacket({ channel, data }));
  }

  #sendKeepAlive(nowMs: number): void {
    this.#keepAlive.sent(nowMs);
    this.#write(0, encodeControlPacket({ kind: 'keep-alive', responseRequested: true }));
  }

  protected becomeKnownContact(): void {
    this.#auth.becomeKnown();
    this.#openOwnChannels();
  }

  #openOwnChannels(): void {
    if (this.#state !== 'open' || this.#options.autoOpenChannels === false) return;
    if (this.#purpose === 'bulk') return; // the sender opens its file channel when it offers
    this.openChat();
    this.openFileChannel();
  }

  #sendEnableFeatures(): void {
    const packet = this.#features.enableFeatures();
    if (packet !== undefined) this.#write(0, packet);
  }

  #featuresNegotiated(peerFeatures: readonly string[]): void {
    this.#events.push({
      type: 'features-enabled',
      features: this.#features.peerEnabled(peerFeatures),
    });
  }

  #isUseful(): boolean {
    return this.#auth.authenticated && (this.#auth.knownContact || this.table.hasContactRequest);
  }

  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      const reason =
        error instanceof ProtocolError
          ? error
          : new InternalConnectionError('unexpected failure while handling input', {
              cause: error,
            });
      if (this.#state === 'open' && !(reason instanceof UnsupportedVersionError)) {
        this.#write(0, new Uint8Array(0)); // close channel 0: the connection ends (3.0.41)
      }
      this.#startClosing(reason);
    }
  }

  #startClosing(reason: CloseReason): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const requestPending = this.contactRequest?.status === 'pending';
    this.#state = 'closing';
    this.#closeReason = reason;
    this.#closingSince = this.#options.now();
    this.#output.dropChunks();
    this.#afterInput.length = 0;
    if (reason === 'peer-closed' && requestPending) {
      this.#events.push({ type: 'contact-request-closed-while-pending' });
    }
    this.table.closeAll();
    this.#events.push({ type: 'closing', reason });
  }

  #finish(forced: boolean): void {
    this.#state = 'closed';
    this.#output.clear();
    this.#events.push({ type: 'closed', reason: this.#closeReason, forced });
  }
}
