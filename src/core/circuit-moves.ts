// Slow-circuit moves for the messenger (issue 14; docs/SEAMS.md §4 "Replacement"): times each
// contact connection's round trips (a few KeepAlive probes when it goes live, then every chat
// ack), feeds them to the SlowCircuitDetector, and asks the ConnectionManager to `replace` a
// contact whose circuit is slow. While a move drains the old link, sending is held: acks still
// arriving on the old link settle what they can, then the rest goes out on the new link with the
// same wire ids (SendQueue), so the peer sees each message once and in order. `status` and
// `settled` say when a contact's live link has its verdict and no move is under way (benches wait
// for that before they measure steady-state chat: docs/PERFORMANCE.md).
import { abortError } from '../onion/abort.js';
import type { PeerLink } from './peer-link.js';
import type { ConnectionManagerOptions } from './connection-manager-options.js';
import type { FileTransfers } from './file-transfers.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import {
  SlowCircuitDetector,
  type CircuitRoute,
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

/** Where a contact's circuit stands (`CircuitMoves.status`). */
export interface CircuitStatus {
  /** The live link it is about. */
  readonly linkId: number;
  readonly route: CircuitRoute;
  /**
   * What the detector concluded from that link's first full window of round trips (probes, then
   * chat acks): keep it, or move ('explore' / 'slow': whether the move could start is `moving`).
   * Undefined until then.
   */
  readonly verdict: 'keep' | MoveDecision['reason'] | undefined;
  /** The median of that window (ms). */
  readonly medianMs: number | undefined;
  /** A move of the contact is under way: dialled, not yet live, or its old link still draining. */
  readonly moving: boolean;
  /** Moves started for the contact so far (slow, explore or requested). */
  readonly moves: number;
}

export interface CircuitMovesOptions {
  readonly now: () => number;
  /** The contact's live link (ConnectionManager.live). */
  readonly live: (serviceId: string) => PeerLink | undefined;
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
  /** A move we started (`#start`), not another replacement (the endpoint upgrade's). */
  readonly ours: boolean;
  drained: boolean;
  chatReady: boolean;
}

interface Timed {
  probesLeft: number;
  readonly sentAt: Map<number, number>;
  verdict?: { readonly reason: CircuitStatus['verdict']; readonly medianMs: number };
}

export class CircuitMoves {
  readonly detector: SlowCircuitDetector;
  readonly #o: CircuitMovesOptions;
  readonly #moving = new Map<string, Moving>();
  readonly #links = new WeakMap<PeerLink, Timed>();
  /** Contacts whose move was dialled and whose new link is not live yet. */
  readonly #dialling = new Set<string>();
  readonly #moveCounts = new Map<string, number>();
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(options: CircuitMovesOptions) {
    this.#o = options;
    const { onMove: _onMove, onMoveDone: _onMoveDone, ...detector } = options.settings ?? {};
    this.detector = new SlowCircuitDetector(detector);
  }

