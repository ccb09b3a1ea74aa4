// How many file chunks a sender keeps unacknowledged (docs/PROTOCOL.md "file-transfer: sending",
// "Bulk connections"): one in plain Ricochet mode (stop-and-wait, as 3.0.41), FILE_WINDOW_CHUNKS
// when both peers negotiated the windowed mode, and BULK_FILE_WINDOW_CHUNKS on a Sotto bulk
// connection (docs/PERFORMANCE.md "Bulk window": over tor the chunk → ack round trip grows with
// the window while the rate stays the circuit's; 32 led 16 in 13 of 22 same-run pairs, and showed
// no gain in the quiet ten-run sets). The receiver needs no new agreement: no Sotto
// receiver counts chunks in flight (each is checked against the file's size and acked as it
// comes), and it bounds its memory by not reading the connection while its disk lags (core:
// MAX_UNWRITTEN_FILE_BYTES, TCP backpressure), so an older one is never overrun.

/** Chunks in flight (unacknowledged, including requested from the app) in windowed mode. */
export const FILE_WINDOW_CHUNKS = 16;
/** Chunks in flight on a bulk connection: 32 × 64,512 B = 2,064,384 B. */
export const BULK_FILE_WINDOW_CHUNKS = 32;

export type FileWindowMode = 'stop-and-wait' | 'windowed' | 'bulk';

/** The window of one outgoing transfer, by the connection's mode. */
export class FileWindow {
  constructor(readonly mode: FileWindowMode) {}

  get chunks(): number {
    if (this.mode === 'stop-and-wait') return 1;
    return this.mode === 'bulk' ? BULK_FILE_WINDOW_CHUNKS : FILE_WINDOW_CHUNKS;
  }
}
