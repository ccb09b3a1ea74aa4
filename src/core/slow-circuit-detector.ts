// Notices a contact connection whose Tor circuit runs far slower than that contact's connections
// normally do (issue 14, docs/PERFORMANCE.md "Slow circuits"), and says when to move the contact
// to a fresh circuit. Sans-IO: round-trip samples and the time go in, decisions come out.
//
// The rule: a connection is slow when the median of its last `window` round trips is above both
// `factor` × the reference and the reference + `marginMs`. The reference is the best (lowest)
// median of the contact's recent connections on the same route (identity onion or endpoint onion;
// at most `history`, at most `historyMaxAgeMs` old): the identity link an endpoint upgrade leaves
// was measured while two onions were published, and says nothing of the endpoint's circuits. A
// contact without one borrows the best reference of any other contact; with no data at all the
// first full window of a contact's route whose median is at least `exploreAboveMs` triggers one
// exploratory move on that route, so two of its circuits are compared.
// Moves are rate limited per contact (`minMoveIntervalMs`, `maxMoves` per `movesWindowMs`) and
// across contacts (`globalMinIntervalMs`), so a network that is slow everywhere causes no storm.
// One exception to `minMoveIntervalMs`: a move that landed on a circuit slow by the rule (against
// a reference that now includes the circuit it left) may be followed at once — the move made
// things worse, and waiting would keep the contact on that circuit (a 96 ms one, over tor). The
// other limits still hold, so such follow-ups stop after `maxMoves`. The 15 s hold is per route:
// an exploratory move of the identity link while the endpoint upgrade runs does not hold back the
// first look at the endpoint's circuit seconds later (`maxMoves` counts both routes).

export interface SlowCircuitOptions {
  /** Round trips in the rolling median; a decision needs a full window. */
  readonly window: number;
  /** Slow = median above factor × reference ... */
  readonly factor: number;
  /** ... and above reference + marginMs (jitter at small round trips is not slowness). */
  readonly marginMs: number;
  /** Connections remembered per contact for its reference. */
  readonly history: number;
  readonly historyMaxAgeMs: number;
  readonly minMoveIntervalMs: number;
  readonly maxMoves: number;
  readonly movesWindowMs: number;
  readonly globalMinIntervalMs: number;
  /** With no reference anywhere, move once per contact to compare two circuits ... */
  readonly explore: boolean;
  /** ... when its first circuit's median is at least this (a fast one is not worth a look). */
  readonly exploreAboveMs: number;
}

export const DEFAULT_SLOW_CIRCUIT: SlowCircuitOptions = {
  window: 5,
  factor: 2,
  marginMs: 25,
  history: 4,
  historyMaxAgeMs: 30 * 60_000,
  minMoveIntervalMs: 15_000,
  maxMoves: 3,
  movesWindowMs: 10 * 60_000,
  globalMinIntervalMs: 2_000,
  explore: true,
  exploreAboveMs: 50,
};

/** Which onion a connection runs to: routes keep their references apart. */
export type CircuitRoute = 'identity' | 'endpoint';

export interface MoveDecision {
  readonly reason: 'slow' | 'explore';
  /** Median of the connection's last window of round trips (ms). */
  readonly medianMs: number;
  /** What it was compared with (ms); undefined when exploring. */
  readonly referenceMs: number | undefined;
}

/** The most round trips kept per connection for its overall median. */
const MAX_SAMPLES_PER_CONNECTION = 64;

interface ConnectionSamples {
  readonly id: number;
  readonly route: CircuitRoute;
  readonly all: number[];
  /** The circuit a move brought (`connectionStarted` … `byMove`). */
  readonly broughtByMove: boolean;
}

interface ContactState {
  current: ConnectionSamples | undefined;
  readonly history: {
    readonly medianMs: number;
    readonly at: number;
    readonly route: CircuitRoute;
  }[];
  /** Moves started (when, on which route), oldest first. */
  readonly moves: { readonly at: number; readonly route: CircuitRoute }[];
  /** Routes already explored (one exploratory move per route). */
  readonly explored: Set<CircuitRoute>;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export class SlowCircuitDetector {
  readonly options: SlowCircuitOptions;
  readonly #contacts = new Map<string, ContactState>();
  #lastMoveAt = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<SlowCircuitOptions> = {}) {
    this.options = { ...DEFAULT_SLOW_CIRCUIT, ...options };
    if (!Number.isInteger(this.options.window) || this.options.window < 1) {
      throw new RangeError('window must be a positive integer');
    }
  }

  /**
   * A connection to `contact` on `at.route` (default identity) became its live one (`id` names it
   * in later calls). The one it replaces, if still current (a move's drained link, the identity
   * link an endpoint upgrade left), ends at `at.now` first: what it showed joins its route's
   * history. `at.byMove`: it is the link a move (`moved`) brought, not any other new link.
   */
  connectionStarted(
    contact: string,
    id: number,
    at: { readonly route?: CircuitRoute; readonly now?: number; readonly byMove?: boolean } = {},
  ): void {
    const state = this.#state(contact);
    const previous = state.current;
    if (previous !== undefined && previous.id !== id && at.now !== undefined) {
      this.connectionEnded(contact, previous.id, at.now);
    }
    state.current = {
      id,
      route: at.route ?? 'identity',
      all: [],
      broughtByMove: at.byMove === true,
    };
  }

