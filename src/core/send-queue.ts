// Per-contact outgoing chat queue: stable local ids, wire message_ids assigned on first send and
// kept for re-sends on later connections, per-connection attempt counting, time_delta at send time
// (notes "Chat": unacked messages are re-sent with the same id; the receiver drops duplicates).

import type { DeliveryState, MessageView, RicochetId } from '../api/core-api.js';
import { MAX_MESSAGE_UNITS, validateMessageText } from '../contacts/text-rules.js';
import { LIMITS } from '../schema/limits.js';
import { CoreError } from './errors.js';

export interface OutgoingMessage {
  readonly localId: number;
  readonly text: string;
  readonly composedAt: number;
  wireId?: number;
  state: DeliveryState;
  /** On how many connections it has been sent so far. */
  attempts: number;
  /** time_delta of the latest send (0 until sent). */
  timeDelta: number;
  failReason?: 'refused' | 'attempts';
}

/** One ChatMessage for the protocol layer to put on the wire. */
export interface WireChatMessage {
  readonly localId: number;
  readonly wireId: number;
  readonly text: string;
  readonly timeDelta: number;
}

export interface SendQueueOptions {
  readonly maxPending: number;
  readonly maxAttempts: number;
  /** Wire ids of delivered messages we avoid reusing (the peer may still remember them). */
  readonly recentWireIds: number;
  /**
   * First local id of a new queue. Pass `conversation.lastOutgoingId() + 1` when saved history
   * already holds outgoing messages, so local ids stay unique.
   */
  readonly firstLocalId: number;
}

export const DEFAULT_SEND_QUEUE: SendQueueOptions = {
  maxPending: LIMITS.queuePerContact,
  maxAttempts: 5,
  recentWireIds: 1000,
  firstLocalId: 1,
};

export class SendQueueError extends CoreError {
  readonly code: string = 'send-queue';
  override name = 'SendQueueError';
}
export class SendQueueFullError extends SendQueueError {
  override readonly code: string = 'queue-full';
  override name = 'SendQueueFullError';
}
export class UnknownMessageError extends SendQueueError {
  override readonly code: string = 'unknown-message';
  override name = 'UnknownMessageError';
}
export class SendQueueFormatError extends SendQueueError {
  override name = 'SendQueueFormatError';
}

const UINT32 = 2 ** 32;

export class SendQueue {
  readonly options: SendQueueOptions;
  readonly #messages = new Map<number, OutgoingMessage>(); // not yet delivered, by localId
  readonly #byWireId = new Map<number, OutgoingMessage>();
  readonly #recentWireIds = new Set<number>();
  #nextLocalId = 1;
  /** Next wire id to hand out on the current connection; undefined while disconnected. */
  #nextWireId: number | undefined;
  /** localIds already sent on the current connection. */
  #sentThisConnection = new Set<number>();

  constructor(options: Partial<SendQueueOptions> = {}) {
    this.options = { ...DEFAULT_SEND_QUEUE, ...options };
    const first = this.options.firstLocalId;
    if (!Number.isSafeInteger(first) || first < 1)
      throw new RangeError('firstLocalId must be >= 1');
    this.#nextLocalId = first;
  }

