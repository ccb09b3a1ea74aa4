// The messenger core (implements MessengerCore of src/api/core-api.ts): owns the vault state and the
// models, publishes our onion, keeps connections through the ConnectionManager, and maps every
// CoreCommand to actions and every Ricochet connection event to CoreEvents (notes "Messenger").
// Commands run in commands.ts, the contact-request flow in contact-requests.ts, vault writes in
// messenger-persistence.ts, the connection side is wired in messenger-links.ts.
import type { CoreCommand, CoreEvent, MessengerCore, RicochetId } from '../api/core-api.js';
import { errorEvent } from './error-events.js';
import { runCommand, type CommandContext } from './commands.js';
import { ContactRequests } from './contact-requests.js';
import type { ConnectionManager } from './connection-manager.js';
import type { InboundLimits, InboundLoad } from './inbound-slots.js';
import type { IncomingRequestLimits } from '../contacts/incoming-requests.js';
import type { FileTransfers } from './file-transfers.js';
import type { BulkLinks, BulkStats } from './bulk-links.js';
import type { PeerLink } from './peer-link.js';
import { MessageDelivery } from './message-delivery.js';
import type { BackoffOptions } from './backoff.js';
import { toAddress, toServiceId, type CoreModel } from './vault-mapping.js';
import { IdentityKey } from '../identity/identity-key.js';
import type { TorProvider } from '../onion/tor-provider.js';
import { identityOnionOf, type IdentityOnion } from './identity-onion.js';
import { TorSupervisor } from './tor-supervisor.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { Vault } from '../profile/vault.js';
import type { QueueJournal } from '../profile/queue-journal.js';
import type { Endpoints } from './endpoints.js';
import type { CircuitMoves, CircuitSettings, CircuitStatus } from './circuit-moves.js';
import { loadModel, MessengerStore } from './messenger-persistence.js';
import { messengerLinks } from './messenger-links.js';

export interface MessengerOptions {
  readonly tor: TorProvider & { restart?(signal?: AbortSignal): Promise<void> };
  readonly vault: Vault;
  /**
   * The profile's send-queue journal (src/profile/queue-journal.ts): `queued` then waits for one
   * fdatasync'ed append, not a whole vault save. Without it, a send saves the vault first.
   */
  readonly queueJournal?: QueueJournal;
  readonly downloadsDir: string;
  /** Ricochet features we offer (default: all Sotto features; [] = plain 3.0.41 behaviour). */
  readonly features?: readonly string[];
  readonly backoff?: Partial<BackoffOptions>;
  readonly saveDebounceMs?: number;
  /** Inbound capacity shares (default: src/core/inbound-slots.ts). */
  readonly inboundLimits?: Partial<InboundLimits>;
  /** Files from this size go on a bulk link of their own (default: bulk-links.ts). */
  readonly bulkMinFileBytes?: number;
  /**
   * Rate limits and bounds for strangers (default DEFAULT_INCOMING_LIMITS). Abuse tests use a
   * large burst to stand for an attacker's budget saved up over many minutes.
   */
  readonly incomingLimits?: Partial<IncomingRequestLimits>;
  /** Slow-circuit detection and moves (issue 14, src/core/circuit-moves.ts). */
  readonly circuits?: CircuitSettings;
  readonly now?: () => number;
}

export class Messenger implements MessengerCore {
  readonly address: RicochetId;
  readonly #o: MessengerOptions;
  readonly #now: () => number;
  readonly #key: IdentityKey;
  readonly #model: CoreModel;
  readonly #manager: ConnectionManager;
  readonly #files: FileTransfers;
  readonly #bulk: BulkLinks;
  readonly #isContact: (serviceId: string) => boolean;
  readonly #listeners = new Set<(event: CoreEvent) => void>();
  readonly #unsubscribeTor: () => void;
  readonly #identity: IdentityOnion;
  readonly #endpoints: Endpoints;
  readonly #store: MessengerStore;
  readonly #delivery: MessageDelivery;
  #closed = false;
  readonly #supervisor: TorSupervisor;
  readonly #requests: ContactRequests;
  readonly #context: CommandContext;
  readonly #moves: CircuitMoves;

