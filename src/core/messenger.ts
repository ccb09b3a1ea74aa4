// The messenger core (implements MessengerCore of src/api/core-api.ts): owns the vault state and the
// models, publishes our onion, keeps connections through the ConnectionManager, and maps every
// CoreCommand to actions and every Ricochet connection event to CoreEvents (notes "Messenger").
// Commands run in commands.ts, the contact-request flow in contact-requests.ts, vault writes in
// vault-saver.ts.
import { randomBytes } from 'node:crypto';
import type { CoreCommand, CoreEvent, MessengerCore, RicochetId } from '../api/core-api.js';
import { errorEvent } from './error-events.js';
import { runCommand, type CommandContext } from './commands.js';
import { ContactRequests } from './contact-requests.js';
import { ConnectionManager } from './connection-manager.js';
import type { InboundLimits, InboundLoad } from './inbound-slots.js';
import type { IncomingRequestLimits } from '../contacts/incoming-requests.js';
import { FileTransfers } from './file-transfers.js';
import { BulkLinks, type BulkStats } from './bulk-links.js';
import { PeerLink } from './peer-link.js';
import { SendQueue } from './send-queue.js';
import type { BackoffOptions } from './backoff.js';
import {
  modelFromVault,
  toAddress,
  toServiceId,
  vaultFromModel,
  type CoreModel,
} from './vault-mapping.js';
import { IdentityKey } from '../identity/identity-key.js';
import type { TorProvider } from '../onion/tor-provider.js';
import { identityOnionOf, type IdentityOnion } from './identity-onion.js';
import { TorSupervisor } from './tor-supervisor.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { Vault } from '../profile/vault.js';
import { replayQueueJournal, type QueueJournal } from '../profile/queue-journal.js';
import { DebouncedVaultSaver } from './vault-saver.js';
import { Endpoints } from './endpoints.js';
import { ENDPOINTS_FEATURE, SOTTO_FEATURES } from '../protocol/connection-types.js';
import { CircuitMoves, type CircuitSettings } from './circuit-moves.js';
import { HistoryWriter } from './history-writer.js';

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

