// Chat messages of the messenger (the Delivery of commands.ts): each contact's SendQueue, sending
// what is due on the contact's known-contact link (held while a circuit move drains,
// circuit-moves.ts), every delivery-state change saved and told (`message-state`, `delivered`),
// and incoming messages shown once (`message`). The wire ids and acks follow docs/PROTOCOL.md
// "Chat".
import { randomBytes } from 'node:crypto';
import type { CoreEvent, DeliveryState, RicochetId } from '../api/core-api.js';
import type { CircuitMoves } from './circuit-moves.js';
import type { Delivery } from './commands.js';
import { errorEvent } from './error-events.js';
import type { ConnectionManager } from './connection-manager.js';
import type { PeerLink } from './peer-link.js';
import { SendQueue } from './send-queue.js';
import type { IncomingChat } from './conversation.js';
import { toServiceId, type CoreModel } from './vault-mapping.js';

const random01 = (): number => randomBytes(4).readUInt32BE() / 2 ** 32;

export interface MessageDeliveryOptions {
  readonly model: CoreModel;
  readonly manager: ConnectionManager;
  readonly moves: CircuitMoves;
  readonly now: () => number;
  readonly changed: () => void;
  readonly emit: (event: CoreEvent) => void;
  /** Whether an incoming message is in its history log (HistoryWriter.incomingSaved). */
  readonly incomingSaved: (address: RicochetId, wireId: number) => Promise<boolean> | boolean;
}

/** An incoming message as the connection reports it; `ackDeferred`: acknowledge it once saved. */
export interface ArrivedChat extends IncomingChat {
  readonly ackDeferred?: true;
}

export class MessageDelivery implements Delivery {
  readonly #o: MessageDeliveryOptions;

  constructor(options: MessageDeliveryOptions) {
    this.#o = options;
  }

  queue(address: RicochetId): SendQueue {
    const { queues, conversations } = this.#o.model;
    let q = queues.get(address);
    if (q === undefined) {
      // Saved outgoing history is keyed by local id: a new queue continues after it.
      const lastId = conversations.of(address).lastOutgoingId();
      q = new SendQueue({ firstLocalId: lastId + 1 });
      queues.set(address, q);
    }
    return q;
  }

  /** The live connection of an accepted contact, if it is a known-contact connection. */
  knownLink(address: RicochetId): PeerLink | undefined {
    const link = this.#o.manager.live(toServiceId(address));
    return link !== undefined && link.connection.isKnownContact ? link : undefined;
  }

  sendQueued(address: RicochetId): void {
    const q = this.queue(address);
    const link = this.knownLink(address);
    if (link === undefined || !q.connected || this.#o.moves.holdsSending(link)) return;
    const batch = q.takeSendable(this.#o.now());
    for (const [i, m] of batch.entries()) {
      // Only a message on the wire is `sent`: one the connection refused (it is closing, too many
      // unacknowledged) stays as it was and goes out on a later try, once (same wire id).
      let wireId: number | undefined;
      try {
        wireId = link.run((c) =>
          c.sendChatMessage(m.text, { id: m.wireId, timeDelta: m.timeDelta }),
        );
      } finally {
        if (wireId === undefined) for (const rest of batch.slice(i)) q.notSent(rest.localId);
      }
      if (wireId === undefined) return;
      this.#o.moves.sent(link, wireId);
      this.messageState(address, m.localId, 'sent');
    }
  }

  messageState(address: RicochetId, id: number, state: DeliveryState): void {
    this.#o.model.conversations.of(address).setOutgoingState(id, state);
    // The queue's state (wire id once sent, failed after the last try) is what a restart resumes
    // from: every transition is saved, or a crash could re-send a failed message.
    this.#o.changed();
    this.#o.emit({ type: 'message-state', address, id, state });
  }

  /** The contact's chat channel opened on its live `link`: send what waits. */
  chatReady(address: RicochetId, link: PeerLink): void {
    this.queue(address).onConnected(random01);
    this.#o.moves.onChatReady(toServiceId(address), link); // may resume a move's sending
    this.sendQueued(address);
  }

  /** The peer acknowledged (or refused) message `wireId`. */
  acked(address: RicochetId, wireId: number, accepted: boolean): void {
    const m = this.queue(address).onAck(wireId, accepted);
    if (m === undefined) return;
    this.messageState(address, m.localId, m.state); // saved there
    if (m.state === 'delivered') this.#o.emit({ type: 'delivered', address, id: m.localId });
    // A message the connection held back (too many unacknowledged) may go now.
    this.sendQueued(address);
  }

  /**
   * The contact's message arrived on `link`: shown and counted unread unless it is a duplicate. In
   * a conversation whose saved history waits in its log, that waits for the log
   * (Conversations.receive): a re-send must meet the ids saved earlier. A deferred ack
   * (docs/PROTOCOL.md "When Sotto acknowledges") is sent at once with history off; with history
   * on once the message is in the log (a duplicate: once its first arrival is), never if that
   * save failed (the peer re-sends it on a later connection; the user is told by HistoryWriter).
   */
  received(address: RicochetId, link: PeerLink, message: ArrivedChat): void {
    const { book, conversations } = this.#o.model;
    // On the link it came on: an ack on a closed link is not sent (the peer re-sends).
    const ack = (): void => void link.run((c) => c.acknowledgeChat(message.id));
    let deferred = message.ackDeferred === true;
    if (deferred && !(book.has(address) && book.historyEnabled(address))) {
      ack(); // history off: at once, as the connection would
      deferred = false;
    }
    const waiting = conversations.receive(address, message, this.#o.now(), (view) => {
      if (book.has(address)) book.addUnread(address);
      this.#o.emit({
        type: 'message',
        address,
        id: message.id,
        text: message.text,
        timeDelta: view.timeDelta,
      }); // saved by the history log (HistoryWriter), not by a vault save
    });
    const ackWhenSaved = (): void => {
      const saved = this.#o.incomingSaved(address, message.id);
      if (saved === true) ack();
      else if (saved !== false) void saved.then((ok) => ok && ack());
    };
    if (waiting === undefined) {
      if (deferred) ackWhenSaved();
      return;
    }
    waiting.then(
      () => deferred && ackWhenSaved(),
      (error: unknown) => this.#o.emit(errorEvent(error)),
    );
  }

  /** The contact's live link is gone: what it left unacknowledged fails or waits (SendQueue). */
  disconnected(address: RicochetId): void {
    const q = this.#o.model.queues.get(address);
    for (const m of q?.onDisconnected() ?? []) this.messageState(address, m.localId, 'failed');
  }
}