  constructor(options: MessengerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#key = IdentityKey.fromExpandedKey(options.vault.state.identity.expandedKey); // a copy
    this.address = toAddress(this.#key.serviceId);
    const journal = options.queueJournal;
    const model = loadModel(
      options.vault,
      journal,
      this.#key.serviceId,
      this.#now(),
      options.incomingLimits,
    );
    this.#model = model;
    this.#store = new MessengerStore({
      vault: options.vault,
      journal,
      model,
      now: this.#now,
      saveDebounceMs: options.saveDebounceMs ?? 100,
      onError: (error) => this.#emit(errorEvent(error)),
      isClosed: () => this.#closed,
      pruneGone: () => this.#pruneGone(),
    });
    const isContact = (id: string): boolean => {
      const c = model.book.get(toAddress(id));
      return c !== undefined && !c.blocked;
    };
    this.#isContact = isContact;
    const links = messengerLinks(options, {
      key: this.#key,
      model,
      now: this.#now,
      emit: (e) => this.#emit(e),
      guard: (action) => this.#guard(action),
      changed: () => this.#changed(),
      isContact,
      wantsConnection: (a) => this.#wantsConnection(a),
      admitUnknown: (a) => this.#admitUnknown(a),
      onEvent: (a, link, event) => this.#onConnectionEvent(a, link, event),
      onGone: (a, link, next) => this.#onGone(a, link, next),
      onDialFailed: (a) => this.#onDialFailed(a),
      resume: (a) => this.#delivery.sendQueued(a),
    });
    this.#manager = links.manager;
    this.#endpoints = links.endpoints;
    this.#moves = links.moves;
    this.#bulk = links.bulk;
    this.#files = links.files;
    this.#delivery = new MessageDelivery({
      model,
      manager: this.#manager,
      moves: this.#moves,
      now: this.#now,
      changed: () => this.#changed(),
      emit: (e) => this.#emit(e),
      incomingSaved: (a, id) => this.#store.incomingSaved(a, id),
    });
    const key = this.#key;
    this.#identity = identityOnionOf({
      tor: options.tor,
      key,
      manager: this.#manager,
      model,
      now: this.#now,
      changed: () => this.#changed(),
      hasEndpoint: (a) => this.#endpoints.hasEndpoint(toServiceId(a)),
      emit: (e) => this.#emit(e),
    });
    this.#supervisor = new TorSupervisor(options.tor, {
      serviceId: key.serviceId,
      emit: (e) => this.#emit(e),
      manager: this.#manager,
      isPublished: () => this.#identity.started,
    });
    this.#requests = new ContactRequests({
      model: this.#model,
      manager: this.#manager,
      now: this.#now,
      emitAll: (e) => this.#emitAll(e),
      changed: () => this.#changed(),
    });
    this.#context = {
      address: this.address,
      model: this.#model,
      manager: this.#manager,
      files: this.#files,
      now: this.#now,
      emit: (e) => this.#emit(e),
      emitAll: (e) => this.#emitAll(e),
      persistence: this.#store,
      delivery: this.#delivery,
      links: {
        refuseLink: (a) => this.#requests.refuseLink(a),
        knownLink: (a) => this.#delivery.knownLink(a),
      },
      identity: this.#identity,
      close: () => this.close(),
    };
    this.#unsubscribeTor = options.tor.onEvent((e) =>
      this.#guard(() => this.#supervisor.onTorEvent(e)),
    );
    for (const c of this.#model.book.list()) this.#manager.track(toServiceId(c.address));
  }

  /** Bootstrap tor and publish our onion (unless dark); connections start once it is up. */
  async start(signal?: AbortSignal): Promise<void> {
    await this.#o.tor.bootstrap(signal);
    await this.#endpoints.start(signal); // before the identity onion: contacts find them first
    await this.#identity.start(signal);
    this.#manager.setTorUp(true);
  }

  /** How bulk links were made and used (tests and bench). */
  get bulkStats(): Readonly<BulkStats> {
    return this.#bulk.stats;
  }

  /** The core's own counters: inbound connections by kind, and requests waiting for the user. */
  get load(): InboundLoad & { readonly pendingRequests: number } {
    return { ...this.#manager.inboundLoad, pendingRequests: this.#model.requests.sizes.pending };
  }

  /** How a contact's live connection runs, if it has one (diagnostics and tests). */
  liveRoute(address: RicochetId): { via: 'identity' | 'endpoint'; windowed: boolean } | undefined {
    const c = this.#manager.live(toServiceId(address))?.connection;
    if (c === undefined) return undefined;
    return { via: c.isEndpointSession ? 'endpoint' : 'identity', windowed: c.windowedFileTransfer };
  }

  onEvent(listener: (event: CoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async dispatch(command: CoreCommand): Promise<void> {
    try {
      await this.#run(command);
    } catch (error) {
      this.#emit(errorEvent(error));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#supervisor.stop();
    this.#unsubscribeTor();
    this.#manager.stop();
    this.#bulk.stop();
    await this.#files.closeAll();
    await this.flush();
    await this.#identity.stop();
    await this.#endpoints.close();
    await this.#o.tor.close().catch(() => undefined);
    this.#key.wipe();
  }

  /** Moves a contact to a fresh Tor circuit now (issue 14); false when it cannot start now. */
  moveToFreshCircuit(address: RicochetId): boolean {
    const serviceId = toServiceId(address);
    return this.#moves.requestMove(serviceId, this.#manager.live(serviceId));
  }

  /**
   * Where a contact's circuit stands (issue 14): the live link's round-trip verdict and whether a
   * move is under way; undefined while the contact has no live link.
   */
  circuitStatus(address: RicochetId): CircuitStatus | undefined {
    return this.#moves.status(toServiceId(address));
  }

  /**
   * Resolves once the contact's live link has its round-trip verdict and no move is under way
   * (what a steady-state measurement waits for); rejects when `signal` aborts.
   */
  circuitSettled(address: RicochetId, signal: AbortSignal): Promise<CircuitStatus> {
    return this.#moves.settled(toServiceId(address), signal);
  }

  /** Writes pending state changes to the vault now. */
  flush(): Promise<void> {
    return this.#store.flush();
  }

  // ---- commands ----

  #run(command: CoreCommand): Promise<void> {
    return runCommand(this.#context, command);
  }

  // ---- connection events ----

  #wantsConnection(address: RicochetId): boolean {
    const c = this.#model.book.get(address);
    if (c === undefined || c.blocked) return false;
    return !(c.state === 'request-rejected' && c.rejection === 'explicit');
  }

  #admitUnknown(address: RicochetId): boolean {
    const { book, requests } = this.#model;
    if (requests.isBlocked(address) || book.get(address)?.blocked === true) return false;
    if (book.has(address)) return true;
    return requests.admitUnknownConnection(this.#now(), address).allow;
  }

  #onConnectionEvent(address: RicochetId, link: PeerLink, event: ConnectionEvent): void {
    if (this.#endpoints.handle(toServiceId(address), link, event)) return;
    if (this.#files.handle(address, link, event)) return;
    switch (event.type) {
      case 'authenticated':
        return this.#onAuthenticated(address, link, event.isKnownContact);
      case 'contact-request-received':
        return this.#requests.onRequest(address, link, event.nickname, event.message);
      case 'contact-request-response':
        return this.#requests.onResponse(address, link, event.status);
      case 'contact-request-closed-while-pending':
        return this.#requests.onClosedWhilePending(address, link);
      case 'chat-ready':
        return this.#delivery.chatReady(address, link);
      case 'chat-message':
        return this.#delivery.received(address, link, event);
      case 'chat-ack':
        return this.#delivery.acked(address, event.id, event.accepted);
      default:
        return;
    }
  }

  #onAuthenticated(address: RicochetId, link: PeerLink, known: boolean): void {
    const { book } = this.#model;
    const c = book.get(address);
    if (c === undefined) return; // an unknown peer: wait for its contact request
    if (known) {
      if (c.state !== 'accepted') this.#emitAll(book.requestAccepted(address));
      this.#emitAll(book.setOnline(address, true));
      this.#changed();
      return;
    }
    if (link.connection.role !== 'client') return;
    if (c.state === 'accepted' || c.state === 'removed-us') {
      this.#emitAll(book.authenticatedAsUnknown(address));
      this.#manager.noteFailure(toServiceId(address), 'likely-rejected');
      link.close();
      return this.#changed();
    }
    this.#requests.send(address, link);
  }

  #onGone(address: RicochetId, link: PeerLink, replacedBy?: PeerLink): void {
    this.#moves.onGone(toServiceId(address), link);
    this.#files.linkGone(link, replacedBy);
    this.#endpoints.linkGone(link, replacedBy);
    this.#requests.linkGone(address, link);
    // A newer known-contact link of the same peer took over (the duplicate rule): still online.
    if (replacedBy?.connection.isKnownContact !== true) {
      this.#emitAll(this.#model.book.setOnline(address, false));
    }
    this.#delivery.disconnected(address);
  }

  #onDialFailed(address: RicochetId): void {
    const c = this.#model.book.get(address);
    if (c?.state === 'request-pending' || c?.state === 'request-failed') {
      this.#emitAll(
        this.#model.book.requestFailed(address, 'could not reach the contact over Tor'),
      );
      this.#changed();
    }
  }

  // ---- state and events ----

  #changed(): void {
    this.#store.changed();
  }

  /** A removed or blocked contact's endpoint and bulk links go at once. */
  #pruneGone(): void {
    this.#endpoints.prune();
    this.#bulk.prune(this.#isContact);
  }

  #emitAll(events: readonly CoreEvent[]): void {
    for (const event of events) this.#emit(event);
  }

  #emit(event: CoreEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // a front end's bug must not stop the core
      }
    }
  }

  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#emit(errorEvent(error));
    }
  }
}