const random01 = (): number => randomBytes(4).readUInt32BE() / 2 ** 32;

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
  readonly #saver: DebouncedVaultSaver;
  readonly #history: HistoryWriter;
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
    const saved = options.vault.state;
    this.#model = modelFromVault(
      journal === undefined
        ? saved
        : replayQueueJournal(saved, journal.pendingAfter(saved.queueJournal)),
      this.#key.serviceId,
      this.#now(),
      options.incomingLimits,
    ).model;
    this.#saver = new DebouncedVaultSaver({
      debounceMs: options.saveDebounceMs ?? 100,
      snapshot: () => {
        const state = vaultFromModel(this.#model, options.vault.state, this.#now());
        return journal === undefined ? state : { ...state, queueJournal: journal.mark() };
      },
      save: async (state, saveOptions) => {
        await options.vault.save(state, saveOptions);
        // The journal records this state holds may go (at once after a deletion).
        if (journal !== undefined && state.queueJournal !== undefined) {
          await journal.folded(state.queueJournal, saveOptions);
        }
      },
      onError: (error) => this.#emit(errorEvent(error)),
      isClosed: () => this.#closed,
    });
    this.#history = new HistoryWriter(options.vault, this.#model, (error) =>
      this.#emit(errorEvent(error)),
    );
    this.#model.conversations.onChange = (address, change) =>
      this.#history.changed(address, change);
    const key = this.#key;
    const identity = { serviceId: key.serviceId, sign: (m: Uint8Array) => key.sign(m) };
    this.#bulk = new BulkLinks({ ...options, identity, files: () => this.#files, now: this.#now });
    const emit = (e: CoreEvent): void => this.#emit(e);
    this.#files = new FileTransfers(emit, options.downloadsDir, this.#now, this.#bulk);
    const isContact = (id: string): boolean => {
      const c = this.#model.book.get(toAddress(id));
      return c !== undefined && !c.blocked;
    };
    this.#isContact = isContact;
    this.#endpoints = new Endpoints({
      tor: options.tor,
      identity: key,
      book: this.#model.endpoints,
      enabled: (options.features ?? SOTTO_FEATURES).includes(ENDPOINTS_FEATURE),
      now: this.#now,
      manager: () => this.#manager,
      isContact,
      busy: (link) => this.#files.activeOn(link),
      changed: () => this.#changed(),
      emit: (e) => this.#emit(e),
    });
    const moves = (this.#moves = new CircuitMoves({
      now: this.#now,
      replace: (id) => this.#manager.replace(id),
      files: this.#files,
      resume: (id) => this.#guard(() => this.#sendQueued(toAddress(id))),
      settings: options.circuits,
    }));
    this.#manager = new ConnectionManager({
      tor: options.tor,
      identity,
      wantsConnection: (id) => this.#wantsConnection(toAddress(id)),
      isKnownContact: isContact,
      routeFor: (id) => this.#endpoints.routes.route(id),
      endpointIdentity: key,
      onRouteResult: (id, route, result) =>
        this.#guard(() => this.#endpoints.routeResult(id, route, result)),
      admitUnknown: (id) => this.#admitUnknown(toAddress(id)),
      onEvent: (id, link, event) =>
        this.#guard(() => {
          moves.onEvent(id, link, event);
          this.#onConnectionEvent(toAddress(id), link, event);
        }),
      ...moves.managerHooks(),
      onBulk: (id, link, known) => this.#bulk.adopt(id, link, known),
      onBulkEvent: (id, link, e) => this.#bulk.onLinkEvent(id, link, e),
      onGone: (id, link, next) => this.#guard(() => this.#onGone(toAddress(id), link, next)),
      isBusy: (link) => this.#files.activeOn(link),
      onReleased: (_id, link) => this.#guard(() => this.#files.linkGone(link)),
      onDialFailed: (id) => this.#guard(() => this.#onDialFailed(toAddress(id))),
      onError: (error) => this.#emit(errorEvent(error)),
      ...(options.features ? { features: options.features } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.inboundLimits ? { inboundLimits: options.inboundLimits } : {}),
      now: this.#now,
    });
    this.#identity = identityOnionOf({
      tor: options.tor,
      key,
      manager: this.#manager,
      model: this.#model,
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
      persistence: {
        changed: () => this.#changed(),
        persist: async () => {
          this.#changed();
          await this.flush();
        },
        persistQueued: async (address, message) => {
          if (journal !== undefined) {
            try {
              await journal.append({
                serviceId: toServiceId(address),
                localId: message.localId,
                text: message.text,
                at: message.composedAt,
              });
              return this.#changed(); // folded into the vault by the next (debounced) save
            } catch (error) {
              this.#emit(errorEvent(error)); // the journal failed: save the whole vault instead
            }
          }
          this.#changed();
          await this.flush();
        },
        persistDeletion: async (address) => {
          this.#pruneGone();
          await this.#saver.saveNow({ forget: true });
          await this.#history.shred(address);
        },
        historyEnabled: (address) => this.#history.enabled(address),
      },
      delivery: {
        queue: (a) => this.#queue(a),
        sendQueued: (a) => this.#sendQueued(a),
        messageState: (a, id, state) => this.#messageState(a, id, state),
      },
      links: {
        refuseLink: (a) => this.#requests.refuseLink(a),
        knownLink: (a) => this.#knownLink(a),
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

  /** Writes pending state changes to the vault now. */
  async flush(): Promise<void> {
    await this.#saver.flush();
    await this.#history.settled();
  }

  // ---- commands ----

  #run(command: CoreCommand): Promise<void> {
    return runCommand(this.#context, command);
  }

  #queue(address: RicochetId): SendQueue {
    let q = this.#model.queues.get(address);
    if (q === undefined) {
      // Saved outgoing history is keyed by local id: a new queue continues after it.
      const lastId = this.#model.conversations.of(address).lastOutgoingId();
      q = new SendQueue({ firstLocalId: lastId + 1 });
      this.#model.queues.set(address, q);
    }
    return q;
  }

  /** The live connection of an accepted contact, if it is a known-contact connection. */
  #knownLink(address: RicochetId): PeerLink | undefined {
    const link = this.#manager.live(toServiceId(address));
    return link !== undefined && link.connection.isKnownContact ? link : undefined;
  }

  #sendQueued(address: RicochetId): void {
    const q = this.#queue(address);
    const link = this.#knownLink(address);
    if (link === undefined || !q.connected || this.#moves.holdsSending(link)) return;
    const batch = q.takeSendable(this.#now());
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
      this.#moves.sent(link, wireId);
      this.#messageState(address, m.localId, 'sent');
    }
  }

  #messageState(
    address: RicochetId,
    id: number,
    state: 'queued' | 'sent' | 'delivered' | 'failed',
  ): void {
    this.#model.conversations.of(address).setOutgoingState(id, state);
    // The queue's state (wire id once sent, failed after the last try) is what a restart resumes
    // from: every transition is saved, or a crash could re-send a failed message.
    this.#changed();
    this.#emit({ type: 'message-state', address, id, state });
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
    const { book } = this.#model;
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
        this.#queue(address).onConnected(random01);
        this.#moves.onChatReady(toServiceId(address), link); // may resume a move's sending
        return this.#sendQueued(address);
      case 'chat-message': {
        const view = this.#model.conversations
          .of(address)
          .receive(event.id, event.text, event.timeDelta, this.#now());
        if (view === undefined) return;
        if (book.has(address)) book.addUnread(address);
        this.#emit({
          type: 'message',
          address,
          id: event.id,
          text: event.text,
          timeDelta: view.timeDelta,
        });
        return; // saved by the history log (HistoryWriter), not by a vault save
      }
      case 'chat-ack': {
        const m = this.#queue(address).onAck(event.id, event.accepted);
        if (m === undefined) return;
        this.#messageState(address, m.localId, m.state);
        if (m.state === 'delivered') this.#emit({ type: 'delivered', address, id: m.localId });
        this.#changed();
        // A message the connection held back (too many unacknowledged) may go now.
        return this.#sendQueued(address);
      }
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
    this.#files.linkGone(link);
    this.#endpoints.linkGone(link);
    this.#requests.linkGone(address, link);
    // A newer known-contact link of the same peer took over (the duplicate rule): still online.
    if (replacedBy?.connection.isKnownContact !== true) {
      this.#emitAll(this.#model.book.setOnline(address, false));
    }
    const q = this.#model.queues.get(address);
    for (const m of q?.onDisconnected() ?? []) this.#messageState(address, m.localId, 'failed');
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
    this.#pruneGone();
    this.#saver.changed();
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
