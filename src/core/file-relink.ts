// File transfers across a replaced control link (docs/ENDPOINTS.md §2, issue 14 moves): a send
// waits for the link replacing a closed one instead of failing 'not online', and an offer nobody
// answered yet moves to the contact's new link, where the sender offers it again once under the
// same id and the receiver takes it as the same offer (same name, size and SHA3-512 hash), so the
// user sees it exactly once (file-transfers.ts keeps the transfers).
import type { RicochetId } from '../api/core-api.js';
import type { ConnectionEvent } from '../protocol/connection-types.js';
import type { PeerLink } from './peer-link.js';
import { PeerOfflineError } from './file-errors.js';

/** How long a send waits for the link replacing a closed one (link-moves.ts ORPHAN_WAIT_MS). */
export const REPLACEMENT_WAIT_MS = 10_000;

/** The contact's control links as the connection manager knows them. */
export interface ControlLinks {
  live(address: RicochetId): PeerLink | undefined;
  /** A link replacing the closed live one is on its way (the contact is not offline yet). */
  replacing(address: RicochetId): boolean;
}

/** What an outgoing transfer offered, or an incoming one was offered. */
export interface OfferedFile {
  readonly name: string;
  readonly size: number;
  readonly hash: Uint8Array;
}

/** A transfer as far as moving it to another link goes. */
export interface MovableTransfer {
  readonly address: RicochetId;
  readonly fileId: number;
  readonly direction: 'in' | 'out';
  /** What was offered: an offer again on a new link must match it. */
  readonly offer?: OfferedFile;
  /** The link it runs on: a control link replaced before the peer answered hands it over. */
  link: PeerLink;
  /** The peer answered the offer (out) or the user did (in): it no longer moves to a new link. */
  answered: boolean;
}

type FileOfferEvent = Extract<ConnectionEvent, { type: 'file-offer' }>;

/** The contact's live control link for a send, waiting for a replacement on its way. */
export class ControlLinkWait {
  readonly #links: ControlLinks;
  readonly #now: () => number;
  /** Sends waiting for the link that replaces a closed one (see `linkLive`). */
  readonly #waiting = new Set<() => void>();

  constructor(links: ControlLinks, now: () => number) {
    this.#links = links;
    this.#now = now;
  }

  /** The contact's live control link now. */
  live(address: RicochetId): PeerLink | undefined {
    return this.#links.live(address);
  }

  /** A control link became live: sends waiting for a replacement go on. */
  linkLive(): void {
    for (const wake of [...this.#waiting]) wake();
  }

  /**
   * The contact's live control link; while a replacement of a closed one is on its way (a move,
   * crossed endpoint dials) it waits for it, at most REPLACEMENT_WAIT_MS.
   */
  async controlLink(address: RicochetId, link: PeerLink | undefined): Promise<PeerLink> {
    for (const until = this.#now() + REPLACEMENT_WAIT_MS; ;) {
      const live = this.#links.live(address) ?? link;
      if (live !== undefined && !live.closed) return live;
      if (!this.#links.replacing(address) || this.#now() >= until) break;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, until - this.#now()));
        this.#waiting.add(wake);
      });
    }
    throw new PeerOfflineError('the contact is not online');
  }
}

/** The same file offered again: same name, size and hash. */
export function isSameOffer(t: MovableTransfer, offer: FileOfferEvent): boolean {
  const o = t.offer;
  if (o === undefined || o.name !== offer.name || o.size !== offer.size) return false;
  return Buffer.from(o.hash).equals(Buffer.from(offer.hash));
}

/**
 * `link` ended: moves `t` to the contact's link that replaced it (`next`, else the live one) when
 * nobody answered its offer yet and `link` was a control link; false when it cannot move (then
 * it failed). An outgoing offer is made again on the new link under the same id.
 */
export function moveToReplacement(
  t: MovableTransfer,
  link: PeerLink,
  next: PeerLink | undefined,
  links: ControlLinkWait,
): boolean {
  const to = link.connection.purpose === 'bulk' ? undefined : (next ?? links.live(t.address));
  if (to === undefined || to === link || to.closed || t.answered) return false;
  if (t.direction === 'out') {
    if (t.offer === undefined) return false;
    const offer = t.offer;
    if (to.run((c) => c.offerFile(offer, t.fileId)) !== t.fileId) return false;
  }
  t.link = to;
  return true;
}
