// How many file chunks a sender keeps unacknowledged (docs/PROTOCOL.md "file-transfer: sending",
// "Bulk connections"): one in plain Ricochet mode (stop-and-wait, as 3.0.41), FILE_WINDOW_CHUNKS
// when both peers negotiated the windowed mode, and on a Sotto bulk connection a window that starts
// there and grows by probes while each probe raises the delivery rate (docs/PERFORMANCE.md "Bulk
// window"). A fixed window
// caps a transfer at window ÷ round trip: 16 chunks (1,032,192 B) over a ~0.22 s onion round trip
// is ~4.4 MiB/s, below what a fresh circuit carries on a quiet machine. The receiver needs no new
// agreement: no Sotto receiver counts chunks in flight (each is checked against the file's size
// and acked as it comes), and it bounds its memory by not reading the connection while its disk
// lags (core: MAX_UNWRITTEN_FILE_BYTES, TCP backpressure), so an older one is never overrun.
import { MAX_FILE_CHUNK } from '../limits.js';

/** Chunks in flight (unacknowledged, including requested from the app) in windowed mode. */
export const FILE_WINDOW_CHUNKS = 16;
/** The most a bulk connection's window grows to: 64 × 64,512 B = 4,128,768 B in flight. */
export const BULK_WINDOW_MAX_CHUNKS = 64;
/** What one step of growth adds (a probe). */
export const BULK_WINDOW_STEP_CHUNKS = 16;
/**
 * The share of the proportional gain a probe must show to be kept: from W to W + 16 chunks a path
 * bounded by the window moves (W + 16) / W times as much per round trip; a path bounded by tor
 * moves the same and only queues more. A quarter (16 → 32: +25 %) keeps a probe on a circuit that
 * carries a third more than the window lets out (the quiet-machine misses: raw 5.2–5.8 MiB/s
 * against Sotto's 4.0–4.5); a wrong keep only queues more inside tor.
 */
export const BULK_WINDOW_GAIN_SHARE = 0.25;
/** While the rate still grows by this factor per round (tor's slow start), no probe starts. */
export const BULK_WINDOW_WARMING_GROWTH = 1.1;

export type FileWindowMode = 'stop-and-wait' | 'windowed' | 'bulk';

/**
 * The window of one outgoing transfer: fixed unless the mode is 'bulk'. On a bulk connection it
 * measures the delivery rate per round (about one round trip: until a whole window beyond the
 * round's start is acked). Once the rate stops growing at 16 chunks it probes 16 more; a probe
 * that brings at least BULK_WINDOW_GAIN_SHARE of the proportional gain is kept and the next one
 * follows (up to BULK_WINDOW_MAX_CHUNKS), one that does not is undone and probing ends. The round
 * after a change still carries the old window and is not measured.
 */
export class FileWindow {
  #chunks: number;
  #phase: 'warming' | 'probing' | 'settled' = 'warming';
  /** The rate of the last measured round at the window before the probe (bytes per ms). */
  #baseline = 0;
  #round:
    { readonly startedAt: number; readonly fromAcked: number; readonly until: number } | undefined;
  /** The next completed round is not measured (the window just changed). */
  #settling = false;

  constructor(readonly mode: FileWindowMode) {
    this.#chunks = mode === 'stop-and-wait' ? 1 : FILE_WINDOW_CHUNKS;
  }

  get chunks(): number {
    return this.#chunks;
  }

  /**
   * The receiver acknowledged `acked` bytes (cumulative) at `now` (ms); the sender refills its
   * window right after. A round whose acks all came at its start instant (one read) runs on.
   */
  acked(acked: number, now: number): void {
    if (this.mode !== 'bulk' || this.#phase === 'settled') return;
    const round = this.#round;
    if (round !== undefined) {
      const elapsed = now - round.startedAt;
      if (acked < round.until || elapsed <= 0) return;
      if (this.#settling) this.#settling = false;
      else this.#measured((acked - round.fromAcked) / elapsed);
    }
    this.#round = {
      startedAt: now,
      fromAcked: acked,
      until: acked + this.#chunks * MAX_FILE_CHUNK,
    };
  }

  #measured(rate: number): void {
    if (this.#phase === 'warming') {
      if (rate >= this.#baseline * BULK_WINDOW_WARMING_GROWTH) {
        this.#baseline = rate;
        return;
      }
      this.#baseline = Math.max(this.#baseline, rate);
      this.#probe();
      return;
    }
    const before = this.#chunks - BULK_WINDOW_STEP_CHUNKS;
    const wanted = 1 + (this.#chunks / before - 1) * BULK_WINDOW_GAIN_SHARE;
    if (rate >= this.#baseline * wanted) {
      this.#baseline = rate;
      if (this.#chunks < BULK_WINDOW_MAX_CHUNKS) this.#probe();
      else this.#phase = 'settled';
    } else {
      this.#chunks = before;
      this.#phase = 'settled';
    }
  }

  #probe(): void {
    this.#chunks += BULK_WINDOW_STEP_CHUNKS;
    this.#phase = 'probing';
    this.#settling = true;
  }
}
