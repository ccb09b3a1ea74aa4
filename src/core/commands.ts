// The CoreCommands of the messenger core (src/api/core-api.ts, docs/HEADLESS.md) mapped to actions on
// its models and connections. Messenger (messenger.ts) supplies the context; handlers throw typed
// errors that the Messenger turns into `error` events.
import type { CoreCommand, CoreEvent, DeliveryState, RicochetId } from '../api/core-api.js';
import type { Conversation } from './conversation.js';
import type { CoreModel } from './vault-mapping.js';
import { safeNickname, toAddress, toServiceId } from './vault-mapping.js';
import type { ConnectionManager } from './connection-manager.js';
import type { FileTransfers } from './file-transfers.js';
import type { PeerLink } from './peer-link.js';
import { outgoingView, type OutgoingMessage, type SendQueue } from './send-queue.js';
import { parseRicochetAddress } from '../identity/service-id.js';
import { validateNickname } from '../contacts/text-rules.js';
import { CoreError } from './errors.js';
import { settingFromCommand, type IdentityOnion } from './identity-onion.js';

export class UnknownCommandError extends CoreError {
  readonly code: string = 'unknown-command';
  override name = 'UnknownCommandError';
}

/** How commands make a change durable (src/core/vault-saver.ts behind it). */
export interface Persistence {
  /** Something the vault stores changed (saved after a short debounce). */
  changed(): void;
  /** Save now and wait until the vault file holds the change. */
  persist(): Promise<void>;
  /**
   * `message` was just queued for `address`: resolves once a file holds it (an fdatasync'ed
   * journal append, or a whole vault save), so a crash after `queued` cannot lose it.
   */
  persistQueued(address: RicochetId, message: OutgoingMessage): Promise<void>;
  /**
   * Save now after a deletion and wait until no file Sotto keeps (vault, `.prev`, damaged copies,
   * temp files, `address`'s history log) holds what was deleted: the conversation key is erased
   * from every copy of the vault, then its log file is removed (crypto-shredding).
   */
  persistDeletion(address: RicochetId): Promise<void>;
  /** History was turned on: the conversation as shown becomes the saved history. */
  historyEnabled(address: RicochetId): Promise<void>;
}

/** Outgoing messages: each contact's send queue, sending what is due, and state changes. */
export interface Delivery {
  queue(address: RicochetId): SendQueue;
  sendQueued(address: RicochetId): void;
  messageState(address: RicochetId, id: number, state: DeliveryState): void;
}

/** The live links commands act on. */
export interface Links {
  /** Closes the peer's live link; a stranger is told 'rejected' first (contact-requests.ts). */
  refuseLink(address: RicochetId): void;
  /** The live connection of an accepted contact, if it is a known-contact connection. */
  knownLink(address: RicochetId): PeerLink | undefined;
}

/** What the commands need from the Messenger. */
export interface CommandContext {
  readonly address: RicochetId;
  readonly model: CoreModel;
  readonly manager: ConnectionManager;
  readonly files: FileTransfers;
  readonly persistence: Persistence;
  readonly delivery: Delivery;
  readonly links: Links;
  /** The dark identity onion setting (identity-onion.ts). */
  readonly identity: IdentityOnion;
  now(): number;
  emit(event: CoreEvent): void;
  emitAll(events: readonly CoreEvent[]): void;
  close(): Promise<void>;
}

/**
 * An address a command acts on. Commands that bring an address into Sotto (`add`, `block`) check
 * its key fully; the others name a contact, request or block Sotto holds already (fully checked
 * when it entered), and anything else fails as unknown, so the structure is enough.
 */
function parse(address: string, keyCheck: 'full' | 'structure' = 'structure'): RicochetId {
  return toAddress(parseRicochetAddress(address, { keyCheck }));
}

/**
 * The contact's conversation with its saved history in place (read from its log on first use,
 * docs/PROFILE.md "Loading on first use"); at once when it is loaded already.
 */
async function loaded(ctx: CommandContext, address: RicochetId): Promise<Conversation> {
  const conversation = ctx.model.conversations.of(address);
  return conversation.loaded ? conversation : ctx.model.conversations.load(address);
}

