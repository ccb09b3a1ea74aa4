// The messenger's connection side wired together (docs/SEAMS.md §4): the ConnectionManager and the
// pieces that hook into it — endpoint onions and routes (endpoints.ts, issue 13), slow-circuit
// moves (circuit-moves.ts, issue 14), bulk links and file transfers (bulk-links.ts,
// file-transfers.ts). The Messenger keeps the contacts' meaning of the events (messenger.ts).
import type { CoreEvent, RicochetId } from '../api/core-api.js';
import type { IdentityKey } from '../identity/identity-key.js';
import type { TorProvider } from '../onion/tor-provider.js';
import { ENDPOINTS_FEATURE, SOTTO_FEATURES } from '../protocol/connection-types.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { BackoffOptions } from './backoff.js';
import { BulkLinks } from './bulk-links.js';
import { CircuitMoves, type CircuitSettings } from './circuit-moves.js';
import { ConnectionManager } from './connection-manager.js';
import { Endpoints } from './endpoints.js';
import { errorEvent } from './error-events.js';
import { FileTransfers } from './file-transfers.js';
import type { InboundLimits } from './inbound-slots.js';
import type { PeerLink } from './peer-link.js';
import { toAddress, toServiceId, type CoreModel } from './vault-mapping.js';

/** The MessengerOptions the connection side reads. */
export interface LinkSettings {
  readonly tor: TorProvider;
  readonly downloadsDir: string;
  readonly features?: readonly string[];
  readonly backoff?: Partial<BackoffOptions>;
  readonly inboundLimits?: Partial<InboundLimits>;
  readonly bulkMinFileBytes?: number;
  readonly circuits?: CircuitSettings;
}

/** What the Messenger does with what the links report (every hook runs guarded). */
export interface LinkOwner {
  readonly key: IdentityKey;
  readonly model: CoreModel;
  readonly now: () => number;
  readonly emit: (event: CoreEvent) => void;
  /** Runs `action`, reporting what it throws as an `error` event. */
  readonly guard: (action: () => void) => void;
  readonly changed: () => void;
  readonly isContact: (serviceId: string) => boolean;
  readonly wantsConnection: (address: RicochetId) => boolean;
  readonly admitUnknown: (address: RicochetId) => boolean;
  readonly onEvent: (address: RicochetId, link: PeerLink, event: ConnectionEvent) => void;
  readonly onGone: (address: RicochetId, link: PeerLink, replacedBy?: PeerLink) => void;
  readonly onDialFailed: (address: RicochetId) => void;
  /** A move's drain ended: send what waits for `address`. */
  readonly resume: (address: RicochetId) => void;
}

export interface MessengerLinks {
  readonly manager: ConnectionManager;
  readonly endpoints: Endpoints;
  readonly moves: CircuitMoves;
  readonly bulk: BulkLinks;
  readonly files: FileTransfers;
}

export function messengerLinks(settings: LinkSettings, owner: LinkOwner): MessengerLinks {
  const { key, now, emit, guard } = owner;
  const identity = { serviceId: key.serviceId, sign: (m: Uint8Array) => key.sign(m) };
  const bulk: BulkLinks = new BulkLinks({
    ...settings,
    identity,
    files: () => files,
    // The route the contact's control link is dialled along: its endpoint when we hold one.
    routeFor: (id) => endpoints.routes.route(id),
    endpointIdentity: key,
    now,
  });
  const files: FileTransfers = new FileTransfers(emit, settings.downloadsDir, now, bulk, {
    live: (a) => manager.live(toServiceId(a)),
    replacing: (a) => manager.replacing(toServiceId(a)),
  });
  const endpoints = new Endpoints({
    tor: settings.tor,
    identity: key,
    book: owner.model.endpoints,
    enabled: (settings.features ?? SOTTO_FEATURES).includes(ENDPOINTS_FEATURE),
    now,
    manager: () => manager,
    isContact: owner.isContact,
    busy: (link) => files.activeOn(link),
    changed: owner.changed,
    emit,
  });
  const moves = new CircuitMoves({
    now,
    live: (id) => manager.live(id),
    replace: (id) => manager.replace(id),
    files,
    resume: (id) => guard(() => owner.resume(toAddress(id))),
    settings: settings.circuits,
  });
  const manager: ConnectionManager = new ConnectionManager({
    tor: settings.tor,
    identity,
    wantsConnection: (id) => owner.wantsConnection(toAddress(id)),
    isKnownContact: owner.isContact,
    routeFor: (id) => endpoints.routes.route(id),
    endpointIdentity: key,
    onRouteResult: (id, route, result) => guard(() => endpoints.routeResult(id, route, result)),
    admitUnknown: (id) => owner.admitUnknown(toAddress(id)),
    onEvent: (id, link, event) =>
      guard(() => {
        moves.onEvent(id, link, event);
        owner.onEvent(toAddress(id), link, event);
      }),
    ...moves.managerHooks(),
    onLive: (id, link) => {
      moves.onLive(id, link);
      files.linkLive(); // a send waiting for this contact's new link goes on
    },
    onBulk: (id, link, known) => bulk.adopt(id, link, known),
    onBulkEvent: (id, link, e) => bulk.onLinkEvent(id, link, e),
    onGone: (id, link, next) => guard(() => owner.onGone(toAddress(id), link, next)),
    isBusy: (link) => files.activeOn(link),
    onReleased: (_id, link) => guard(() => files.linkGone(link)),
    onDialFailed: (id) => guard(() => owner.onDialFailed(toAddress(id))),
    onError: (error) => emit(errorEvent(error)),
    ...(settings.features ? { features: settings.features } : {}),
    ...(settings.backoff ? { backoff: settings.backoff } : {}),
    ...(settings.inboundLimits ? { inboundLimits: settings.inboundLimits } : {}),
    now,
  });
  return { manager, endpoints, moves, bulk, files };
}