  /**
   * The live connection `id` ended (or was replaced): its median joins the contact's history if it
   * had a full window of samples.
   */
  connectionEnded(contact: string, id: number, now: number): void {
    const state = this.#contacts.get(contact);
    if (state?.current?.id !== id) return;
    const { all, route } = state.current;
    state.current = undefined;
    if (all.length < this.options.window) return;
    state.history.push({ medianMs: median(all), at: now, route });
    // At most `history` per route: a fallback to the identity onion does not push the endpoint's out.
    const ofRoute = state.history.filter((h) => h.route === route);
    if (ofRoute.length > this.options.history)
      state.history.splice(state.history.indexOf(ofRoute[0]!), 1);
  }

  /**
   * The median of the last full window of connection `id`, `contact`'s current one (ms);
   * undefined until it has had a full window of round trips.
   */
  windowMedianMs(contact: string, id: number): number | undefined {
    const current = this.#contacts.get(contact)?.current;
    return current?.id === id && this.#full(current) ? this.#recent(current) : undefined;
  }

  /** Forget a contact (removed, blocked). */
  forget(contact: string): void {
    this.#contacts.delete(contact);
  }

  /**
   * The reference a contact's connections on `route` (default: its live connection's) are judged
   * against now (ms), if any.
   */
  referenceMs(contact: string, now: number, route?: CircuitRoute): number | undefined {
    const on = route ?? this.#contacts.get(contact)?.current?.route ?? 'identity';
    const own = this.#ownReference(contact, now, on);
    if (own !== undefined) return own;
    let best: number | undefined;
    for (const [other, state] of this.#contacts) {
      if (other === contact) continue;
      const theirs = this.#ownReference(other, now);
      const live = state.current && this.#full(state.current) ? this.#recent(state.current) : NaN;
      for (const x of [theirs, live]) {
        if (x !== undefined && Number.isFinite(x))
          best = best === undefined ? x : Math.min(best, x);
      }
    }
    return best;
  }

  /**
   * One round trip (ms) measured on connection `id` of `contact`. Returns a decision to move the
   * contact to a fresh circuit, or undefined. Call `moved` once the move really started.
   */
  sample(contact: string, id: number, rttMs: number, now: number): MoveDecision | undefined {
    if (!Number.isFinite(rttMs) || rttMs < 0) return undefined;
    const state = this.#contacts.get(contact);
    const current = state?.current;
    if (state === undefined || current?.id !== id) return undefined;
    current.all.push(rttMs);
    if (current.all.length > MAX_SAMPLES_PER_CONNECTION) current.all.shift();
    if (!this.#full(current)) return undefined;
    const medianMs = this.#recent(current);
    const referenceMs = this.referenceMs(contact, now, current.route);
    let reason: MoveDecision['reason'];
    if (referenceMs === undefined) {
      if (!this.options.explore || state.explored.has(current.route)) return undefined;
      if (medianMs < this.options.exploreAboveMs) return undefined;
      reason = 'explore';
    } else {
      const threshold = Math.max(
        referenceMs * this.options.factor,
        referenceMs + this.options.marginMs,
      );
      if (medianMs <= threshold) return undefined;
      reason = 'slow';
    }
    const followUp = reason === 'slow' && current.broughtByMove;
    if (!this.#mayMove(state, now, current.route, followUp)) return undefined;
    return { reason, medianMs, referenceMs };
  }

  /** The move `sample` proposed for connection `id` started: it counts against the limits. */
  moved(contact: string, id: number, decision: MoveDecision, now: number): void {
    const state = this.#contacts.get(contact);
    if (state === undefined) return;
    const route = state.current?.id === id ? state.current.route : 'identity';
    if (decision.reason === 'explore') state.explored.add(route);
    state.moves.push({ at: now, route });
    this.#lastMoveAt = now;
    // The connection being left is judged by what it showed; its successor starts afresh.
    this.connectionEnded(contact, id, now);
  }

  /**
   * Within the limits for a move on `route`; `followUp`: the circuit a move just brought is slow
   * (no 15 s wait).
   */
  #mayMove(state: ContactState, now: number, route: CircuitRoute, followUp: boolean): boolean {
    const o = this.options;
    if (now - this.#lastMoveAt < o.globalMinIntervalMs) return false;
    while (state.moves.length > 0 && now - state.moves[0]!.at > o.movesWindowMs) {
      state.moves.shift();
    }
    const last = state.moves.filter((m) => m.route === route).at(-1);
    if (!followUp && last !== undefined && now - last.at < o.minMoveIntervalMs) return false;
    return state.moves.length < o.maxMoves;
  }

  /** The best recent median of `contact`'s connections on `route` (any route if undefined). */
  #ownReference(contact: string, now: number, route?: CircuitRoute): number | undefined {
    const state = this.#contacts.get(contact);
    let best: number | undefined;
    for (const h of state?.history ?? []) {
      if (now - h.at > this.options.historyMaxAgeMs) continue;
      if (route !== undefined && h.route !== route) continue;
      best = best === undefined ? h.medianMs : Math.min(best, h.medianMs);
    }
    return best;
  }

  #full(c: ConnectionSamples): boolean {
    return c.all.length >= this.options.window;
  }

  #recent(c: ConnectionSamples): number {
    return median(c.all.slice(-this.options.window));
  }

  #state(contact: string): ContactState {
    let state = this.#contacts.get(contact);
    if (state === undefined) {
      state = {
        current: undefined,
        history: [],
        moves: [],
        explored: new Set(),
      };
      this.#contacts.set(contact, state);
    }
    return state;
  }
}