export async function runCommand(ctx: CommandContext, command: CoreCommand): Promise<void> {
  const { book, requests } = ctx.model;
  const now = ctx.now();
  switch (command.type) {
    case 'id':
      return ctx.emit({ type: 'id', address: ctx.address });
    case 'add': {
      const address = parse(command.address, 'full');
      if (requests.has(address)) {
        return runCommand(ctx, { type: 'accept', address, nickname: command.nickname });
      }
      ctx.emitAll(book.addOutgoing(address, command.nickname, command.message, now));
      book.setHistoryEnabled(address, ctx.model.settings.historyDefault);
      ctx.manager.track(toServiceId(address));
      return ctx.persistence.changed();
    }
    case 'accept': {
      const address = parse(command.address);
      // Everything that can fail (no such request, a refused nickname, a full book) fails before
      // the request leaves the store: a failed accept changes nothing.
      const request = requests.pending(address);
      const given = command.nickname ?? '';
      const nickname = given === '' ? safeNickname(request.nickname, toServiceId(address)) : given;
      ctx.emitAll(book.addAccepted(address, nickname, now));
      requests.accept(address);
      book.setHistoryEnabled(address, ctx.model.settings.historyDefault);
      const link = ctx.manager.live(toServiceId(address));
      if (link !== undefined && !link.connection.isKnownContact) {
        link.run((c) => c.respondToContactRequest('accepted'));
        if (link.connection.isKnownContact) ctx.emitAll(book.setOnline(address, true));
      }
      ctx.manager.track(toServiceId(address));
      return ctx.persistence.changed();
    }
    case 'reject': {
      const address = parse(command.address);
      requests.reject(address);
      ctx.links.refuseLink(address);
      return ctx.persistence.changed();
    }
    case 'block': {
      const address = parse(command.address, 'full');
      requests.block(address); // a full block list throws here, before anything changed
      if (book.has(address)) ctx.emitAll(book.block(address));
      ctx.links.refuseLink(address);
      ctx.manager.forget(toServiceId(address));
      return ctx.persistence.changed();
    }
    case 'unblock': {
      const address = parse(command.address);
      requests.unblock(address);
      if (book.has(address)) {
        ctx.emitAll(book.unblock(address));
        ctx.manager.track(toServiceId(address));
      }
      return ctx.persistence.changed();
    }
    case 'remove': {
      const address = parse(command.address);
      const events = book.remove(address);
      ctx.model.queues.delete(address);
      ctx.model.conversations.forget(address);
      ctx.manager.forget(toServiceId(address));
      // Reported done only once no kept file holds the contact's history any more.
      await ctx.persistence.persistDeletion(address);
      return ctx.emitAll(events);
    }
    case 'rename': {
      const address = parse(command.address);
      ctx.emitAll(book.rename(address, command.nickname));
      return ctx.persistence.changed();
    }
    case 'retry': {
      const address = parse(command.address);
      const c = book.get(address);
      if (c !== undefined && c.state !== 'accepted') ctx.emitAll(book.retryRequest(address));
      book.view(address); // throws UnknownContactError for strangers
      ctx.manager.track(toServiceId(address));
      ctx.manager.retryNow(toServiceId(address));
      return ctx.persistence.changed();
    }
    case 'send': {
      const address = parse(command.address);
      book.view(address);
      const conversation = await loaded(ctx, address);
      const queue = ctx.delivery.queue(address);
      queue.continueAfter(conversation.lastOutgoingId()); // saved outgoing ids are never reused
      const m = queue.enqueue(command.text, now);
      conversation.recordOutgoing(outgoingView(address, m));
      // `queued` promises the message survives a crash: it is in the vault file before we say so.
      await ctx.persistence.persistQueued(address, m);
      ctx.emit({ type: 'queued', address, id: m.localId, text: m.text });
      ctx.delivery.sendQueued(address);
      return;
    }
    case 'send-file': {
      const address = parse(command.address);
      book.view(address);
      await ctx.files.send(address, ctx.links.knownLink(address), command.path);
      return;
    }
    case 'accept-file':
      return ctx.files.accept(parse(command.address), command.fileId);
    case 'reject-file':
      return ctx.files.reject(parse(command.address), command.fileId);
    case 'cancel-file':
      return ctx.files.cancel(parse(command.address), command.fileId);
    case 'history': {
      const address = parse(command.address);
      const wasEnabled = book.historyEnabled(address);
      book.setHistoryEnabled(address, command.enabled);
      // Turning history off drops the saved history: the same promise as clear-history.
      if (wasEnabled && !command.enabled) return ctx.persistence.persistDeletion(address);
      ctx.persistence.changed();
      if (!wasEnabled && command.enabled) await ctx.persistence.historyEnabled(address);
      return;
    }
    case 'clear-history': {
      const address = parse(command.address);
      book.view(address);
      ctx.model.conversations.of(address).clear();
      return ctx.persistence.persistDeletion(address);
    }
    case 'contacts':
      return ctx.emit({ type: 'contacts', contacts: book.list() });
    case 'requests':
      return ctx.emit({ type: 'requests', requests: requests.list() });
    case 'messages': {
      const address = parse(command.address);
      book.view(address);
      const messages = (await loaded(ctx, address)).list();
      return ctx.emit({ type: 'messages', address, messages });
    }
    case 'retry-message': {
      const address = parse(command.address);
      const m = ctx.delivery.queue(address).retry(command.id);
      ctx.delivery.messageState(address, m.localId, m.state);
      ctx.delivery.sendQueued(address);
      return ctx.persistence.changed();
    }
    case 'discard-message': {
      const address = parse(command.address);
      ctx.delivery.queue(address).discard(command.id);
      return ctx.persistence.changed();
    }
    case 'mark-read':
      book.markRead(parse(command.address));
      return ctx.persistence.changed();
    case 'block-unknown':
      requests.blockUnknown = command.enabled;
      return ctx.persistence.changed();
    case 'set-nickname': {
      const nickname = command.nickname === '' ? '' : validateNickname(command.nickname);
      const { ownNickname: _previous, ...settings } = ctx.model.settings;
      ctx.model.settings = nickname === '' ? settings : { ...settings, ownNickname: nickname };
      ctx.persistence.changed();
      return ctx.emit({ type: 'own-nickname', nickname });
    }
    case 'own-nickname':
      return ctx.emit({ type: 'own-nickname', nickname: ctx.model.settings.ownNickname ?? '' });
    case 'identity-online':
      return ctx.emit(ctx.identity.view());
    case 'set-identity-online':
      // Saved and answered at once; tor publishes or removes the onion in the background.
      ctx.identity.set(settingFromCommand(command.mode, command.minutes, now), false);
      await ctx.persistence.persist();
      return ctx.emit(ctx.identity.view());
    case 'quit':
      await ctx.close();
      return ctx.emit({ type: 'quit' });
    default:
      throw new UnknownCommandError('unknown command');
  }
}
