// Inbound capacity of our onion listener, as the core shares it out: strangers (connections not yet
// authenticated, or authenticated as unknown peers) get a bounded share and are evicted oldest
// first to make room; a contact's authenticated connection is never evicted for a stranger; a
// stranger's connection kept for its pending contact request is bounded too (SECURITY.md "A
// spammer", docs/ARCHITECTURE.md "Inbound capacity"). Until the Ricochet auth proof we cannot tell
// who connects, so an unauthenticated contact connection counts as a stranger's until it proves.
// Endpoint connections (docs/ENDPOINTS.md §2) arrive on an onion only one contact can reach:
// they count as that contact's from the first byte, during the Gosling handshake too.
import type { PeerLink } from './peer-link.js';

/**
 * Inbound connections held at once, below the listener's own cap (MAX_INBOUND_CONNECTIONS, 512,
 * src/onion/onion-service.ts) so that the core, not the listener, decides who is turned away.
 */
export const DEFAULT_MAX_INBOUND = 480;
/**
 * Inbound connections that are not an authenticated contact's. The rest of DEFAULT_MAX_INBOUND
 * (224) is reserved for authenticated contacts.
 */
export const DEFAULT_MAX_STRANGER_INBOUND = 256;
/** Stranger connections kept open for a pending contact request (at most one per address). */
export const DEFAULT_MAX_REQUEST_CONNECTIONS = 32;

export interface InboundLimits {
  readonly maxInbound: number;
  readonly maxStrangers: number;
  readonly maxRequestConnections: number;
}

/** The core's own counters of inbound load (for tests, benches and diagnostics). */
export interface InboundLoad {
  /** Inbound links of authenticated contacts. */
  readonly contacts: number;
  /** Inbound links of strangers (unauthenticated, or authenticated as unknown). */
  readonly strangers: number;
  /** Stranger links held open for a pending contact request. */
  readonly requestConnections: number;
  /** Stranger links closed to make room (oldest first). */
  readonly evicted: number;
  /** Inbound sockets refused on arrival because every slot held a contact. */
  readonly refused: number;
}

export class InboundSlots {
  readonly limits: InboundLimits;
  /** Server-role links in arrival order (oldest first). */
  readonly #links = new Set<PeerLink>();
  /** Stranger links holding a pending request, in the order they were held (oldest first). */
  readonly #requestHolders = new Set<PeerLink>();
  /** Endpoint sockets still in their Gosling handshake (contacts' from the first byte). */
  #pendingContacts = 0;
  #evicted = 0;
  #refused = 0;

  constructor(limits: Partial<InboundLimits> = {}) {
    this.limits = {
      maxInbound: DEFAULT_MAX_INBOUND,
      maxStrangers: DEFAULT_MAX_STRANGER_INBOUND,
      maxRequestConnections: DEFAULT_MAX_REQUEST_CONNECTIONS,
      ...limits,
    };
    const { maxInbound, maxStrangers, maxRequestConnections } = this.limits;
    if (!(maxRequestConnections >= 0 && maxStrangers >= 1 && maxInbound > maxStrangers)) {
      throw new RangeError('inbound limits must satisfy 0 <= requests, 1 <= strangers < inbound');
    }
  }

  get load(): InboundLoad {
    const strangers = this.#strangers().length;
    return {
      contacts: this.#links.size - strangers + this.#pendingContacts,
      strangers,
      requestConnections: this.#requestHolders.size,
      evicted: this.#evicted,
      refused: this.#refused,
    };
  }

  /**
   * A new inbound socket arrived: while strangers fill their share, or every slot is taken, the
   * oldest stranger is evicted (destroyed): first one that authenticated (its request, if any, is
   * already recorded), else the oldest unauthenticated one. False (counted) if every slot holds a
   * contact: the new socket must be refused.
   */
  makeRoom(): boolean {
    const { maxInbound, maxStrangers } = this.limits;
    for (;;) {
      const strangers = this.#strangers();
      const taken = this.#links.size + this.#pendingContacts;
      if (strangers.length < maxStrangers && taken < maxInbound) return true;
      if (!this.#evictOne(strangers)) return false;
    }
  }

  /**
   * A contact's endpoint socket arrived: it takes a slot at once (strangers are evicted while
   * every slot is taken). False (counted) if every slot holds a contact. `release()` when its
   * handshake ends; a link that follows is then `add`ed.
   */
  admitContact(): { release: () => void } | undefined {
    while (this.#links.size + this.#pendingContacts >= this.limits.maxInbound) {
      if (!this.#evictOne(this.#strangers())) return undefined;
    }
    this.#pendingContacts++;
    let released = false;
    return {
      release: () => {
        if (!released) this.#pendingContacts--;
        released = true;
      },
    };
  }

  add(link: PeerLink): void {
    if (!link.closed) this.#links.add(link);
  }

  /** The link closed (or was evicted). */
  remove(link: PeerLink): void {
    this.#links.delete(link);
    this.#requestHolders.delete(link);
  }

  /**
   * Keeps a stranger's inbound link open for its pending request. Past the bound the oldest held
   * one is closed (gracefully: the requester sees a close after Pending, not a rejection); its
   * request stays pending for the user.
   */
  holdForRequest(link: PeerLink): void {
    if (!this.#links.has(link) || isContact(link)) return;
    this.#requestHolders.delete(link);
    this.#requestHolders.add(link);
    for (const held of this.#requestHolders) {
      if (this.#requestHolders.size <= this.limits.maxRequestConnections) break;
      this.#requestHolders.delete(held);
      this.#evicted++;
      held.close();
    }
  }

  /**
   * Evicts (destroys) the oldest stranger that authenticated (its request, if any, is recorded),
   * else the oldest one; false (a refusal, counted) when there is none: every slot is a contact's.
   */
  #evictOne(strangers: readonly PeerLink[]): boolean {
    const victim = strangers.find((l) => l.connection.isAuthenticated) ?? strangers[0];
    if (victim === undefined) {
      this.#refused++;
      return false;
    }
    this.remove(victim);
    this.#evicted++;
    victim.destroy();
    return true;
  }

  #strangers(): PeerLink[] {
    return [...this.#links].filter((l) => !isContact(l));
  }
}

function isContact(link: PeerLink): boolean {
  return link.connection.isAuthenticated && link.connection.isKnownContact;
}
