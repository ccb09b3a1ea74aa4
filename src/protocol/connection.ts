// Sans-IO Ricochet v3 connection (doc/protocol-v3.md, as Ricochet Refresh 3.0.41 runs it): the
// commands of the channel types (contact request, chat, files, Sotto's endpoint negotiation) over
// the core in connection-core.ts (introduction, authentication with connection-auth.ts, channel 0
// and the channel table, deadlines, closing). No sockets and no timers: bytes and time go in,
// bytes and events come out.
//
// How a socket adapter drives it:
//   - on socket data:   conn.receive(chunk)
//   - on a timer (e.g. every second): conn.tick(Date.now())
//   - on socket end/close: conn.transportClosed()
//   - with `inbound` limits, while conn.hasPendingInput: stop reading the socket and call
//     conn.continueInput() on a later turn (at conn.inputBlockedUntil if set; inbound-packets.ts)
//   - after each of those calls and after each command: write every frame of conn.takeOutput()
//     (repeat while it returns frames and the socket accepts more; again on 'drain'), then handle
//     conn.takeEvents(). File chunks are released one per takeOutput() call, after all chat and
//     control frames, so chat interleaves with transfers.
//   - on a `closing` event: flush the output, then socket.end(); on `closed`: socket.destroy().
// receive(), tick() and transportClosed() never throw; a bad peer ends the connection with a typed
// ProtocolError in the `closing`/`closed` events. Commands throw ConnectionStateError/RangeError
// for caller mistakes only.
import { ConnectionCore } from './connection-core.js';
import { ConnectionStateError } from './connection-types.js';
import { isValidNickname, isValidRequestText } from './limits.js';
import { ContactRequestClientChannel } from './channels/contact-request.js';
import type { ChatSendChannel, ChatSendOptions } from './channels/chat.js';
import type { FileSendChannel, FileOffer } from './channels/file-send.js';
import { EndpointNegotiationChannel } from './channels/endpoint-negotiation.js';

export {
  DEFAULT_KEEPALIVE_INTERVAL_MS,
  DEFAULT_MAX_INCOMING_FILE_SIZE,
  MAX_PROBES_IN_FLIGHT,
} from './connection-core.js';

export class RicochetConnection extends ConnectionCore {
  sendContactRequest(nickname: string, message: string): void {
    this.requireOpen();
    if (this.role !== 'client' || !this.isAuthenticated) {
      throw new ConnectionStateError('contact requests go from an authenticated client');
    }
    if (this.isKnownContact || this.contactRequest) {
      throw new ConnectionStateError('a contact request was already made or is not needed');
    }
    if (!isValidNickname(nickname) || !isValidRequestText(message)) {
      throw new RangeError('invalid nickname or request message');
    }
    this.contactRequest = this.table.openOutbound(
      (id) =>
        new ContactRequestClientChannel(id, this.host, {
          onAccepted: () => this.becomeKnownContact(),
        }),
      { contactRequest: { nickname, messageText: message } },
    );
  }

  respondToContactRequest(status: 'accepted' | 'rejected' | 'error'): void {
    this.requireOpen();
    const request = this.table.incomingContactRequest;
    if (!request || !request.respond(status)) {
      throw new ConnectionStateError('no contact request awaits an answer');
    }
    if (status === 'accepted') this.becomeKnownContact();
  }

  /** Queues a chat message (sent once our chat channel is open) and returns its message_id. */
  sendChatMessage(text: string, options?: ChatSendOptions): number {
    this.openChat();
    return (this.chat as ChatSendChannel).send(text, options);
  }

  /**
   * The peer's message `id`, whose ack was deferred (`deferChatAcks`), is saved: acknowledge it
   * (each arrival once). False when nothing waits: the connection or its chat channel ended.
   */
  acknowledgeChat(id: number): boolean {
    if (this.state !== 'open') return false;
    return this.table.incomingChat?.acknowledge(id) ?? false;
  }

  offerFile(offer: FileOffer, fileId?: number): number {
    this.openFileChannel();
    return (this.files as FileSendChannel).offer(offer, fileId);
  }

  /** Bytes for a file-chunk-needed event; ignored if the transfer or connection ended since. */
  sendFileChunk(fileId: number, offset: number, data: Uint8Array): void {
    if (this.state !== 'open') return;
    if (!this.files) throw new ConnectionStateError('no file is being sent');
    this.files.provideChunk(fileId, offset, data);
  }

  /** Opens our negotiation channel (we are the Gosling identity client); returns its id. */
  openEndpointChannel(): number {
    this.requireKnown();
    if (!this.endpointsNegotiated) throw new ConnectionStateError('endpoints not negotiated');
    const make = (id: number) => new EndpointNegotiationChannel(id, 'outbound', this.host);
    return this.table.openOutbound(make).id;
  }

  /** Bytes of the handshake stream on negotiation channel `id` (ours or the peer's). */
  sendEndpointData(channelId: number, data: Uint8Array): void {
    this.requireOpen();
    const channel = this.table.endpointChannel(channelId);
    if (!channel) throw new ConnectionStateError(`no negotiation channel ${channelId}`);
    channel.send(data);
  }

  closeEndpointChannel(channelId: number): void {
    if (this.state !== 'open') return;
    this.table.endpointChannel(channelId)?.close();
  }

  acceptFile(fileId: number): void {
    this.requireOpen();
    this.#incomingFiles().accept(fileId);
  }

  rejectFile(fileId: number): void {
    this.requireOpen();
    this.#incomingFiles().reject(fileId);
  }

  cancelFile(fileId: number, direction: 'in' | 'out'): void {
    this.requireOpen();
    const done =
      direction === 'out' ? this.files?.cancel(fileId) : this.#incomingFiles().cancel(fileId);
    if (!done) throw new ConnectionStateError(`no ${direction} transfer ${fileId}`);
  }

  // ---- internals ----

  #incomingFiles() {
    const files = this.table.incomingFiles;
    if (!files) throw new ConnectionStateError('the peer has no file channel open');
    return files;
  }
}
