// The connection side of moving a contact to a fresh circuit (issue 14; docs/SEAMS.md §4
// "Replacement"), kept out of the ConnectionManager: per-peer isolation keys (a move asks tor for
// a fresh circuit with a new one), which dialled link replaces which live link, and the old
// link's drain. When the new link wins the duplicate rule the old one is not closed by us: the
// peer closes it as it takes the new one (3.0.41 `assignConnection` and Sotto alike), and until
// then its chat acks and messages still count. If the old link closes first (its circuit was the
// slower one), it waits a short while for the new one instead of going offline.
import { randomBytes } from 'node:crypto';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { PeerLink } from './peer-link.js';

/** How long a link left by a move may take to drain (the peer closes it) before we close it. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** How long a link that closed during its move waits for the new link before going offline. */
export const ORPHAN_WAIT_MS = 10_000;

export interface LinkMovesHooks {
  /** The move's new link is live; `previous` drains until `onDrained`. */
  readonly onMoved?: (peer: string, previous: PeerLink, next: PeerLink) => void;
  readonly onDrained?: (peer: string, previous: PeerLink) => void;
  /** Events of a draining link the owner still needs (chat acks and messages, file offers). */
  readonly onEvent: (peer: string, link: PeerLink, event: ConnectionEvent) => void;
  /** A link closed during its move and no new link came in time: it is gone after all. */
  readonly gone: (peer: string, link: PeerLink) => void;
  /** A draining link closed: the owner forgets it. */
  readonly closed: (link: PeerLink) => void;
}

export class LinkMoves {
  readonly #hooks: LinkMovesHooks;
  readonly #drainTimeoutMs: number;
  readonly #isolation = new Map<string, string>();
  /** Dialled link → the live link it is to replace. */
  readonly #replaces = new WeakMap<PeerLink, PeerLink>();
  readonly #draining = new Map<string, { link: PeerLink; timer: NodeJS.Timeout }>();
  readonly #orphans = new Map<string, { link: PeerLink; timer: NodeJS.Timeout }>();

  constructor(hooks: LinkMovesHooks, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
    this.#hooks = hooks;
    this.#drainTimeoutMs = drainTimeoutMs;
  }

  /** The SOCKS isolation key for dialling `peer`: one per contact until a move renews it. */
  isolationKey(peer: string): string {
    return this.#isolation.get(peer) ?? `contact:${peer}`;
  }

  /** A move starts: later dials of `peer` use a new key, hence a new circuit. */
  renewIsolation(peer: string): void {
    this.#isolation.set(peer, `contact:${peer}:${randomBytes(8).toString('hex')}`);
  }

  /** True while a move of `peer` is not finished (a drain or an orphan waits). */
  busy(peer: string): boolean {
    return this.#draining.has(peer) || this.#orphans.has(peer);
  }

  isDraining(peer: string, link: PeerLink): boolean {
    return this.#draining.get(peer)?.link === link;
  }

  /** `next` (a dialled link) is to replace `previous`. */
  dialled(next: PeerLink, previous: PeerLink): void {
    this.#replaces.set(next, previous);
  }

  /** True when `next` was dialled to replace `previous` (a move's link). */
  replaces(next: PeerLink, previous: PeerLink): boolean {
    return this.#replaces.get(next) === previous;
  }

  /** `next` won the duplicate rule over `existing`: true when that is a move (it drains). */
  takeOver(peer: string, existing: PeerLink, next: PeerLink): boolean {
    if (this.#replaces.get(next) !== existing || existing.closed) return false;
    const timer = setTimeout(() => existing.close(), this.#drainTimeoutMs);
    timer.unref();
    this.#draining.set(peer, { link: existing, timer });
    return true;
  }

  /**
   * The live link closed. True when a link replacing it is already connecting: it waits for that
   * one (ORPHAN_WAIT_MS) instead of going offline.
   */
  orphan(peer: string, link: PeerLink, replacementConnecting: boolean): boolean {
    if (!replacementConnecting) return false;
    const timer = setTimeout(() => this.orphanGone(peer), ORPHAN_WAIT_MS);
    timer.unref();
    this.#orphans.set(peer, { link, timer });
    return true;
  }

  /** The replacement of an orphaned link failed (or came too late): the old one is gone. */
  orphanGone(peer: string): void {
    const orphan = this.#orphans.get(peer);
    if (orphan === undefined) return;
    clearTimeout(orphan.timer);
    this.#orphans.delete(peer);
    this.#hooks.gone(peer, orphan.link);
  }

  /** `next` is live now (after the duplicate rule): report the move, if it was one. */
  live(peer: string, next: PeerLink): void {
    const previous = this.#replaces.get(next);
    if (previous === undefined) return;
    const orphan = this.#orphans.get(peer);
    if (orphan?.link === previous) {
      clearTimeout(orphan.timer);
      this.#orphans.delete(peer);
      this.#hooks.onMoved?.(peer, previous, next);
      this.#hooks.onDrained?.(peer, previous);
    } else if (this.#draining.get(peer)?.link === previous) {
      this.#hooks.onMoved?.(peer, previous, next);
    }
  }

  /**
   * An event of a draining link: acks, messages and file offers still count (an offer made just
   * before the move moves with its transfer to the new link: file-transfers.ts); its end ends
   * the drain.
   */
  drainEvent(peer: string, link: PeerLink, event: ConnectionEvent): void {
    if (event.type === 'chat-ack' || event.type === 'chat-message' || event.type === 'file-offer') {
      this.#hooks.onEvent(peer, link, event);
      return;
    }
    if (event.type !== 'closed') return;
    const drain = this.#draining.get(peer);
    if (drain?.link !== link) return;
    clearTimeout(drain.timer);
    this.#draining.delete(peer);
    this.#hooks.closed(link);
    this.#hooks.onDrained?.(peer, link);
  }

  /** The contact is forgotten: close what drains, drop its key. */
  forget(peer: string): void {
    this.#draining.get(peer)?.link.close();
    this.orphanGone(peer);
    this.#isolation.delete(peer);
  }
}