  /** The ConnectionManager's callbacks for live links and moves. */
  managerHooks(): Pick<
    ConnectionManagerOptions,
    'onLive' | 'onMoved' | 'onDrained' | 'onMoveFailed'
  > {
    return {
      onLive: (id, link) => this.onLive(id, link),
      onMoved: (id, _previous, next) => {
        const ours = this.#dialling.delete(id);
        this.#moving.set(id, { next, ours, drained: false, chatReady: false });
        this.#changed(id);
      },
      onDrained: (id, previous) => {
        this.#o.files.linkGone(previous);
        this.onDrained(id);
      },
      onMoveFailed: (id) => {
        if (this.#dialling.delete(id)) this.#changed(id);
      },
    };
  }

  /** Where `serviceId`'s circuit stands; undefined while it has no live link. */
  status(serviceId: string): CircuitStatus | undefined {
    const link = this.#o.live(serviceId);
    if (link === undefined) return undefined;
    const verdict = this.#links.get(link)?.verdict;
    return {
      linkId: link.id,
      route: link.connection.isEndpointSession ? 'endpoint' : 'identity',
      verdict: verdict?.reason,
      medianMs: verdict?.medianMs,
      moving: this.#dialling.has(serviceId) || this.#moving.has(serviceId),
      moves: this.#moveCounts.get(serviceId) ?? 0,
    };
  }

  /**
   * Resolves with the status once `serviceId`'s live link has its verdict and no move is under
   * way (at once if so now); rejects with the signal's reason when it aborts.
   */
  settled(serviceId: string, signal: AbortSignal): Promise<CircuitStatus> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiters.get(serviceId) ?? new Set<() => void>();
      this.#waiters.set(serviceId, waiters);
      const done = (): void => {
        waiters.delete(check);
        if (waiters.size === 0) this.#waiters.delete(serviceId);
        signal.removeEventListener('abort', aborted);
      };
      const check = (): void => {
        const status = this.status(serviceId);
        if (status?.verdict === undefined || status.moving) return;
        done();
        resolve(status);
      };
      const aborted = (): void => {
        done();
        reject(abortError(signal));
      };
      if (signal.aborted) return reject(abortError(signal));
      signal.addEventListener('abort', aborted, { once: true });
      waiters.add(check);
      check();
    });
  }

  /** True while a move drains: nothing is sent on `link` until `resume`. */
  holdsSending(link: PeerLink): boolean {
    return this.#moving.has(link.connection.peerServiceId ?? '');
  }

  /** A link became the live one for a contact. */
  onLive(serviceId: string, link: PeerLink): void {
    const route = link.connection.isEndpointSession ? 'endpoint' : 'identity';
    const moving = this.#moving.get(serviceId); // onMoved comes first
    const byMove = moving?.next === link && moving.ours;
    this.detector.connectionStarted(serviceId, link.id, { route, now: this.#o.now(), byMove });
    this.#links.set(link, { probesLeft: PROBES_PER_CONNECTION, sentAt: new Map() });
    this.#dialling.delete(serviceId); // a new live link ends any move's dial (onMoved came first)
    this.#changed(serviceId);
  }

  /** The live link of a contact ended (not a drained one). */
  onGone(serviceId: string, link: PeerLink): void {
    this.detector.connectionEnded(serviceId, link.id, this.#o.now());
    const moving = this.#moving.get(serviceId);
    if (moving?.next === link) this.#moving.delete(serviceId);
    this.#dialling.delete(serviceId);
    this.#changed(serviceId);
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
    this.#dialling.delete(serviceId);
  }

  #sample(serviceId: string, link: PeerLink, ms: number): void {
    if (link.closed || this.#o.files.activeOn(link)) return;
    const now = this.#o.now();
    const decision = this.detector.sample(serviceId, link.id, ms, now);
    const timed = this.#links.get(link);
    const medianMs = this.detector.windowMedianMs(serviceId, link.id);
    if (timed !== undefined && timed.verdict === undefined && medianMs !== undefined) {
      timed.verdict = { reason: decision?.reason ?? 'keep', medianMs };
      this.#changed(serviceId);
    }
    if (decision === undefined || !this.#start({ serviceId, ...decision })) return;
    this.detector.moved(serviceId, link.id, decision, now);
  }

  #start(move: CircuitMove): boolean {
    if (this.#moving.has(move.serviceId) || !this.#o.replace(move.serviceId)) return false;
    this.#dialling.add(move.serviceId);
    this.#moveCounts.set(move.serviceId, (this.#moveCounts.get(move.serviceId) ?? 0) + 1);
    this.#o.settings?.onMove?.(move);
    this.#changed(move.serviceId);
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
    this.#changed(serviceId);
  }

  /** Something a `settled` waiter looks at changed. */
  #changed(serviceId: string): void {
    for (const check of [...(this.#waiters.get(serviceId) ?? [])]) check();
  }
}