  /** New messages get local ids above `localId` (saved history loaded later holds ids up to it). */
  continueAfter(localId: number): void {
    if (localId >= this.#nextLocalId) this.#nextLocalId = localId + 1;
  }

  get pendingCount(): number {
    return this.#messages.size;
  }

  get connected(): boolean {
    return this.#nextWireId !== undefined;
  }

  get(localId: number): OutgoingMessage | undefined {
    return this.#messages.get(localId);
  }

  list(): OutgoingMessage[] {
    return [...this.#messages.values()];
  }

  /** Validates and queues a message; returns it with its stable local id. */
  enqueue(text: string, now: number): OutgoingMessage {
    validateMessageText(text, MAX_MESSAGE_UNITS);
    if (this.#messages.size >= this.options.maxPending) {
      throw new SendQueueFullError(`more than ${this.options.maxPending} undelivered messages`);
    }
    const message: OutgoingMessage = {
      localId: this.#nextLocalId++,
      text,
      composedAt: now,
      state: 'queued',
      attempts: 0,
      timeDelta: 0,
    };
    this.#messages.set(message.localId, message);
    return message;
  }

  /** A chat channel to the contact opened; `random` seeds this connection's first wire id. */
  onConnected(random: () => number): void {
    const r = random();
    const start = Number.isFinite(r)
      ? Math.min(UINT32 - 1, Math.floor(Math.max(r, 0) * UINT32))
      : 1;
    this.#nextWireId = start === 0 ? 1 : start;
    this.#sentThisConnection = new Set();
  }

  /**
   * Everything that should go out now on the current connection (queued messages and ones sent on
   * earlier connections without an ack), in local-id order; marks them sent. Empty if disconnected.
   */
  takeSendable(now: number): WireChatMessage[] {
    if (this.#nextWireId === undefined) return [];
    const out: WireChatMessage[] = [];
    for (const m of this.#messages.values()) {
      if (m.state === 'failed' || m.state === 'delivered') continue;
      if (this.#sentThisConnection.has(m.localId)) continue;
      if (m.attempts >= this.options.maxAttempts) continue;
      m.wireId ??= this.#allocateWireId();
      this.#byWireId.set(m.wireId, m);
      m.attempts++;
      m.state = 'sent';
      m.timeDelta = timeDeltaSeconds(m.composedAt, now);
      this.#sentThisConnection.add(m.localId);
      out.push({ localId: m.localId, wireId: m.wireId, text: m.text, timeDelta: m.timeDelta });
    }
    return out;
  }

  /**
   * A message `takeSendable` handed out did not go on the wire (the connection refused the send):
   * it is as it was before, and goes out with the next `takeSendable` (this connection, if it can
   * still send, or the next one). Its wire id, if new, is kept: it was never used.
   */
  notSent(localId: number): void {
    const m = this.#messages.get(localId);
    if (m === undefined || m.state !== 'sent' || !this.#sentThisConnection.delete(localId)) return;
    m.attempts--;
    if (m.attempts === 0) m.state = 'queued';
  }

  /**
   * A ChatAcknowledge arrived. Accepted → delivered (leaves the queue); refused → failed.
   * Unknown or repeated acks return undefined.
   */
  onAck(wireId: number, accepted: boolean): OutgoingMessage | undefined {
    const m = this.#byWireId.get(wireId);
    if (m === undefined || m.state !== 'sent') return undefined;
    if (accepted) {
      m.state = 'delivered';
      this.#messages.delete(m.localId);
      this.#byWireId.delete(wireId);
      this.#rememberWireId(wireId);
    } else {
      m.state = 'failed';
      m.failReason = 'refused';
    }
    return m;
  }

  /** The connection closed: messages that used up their attempts without an ack fail. */
  onDisconnected(): OutgoingMessage[] {
    this.#nextWireId = undefined;
    this.#sentThisConnection = new Set();
    const failed: OutgoingMessage[] = [];
    for (const m of this.#messages.values()) {
      if (m.state === 'sent' && m.attempts >= this.options.maxAttempts) {
        m.state = 'failed';
        m.failReason = 'attempts';
        failed.push(m);
      }
    }
    return failed;
  }

  /**
   * The user retries a failed message. After "attempts" the wire id is kept, so if the peer got it
   * (and only the ack was lost) its duplicate filter drops the re-send; after a refusal it is new.
   */
  retry(localId: number): OutgoingMessage {
    const m = this.#messages.get(localId);
    if (m === undefined) throw new UnknownMessageError('no such undelivered message');
    if (m.state !== 'failed') return m;
    if (m.failReason === 'refused' && m.wireId !== undefined) {
      this.#byWireId.delete(m.wireId);
      delete m.wireId;
    }
    delete m.failReason;
    m.state = 'queued';
    m.attempts = 0;
    this.#sentThisConnection.delete(localId);
    return m;
  }

  /** The user gives up on an undelivered message. */
  discard(localId: number): boolean {
    const m = this.#messages.get(localId);
    if (m === undefined) return false;
    this.#messages.delete(localId);
    if (m.wireId !== undefined) {
      this.#byWireId.delete(m.wireId);
      this.#rememberWireId(m.wireId);
    }
    return true;
  }

  toState(): SendQueueState {
    return {
      version: 1,
      nextLocalId: this.#nextLocalId,
      recentWireIds: [...this.#recentWireIds],
      messages: this.list().map((m) => ({
        localId: m.localId,
        text: m.text,
        composedAt: m.composedAt,
        state: m.state,
        attempts: m.attempts,
        ...(m.wireId === undefined ? {} : { wireId: m.wireId }),
        ...(m.failReason === undefined ? {} : { failReason: m.failReason }),
      })),
    };
  }

  /** Restores a queue saved by toState (after a restart nothing is connected). */
  static fromState(state: unknown, options: Partial<SendQueueOptions> = {}): SendQueue {
    const q = new SendQueue(options);
    const s = state as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || s['version'] !== 1) {
      throw new SendQueueFormatError('not a version 1 send queue');
    }
    const { nextLocalId, recentWireIds, messages } = s;
    if (!isUint(nextLocalId, Number.MAX_SAFE_INTEGER) || !Array.isArray(messages)) {
      throw new SendQueueFormatError('bad counters');
    }
    if (!Array.isArray(recentWireIds) || !recentWireIds.every((x) => isUint(x, UINT32 - 1))) {
      throw new SendQueueFormatError('bad recent wire ids');
    }
    if (messages.length > q.options.maxPending) throw new SendQueueFormatError('too many messages');
    for (const id of recentWireIds.slice(-q.options.recentWireIds)) q.#rememberWireId(id);
    q.#nextLocalId = nextLocalId;
    for (const raw of messages as unknown[]) q.#restore(raw);
    return q;
  }

  #restore(raw: unknown): void {
    const r = raw as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null) throw new SendQueueFormatError('bad message');
    const { localId, text, composedAt, state, attempts, wireId, failReason } = r;
    const ok =
      isUint(localId, this.#nextLocalId - 1) &&
      localId > 0 &&
      !this.#messages.has(localId) &&
      typeof text === 'string' &&
      isUint(composedAt, Number.MAX_SAFE_INTEGER) &&
      (state === 'queued' || state === 'sent' || state === 'failed') &&
      isUint(attempts, this.options.maxAttempts) &&
      (wireId === undefined || (isUint(wireId, UINT32 - 1) && wireId > 0)) &&
      (failReason === undefined || failReason === 'refused' || failReason === 'attempts');
    if (!ok) throw new SendQueueFormatError('bad message');
    try {
      validateMessageText(text, MAX_MESSAGE_UNITS);
    } catch (cause) {
      throw new SendQueueFormatError('bad message text', { cause });
    }
    if (wireId !== undefined && this.#byWireId.has(wireId)) {
      throw new SendQueueFormatError('duplicate wire id');
    }
    const m: OutgoingMessage = { localId, text, composedAt, state, attempts, timeDelta: 0 };
    if (wireId !== undefined) {
      m.wireId = wireId;
      this.#byWireId.set(wireId, m);
    }
    if (failReason !== undefined) m.failReason = failReason;
    this.#messages.set(localId, m);
  }

  #allocateWireId(): number {
    let id = this.#nextWireId ?? 1;
    while (id === 0 || this.#byWireId.has(id) || this.#recentWireIds.has(id)) {
      id = (id + 1) % UINT32;
    }
    this.#nextWireId = (id + 1) % UINT32;
    return id;
  }

  #rememberWireId(id: number): void {
    this.#recentWireIds.delete(id);
    this.#recentWireIds.add(id);
    while (this.#recentWireIds.size > this.options.recentWireIds) {
      const oldest = this.#recentWireIds.values().next();
      if (oldest.done === true) break;
      this.#recentWireIds.delete(oldest.value);
    }
  }
}

export interface SendQueueState {
  readonly version: 1;
  readonly nextLocalId: number;
  readonly recentWireIds: readonly number[];
  readonly messages: readonly {
    readonly localId: number;
    readonly text: string;
    readonly composedAt: number;
    readonly state: DeliveryState;
    readonly attempts: number;
    readonly wireId?: number;
    readonly failReason?: 'refused' | 'attempts';
  }[];
}

/** time_delta for a message composed at `composedAt` and sent at `now`: whole seconds, <= 0. */
export function timeDeltaSeconds(composedAt: number, now: number): number {
  const elapsed = Math.floor((now - composedAt) / 1000);
  return elapsed > 0 ? -elapsed : 0;
}

/** The front-end view of an outgoing message; `id` is its stable local id. */
export function outgoingView(address: RicochetId, m: OutgoingMessage): MessageView {
  return {
    address,
    id: m.localId,
    direction: 'out',
    text: m.text,
    at: m.composedAt,
    timeDelta: m.timeDelta,
    state: m.state,
  };
}

function isUint(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}
