// `im.ricochet.chat` (Ricochet v3 / 3.0.41): one channel per direction. The opener sends
// ChatMessages (random first message_id, then +1) on its own channel; the other side acks every
// message on that same channel, including duplicates, which it drops. With `deferAcks` (Sotto with
// history on, docs/PROTOCOL.md "When Sotto acknowledges") an accepted message is acknowledged
// only when the caller says it is saved (`acknowledge`); a refused one still is at once.
import { LimitExceededError, ProtocolViolationError } from '../errors.js';
import { ChannelType, decodeChatPacket, encodeChatPacket } from '../messages.js';
import { isValidMessageText } from '../limits.js';
import { ConnectionStateError } from '../connection-types.js';
import { randomUint32, type ChannelHandler, type ChannelHost } from './channel.js';

/** How many recent non-zero ids the receiver remembers to drop duplicates. */
export const CHAT_DEDUP_WINDOW = 512;
/** Messages queued before the channel opens, or sent and not yet acknowledged. */
export const MAX_UNACKED_MESSAGES = 4096;
/**
 * Arrivals of accepted messages whose deferred ack waits at once on one connection. A peer that
 * keeps our limit of unacknowledged messages (MAX_UNACKED_MESSAGES; a 3.0.41 peer sends one
 * ChatMessage per message, re-sends only on a new connection) never reaches it: past it the
 * connection closes (LimitExceededError) and the peer re-sends on the next one.
 */
export const MAX_DEFERRED_ACKS = MAX_UNACKED_MESSAGES;

export interface ChatSendOptions {
  /** Re-send of an unacknowledged message from an earlier connection keeps its id. */
  readonly id?: number;
  /** Seconds since composition, ≤ 0 (0 = sent at once; omitted on the wire like 3.0.41). */
  readonly timeDelta?: number;
}

/** Our own chat channel: we send messages, the peer acks. */
export class ChatSendChannel implements ChannelHandler {
  readonly type = ChannelType.Chat;
  readonly direction = 'outbound';
  #nextId: number;
  #open = false;
  #gone = false;
  readonly #queued: Uint8Array[] = [];
  readonly #unacked = new Set<number>();

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
  ) {
    this.#nextId = randomUint32(host);
  }

  get isOpen(): boolean {
    return this.#open;
  }

  send(text: string, options: ChatSendOptions = {}): number {
    if (this.#gone) throw new ConnectionStateError('the chat channel is closed');
    if (!isValidMessageText(text)) {
      throw new RangeError('chat text must be 1..2000 UTF-16 code units');
    }
    const timeDelta = Math.min(0, Math.trunc(options.timeDelta ?? 0));
    if (this.#unacked.size >= MAX_UNACKED_MESSAGES) {
      throw new ConnectionStateError('too many unacknowledged chat messages');
    }
    let id = options.id;
    if (id === undefined) {
      id = this.#nextId;
      this.#nextId = (this.#nextId + 1) >>> 0;
    } else if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new RangeError('message id must be a uint32');
    }
    const data = encodeChatPacket({
      kind: 'chat-message',
      messageText: text,
      messageId: id,
      timeDelta,
    });
    this.#unacked.add(id);
    if (this.#open) this.host.send(this.id, data);
    else this.#queued.push(data);
    return id;
  }

  opened(): void {
    this.#open = true;
    this.host.emit({ type: 'chat-ready' });
    for (const data of this.#queued.splice(0)) this.host.send(this.id, data);
  }

  receive(data: Uint8Array): void {
    const packet = decodeChatPacket(data);
    if (packet.kind !== 'chat-acknowledge') {
      // 3.0.41 refuses a message on the wrong channel with an ack of accepted=false.
      this.host.send(
        this.id,
        encodeChatPacket({
          kind: 'chat-acknowledge',
          messageId: packet.messageId,
          accepted: false,
        }),
      );
      return;
    }
    if (this.#unacked.delete(packet.messageId)) {
      this.host.emit({ type: 'chat-ack', id: packet.messageId, accepted: packet.accepted });
    }
  }

  refused(): void {
    this.closed();
  }

  closed(): void {
    this.#open = false;
    this.#gone = true;
    this.#queued.length = 0;
    // Not a refusal: the caller re-sends these with the same ids on the next connection.
    if (this.#unacked.size > 0) {
      this.host.emit({ type: 'chat-undelivered', ids: [...this.#unacked] });
    }
    this.#unacked.clear();
  }
}

/** The peer's chat channel: we receive messages and ack each one. */
export class ChatReceiveChannel implements ChannelHandler {
  readonly type = ChannelType.Chat;
  readonly direction = 'inbound';
  readonly #seen = new Set<number>();
  /** Deferred acks: arrivals not acknowledged yet, by message id (re-sends add up). */
  readonly #awaiting = new Map<number, number>();
  #awaitingCount = 0;
  #gone = false;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
    /** Accepted messages wait for `acknowledge` (the caller saved them) instead of an ack now. */
    private readonly deferAcks = false,
  ) {}

  receive(data: Uint8Array): void {
    const packet = decodeChatPacket(data);
    if (packet.kind !== 'chat-message') {
      throw new ProtocolViolationError('acknowledgement on the peer’s own chat channel');
    }
    const { messageId, messageText } = packet;
    const accepted = isValidMessageText(messageText);
    const duplicate = messageId !== 0 && this.#seen.has(messageId);
    if (!accepted) return this.#ack(messageId, false);
    if (duplicate) {
      // Acked at once, unless its first arrival still waits: then together with it.
      if (this.#awaiting.has(messageId)) this.#await(messageId);
      else this.#ack(messageId, true);
      return;
    }
    if (this.deferAcks) this.#await(messageId);
    else this.#ack(messageId, true);
    if (messageId !== 0) this.#remember(messageId);
    this.host.emit({
      type: 'chat-message',
      id: messageId,
      text: messageText,
      timeDelta: Math.min(0, packet.timeDelta),
      ...(this.deferAcks ? { ackDeferred: true } : {}),
    });
  }

  /**
   * The message `messageId` whose ack was deferred is saved: every arrival of it waiting on this
   * channel is acknowledged (accepted); for id 0, which has no duplicates, one arrival. Returns
   * false when none waits (the channel closed since, or it was acknowledged already).
   */
  acknowledge(messageId: number): boolean {
    const waiting = this.#awaiting.get(messageId);
    if (this.#gone || waiting === undefined) return false;
    const acks = messageId === 0 ? 1 : waiting;
    if (waiting === acks) this.#awaiting.delete(messageId);
    else this.#awaiting.set(messageId, waiting - acks);
    this.#awaitingCount -= acks;
    for (let i = 0; i < acks; i++) this.#ack(messageId, true);
    return true;
  }

  closed(): void {
    this.#gone = true;
    this.#seen.clear();
    this.#awaiting.clear();
    this.#awaitingCount = 0;
  }

  #ack(messageId: number, accepted: boolean): void {
    this.host.send(this.id, encodeChatPacket({ kind: 'chat-acknowledge', messageId, accepted }));
  }

  #await(messageId: number): void {
    if (this.#awaitingCount >= MAX_DEFERRED_ACKS) {
      throw new LimitExceededError(`more than ${MAX_DEFERRED_ACKS} chat messages await their ack`);
    }
    this.#awaiting.set(messageId, (this.#awaiting.get(messageId) ?? 0) + 1);
    this.#awaitingCount++;
  }

  #remember(id: number): void {
    this.#seen.add(id);
    if (this.#seen.size > CHAT_DEDUP_WINDOW) {
      const oldest = this.#seen.values().next().value as number;
      this.#seen.delete(oldest);
    }
  }
}
