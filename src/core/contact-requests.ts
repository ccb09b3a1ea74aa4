// The contact-request flow of the messenger core (Ricochet protocol v3 ContactRequestChannel,
// docs/PROTOCOL.md "Contact requests" and "Pending requests"). Requester side: our request goes
// out on an outbound link where the peer does not know us, each such link is tracked as 'sent'
// until the peer answers ('pending' once it says so), and a close before the final answer is
// judged (likely rejected vs retried later). Recipient side: a stranger's request is rate-limited
// and stored, its link held open for the user's answer, strangers whose requests are dropped are
// closed, and a refused stranger is told 'rejected'. Messenger (messenger.ts) feeds it the
// connection events; commands.ts refuses links through it.
import type { CoreEvent, RicochetId } from '../api/core-api.js';
import type { ContactRequestStatus } from '../protocol/connection-types.js';
import type { ConnectionManager } from './connection-manager.js';
import type { PeerLink } from './peer-link.js';
import { toServiceId, type CoreModel } from './vault-mapping.js';

export interface ContactRequestsOptions {
  readonly model: CoreModel;
  readonly manager: ConnectionManager;
  readonly now: () => number;
  readonly emitAll: (events: readonly CoreEvent[]) => void;
  /** Something the vault stores changed (saved after a short debounce). */
  readonly changed: () => void;
}

export class ContactRequests {
  readonly #o: ContactRequestsOptions;
  /** Links on which our contact request is out without a final answer ('pending': answered so). */
  readonly #requestLinks = new Map<PeerLink, 'sent' | 'pending'>();

  constructor(options: ContactRequestsOptions) {
    this.#o = options;
  }

  // ---- requester side ----

  /** Sends our contact request on `link` (a contact of ours that does not know us yet). */
  send(address: RicochetId, link: PeerLink): void {
    const { book, settings } = this.#o.model;
    const c = book.get(address);
    if (c === undefined) return;
    if (c.state !== 'request-pending') this.#o.emitAll(book.retryRequest(address));
    const message = c.requestMessage ?? '';
    // Our own nickname only if the user set one (settings.ownNickname): default none.
    const nickname = settings.ownNickname ?? '';
    link.run((conn) => conn.sendContactRequest(nickname, message));
    this.#requestLinks.set(link, 'sent');
    this.#o.changed();
  }

  /** The peer's answer to our request on `link`. */
  onResponse(address: RicochetId, link: PeerLink, status: ContactRequestStatus): void {
    const { book } = this.#o.model;
    if (status === 'pending' && this.#requestLinks.has(link)) {
      this.#requestLinks.set(link, 'pending');
    }
    if (status !== 'pending') this.#requestLinks.delete(link);
    if (status === 'accepted') {
      this.#o.emitAll(book.requestAccepted(address));
      this.#o.emitAll(book.setOnline(address, true));
    } else if (status === 'rejected') {
      this.#o.emitAll(book.requestRejected(address, 'explicit'));
      this.#o.manager.noteFailure(toServiceId(address), 'likely-rejected');
      link.close();
    } else if (status === 'error') {
      this.#o.emitAll(book.requestFailed(address, 'the contact could not take the request'));
    }
    this.#o.changed();
  }

  /**
   * The peer answered Pending, then closed: not a rejection (a busy listener, a restart, or its
   * bound of held request connections). The request stays pending and is re-sent later; if the
   * peer accepts meanwhile it dials us (docs/PROTOCOL.md "Pending requests").
   */
  onClosedWhilePending(address: RicochetId, link: PeerLink): void {
    this.#requestLinks.delete(link);
    this.#o.manager.noteFailure(toServiceId(address), 'request-closed');
  }

  /** `link` is gone: judges a request that was out on it without a final answer. */
  linkGone(address: RicochetId, link: PeerLink): void {
    const { book } = this.#o.model;
    const request = this.#requestLinks.get(link);
    this.#requestLinks.delete(link);
    if (request === undefined || book.get(address)?.state !== 'request-pending') return;
    if (request === 'pending') {
      this.#o.manager.noteFailure(toServiceId(address), 'request-closed');
    } else {
      // Closed after authentication before any answer: how peers refuse blocked, rejected and
      // unknown peers at connection level. Likely rejected: retried only rarely.
      this.#o.emitAll(book.requestRejected(address, 'closed-while-pending'));
      this.#o.manager.noteFailure(toServiceId(address), 'likely-rejected');
      this.#o.changed();
    }
  }

  // ---- recipient side ----

  /** A peer's contact request arrived on `link`. */
  onRequest(address: RicochetId, link: PeerLink, nickname: string, message: string): void {
    const { book, requests } = this.#o.model;
    if (book.has(address)) {
      // We asked them too: their request answers ours.
      link.run((c) => c.respondToContactRequest('accepted'));
      this.#o.emitAll(book.requestAccepted(address));
      this.#o.emitAll(book.setOnline(address, true));
      return this.#o.changed();
    }
    const decision = requests.admitRequest(address, this.#o.now());
    if (!decision.allow) {
      link.run((c) => c.respondToContactRequest('rejected'));
      link.close();
      return;
    }
    const events = requests.add(address, nickname, message, this.#o.now());
    for (const e of events) if (e.type === 'request-dropped') this.#closeStranger(e.address);
    this.#o.emitAll(events);
    // Kept open for the answer, within a bound; past it the request stays, the link goes.
    this.#o.manager.holdForRequest(link);
    this.#o.changed();
  }

  /** Closes the peer's live link; a stranger is told 'rejected' first. */
  refuseLink(address: RicochetId): void {
    const link = this.#o.manager.live(toServiceId(address));
    if (link === undefined || link.connection.isKnownContact) {
      link?.close();
      return;
    }
    link.run((c) => c.respondToContactRequest('rejected'));
    link.close();
  }

  /** Closes a stranger's live link (its pending request was dropped); never a contact's. */
  #closeStranger(address: RicochetId): void {
    const link = this.#o.manager.live(toServiceId(address));
    if (link !== undefined && !link.connection.isKnownContact) link.close();
  }
}
