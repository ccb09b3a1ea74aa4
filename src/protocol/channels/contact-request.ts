// `im.ricochet.contact.request` (Ricochet v3 / 3.0.41): the request rides on the OpenChannel
// (ext 200), the first answer on the ChannelResult (ext 201, Pending or final), later answers as a
// bare Response; the receiver closes the channel after a final answer.
import { ProtocolViolationError } from '../errors.js';
import {
  ChannelType,
  decodeContactResponse,
  encodeContactResponse,
  type ContactRequestStatus as WireStatus,
} from '../messages.js';
import type { ContactRequestStatus } from '../connection-types.js';
import type { ChannelHandler, ChannelHost, ChannelResultMessage } from './channel.js';

export interface ContactRequestClientCallbacks {
  /** The peer accepted us: the connection now belongs to a known contact. */
  onAccepted(): void;
}

function toPublicStatus(status: WireStatus | undefined): ContactRequestStatus | undefined {
  switch (status) {
    case 'pending':
    case 'accepted':
    case 'rejected':
    case 'error':
      return status;
    default:
      return undefined;
  }
}

/** Our outgoing request (client role). */
export class ContactRequestClientChannel implements ChannelHandler {
  readonly type = ChannelType.ContactRequest;
  readonly direction = 'outbound';
  #status: ContactRequestStatus | 'sent' = 'sent';

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    private readonly callbacks: ContactRequestClientCallbacks,
  ) {}

  /** 'sent' until the ChannelResult; then the latest status. */
  get status(): ContactRequestStatus | 'sent' {
    return this.#status;
  }

  opened(result: ChannelResultMessage): void {
    const status = toPublicStatus(result.contactResponse);
    if (!status) throw new ProtocolViolationError('contact request result without a status');
    this.#apply(status);
  }

  refused(result: ChannelResultMessage): void {
    // 3.0.41 refuses the channel with Response{Accepted} when we are already its contact.
    this.#apply(result.contactResponse === 'accepted' ? 'accepted' : 'error');
  }

  receive(data: Uint8Array): void {
    if (this.#status !== 'pending') {
      throw new ProtocolViolationError('contact response after a final answer');
    }
    const status = toPublicStatus(decodeContactResponse(data).status);
    if (!status) throw new ProtocolViolationError('contact response without a valid status');
    if (status !== 'pending') this.#apply(status);
  }

  closed(): void {}

  #apply(status: ContactRequestStatus): void {
    this.#status = status;
    this.host.emit({ type: 'contact-request-response', status });
    if (status === 'accepted') this.callbacks.onAccepted();
  }
}

/** A request we received (server role). Answers Pending at once; the user decides later. */
export class ContactRequestServerChannel implements ChannelHandler {
  readonly type = ChannelType.ContactRequest;
  readonly direction = 'inbound';
  #answered = false;
  #open = true;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
  ) {}

  get answered(): boolean {
    return this.#answered;
  }

  /** Sends the final answer and closes the channel. Returns false if it can no longer be sent. */
  respond(status: 'accepted' | 'rejected' | 'error'): boolean {
    if (this.#answered || !this.#open) return false;
    this.#answered = true;
    this.host.send(this.id, encodeContactResponse(status));
    this.host.closeChannel(this.id);
    return true;
  }

  receive(): void {
    throw new ProtocolViolationError('the requester may not send on a contact request channel');
  }

  closed(): void {
    this.#open = false;
  }
}
