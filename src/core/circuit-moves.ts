// Slow-circuit moves for the messenger (issue 14; docs/SEAMS.md §4 "Replacement"): times each
// contact connection's round trips (a few KeepAlive probes when it goes live, then every chat
// ack), feeds them to the SlowCircuitDetector, and asks the ConnectionManager to `replace` a
// contact whose circuit is slow. While a move drains the old link, sending is held: acks still
// arriving on the old link settle what they can, then the rest goes out on the new link with the
// same wire ids (SendQueue), so the peer sees each message once and in order.
import type { PeerLink } from './peer-link.js';
import type { ConnectionManagerOptions } from './connection-manager-options.js';
import type { FileTransfers } from './file-transfers.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import {
  SlowCircuitDetector,
  type MoveDecision,
  type SlowCircuitOptions,
} from './slow-circuit-detector.js';

/** KeepAlive probes sent one after another when a contact link goes live. */
export const PROBES_PER_CONNECTION = 5;
/** Chat messages per link whose send time we keep for their ack. */
const MAX_TIMED_MESSAGES = 256;

export interface CircuitMove {
  readonly serviceId: string;
  readonly reason: MoveDecision['reason'] | 'requested';
  readonly medianMs?: number;
  readonly referenceMs?: number;
}

/** The messenger's setting: the rule's parameters and a hook on every move (benches, tests). */
export type CircuitSettings = Partial<SlowCircuitOptions> & {
  readonly onMove?: (move: CircuitMove) => void;
  /** A move finished: the old link drained, the new one carries the chat. */
  readonly onMoveDone?: (serviceId: string) => void;
};

export interface CircuitMovesOptions {
  readonly now: () => number;
  /** ConnectionManager.replace: false when no move can start now. */
  readonly replace: (serviceId: string) => boolean;
  /** Transfers on a link: round trips measure them, not the circuit; a drained link ends them. */
  readonly files: Pick<FileTransfers, 'activeOn' | 'linkGone'>;
  /** A move's drain ended and the new link's chat is ready: send what waits. */
  readonly resume: (serviceId: string) => void;
  readonly settings?: CircuitSettings | undefined;
}

interface Moving {
  readonly next: PeerLink;
  drained: boolean;
  chatReady: boolean;
}

interface Timed {
  probesLeft: number;
  readonly sentAt: Map<number, number>;
}

export class CircuitMoves {
  readonly detector: SlowCircuitDetector;
  readonly #o: CircuitMovesOptions;
  readonly #moving = new Map<string, Moving>();
  readonly #links = new WeakMap<PeerLink, Timed>();

  constructor(options: CircuitMovesOptions) {
    this.#o = options;
    const { onMove: _onMove, onMoveDone: _onMoveDone, ...detector } = options.settings ?? {};
    this.detector = new SlowCircuitDetector(detector);
  }

  /** The ConnectionManager's callbacks for live links and moves. */
  managerHooks(): Pick<ConnectionManagerOptions, 'onLive' | 'onMoved' | 'onDrained'> {
    return {
      onLive: (id, link) => this.onLive(id, link),
      onMoved: (id, _previous, next) =>
        this.#moving.set(id, { next, drained: false, chatReady: false }),
      onDrained: (id, previous) => {
        this.#o.files.linkGone(previous);
        this.onDrained(id);
      },
    };
  }

  /** True while a move drains: nothing is sent on `link` until `resume`. */
  holdsSending(link: PeerLink): boolean {
    return this.#moving.has(link.connection.peerServiceId ?? '');
  }

  /** A link became the live one for a contact. */
  onLive(serviceId: string, link: PeerLink): void {
    const route = link.connection.isEndpointSession ? 'endpoint' : 'identity';
    this.detector.connectionStarted(serviceId, link.id, { route, now: this.#o.now() });
    this.#links.set(link, { probesLeft: PROBES_PER_CONNECTION, sentAt: new Map() });
  }

  /** The live link of a contact ended (not a drained one). */
  onGone(serviceId: string, link: PeerLink): void {
    this.detector.connectionEnded(serviceId, link.id, this.#o.now());
    const moving = this.#moving.get(serviceId);
    if (moving?.next === link) this.#moving.delete(serviceId);
  }

  onDrained(serviceId: string): void {
    const moving = this.#moving.get(serviceId);
    if (moving === undefined) return;
    moving.drained = true;
    this.#maybeResume(serviceId, moving);
  }

  /** The live link's chat channel opened (a known contact's link): probe, maybe resume. */
  onChatReady(serviceId: string, link: PeerLink): void {
    this.#probe(link);
    const moving = this.#moving.get(serviceId);
    if (moving?.next !== link) return;
    moving.chatReady = true;
    this.#maybeResume(serviceId, moving);
  }

  /** A chat message went on the wire on `link`. */
  sent(link: PeerLink, wireId: number): void {
    const timed = this.#links.get(link);
    if (timed === undefined || timed.sentAt.size >= MAX_TIMED_MESSAGES) return;
    timed.sentAt.set(wireId, this.#o.now());
  }

  /** Events of a contact's links; round trips are sampled here (acks included). */
  onEvent(serviceId: string, link: PeerLink, event: ConnectionEvent): void {
    const timed = this.#links.get(link);
    if (timed === undefined) return;
    if (event.type === 'round-trip') {
      this.#sample(serviceId, link, event.ms);
      if (timed.probesLeft > 0) this.#probe(link);
    } else if (event.type === 'chat-ack') {
      const at = timed.sentAt.get(event.id);
      if (at === undefined) return;
      timed.sentAt.delete(event.id);
      this.#sample(serviceId, link, this.#o.now() - at);
    }
  }

  /** Move a contact to a fresh circuit now (the user or a test asks). */
  requestMove(serviceId: string, link: PeerLink | undefined): boolean {
    if (link === undefined || this.#o.files.activeOn(link)) return false;
    return this.#start({ serviceId, reason: 'requested' });
  }

  forget(serviceId: string): void {
    this.detector.forget(serviceId);
    this.#moving.delete(serviceId);
  }

  #sample(serviceId: string, link: PeerLink, ms: number): void {
    if (link.closed || this.#o.files.activeOn(link)) return;
    const now = this.#o.now();
    const decision = this.detector.sample(serviceId, link.id, ms, now);
    if (decision === undefined || !this.#start({ serviceId, ...decision })) return;
    this.detector.moved(serviceId, link.id, decision, now);
  }

  #start(move: CircuitMove): boolean {
    if (this.#moving.has(move.serviceId) || !this.#o.replace(move.serviceId)) return false;
    this.#o.settings?.onMove?.(move);
    return true;
  }

  #probe(link: PeerLink): void {
    const timed = this.#links.get(link);
    if (timed === undefined || timed.probesLeft <= 0) return;
    if (link.run((c) => c.probeRoundTrip()) === true) timed.probesLeft--;
  }

  #maybeResume(serviceId: string, moving: Moving): void {
    if (!moving.drained || !moving.chatReady) return;
    this.#moving.delete(serviceId);
    this.#o.resume(serviceId);
    this.#o.settings?.onMoveDone?.(serviceId);
  }
}
