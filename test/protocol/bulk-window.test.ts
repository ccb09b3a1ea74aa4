// The file window of a sender (docs/PROTOCOL.md "file-transfer: sending", "Bulk connections"):
// stop-and-wait with a Ricochet peer, a fixed 16 chunks on a windowed control connection, and on a
// Sotto bulk connection a window that grows by probes while each raises the rate, up to 64 chunks.
// The connection cases send a real file through a pipe that carries at most `perStep` frames per
// 10 ms step (the circuit), so the window meets a bandwidth limit, not only a round trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_CHUNK } from '../../src/protocol/limits.js';
import {
  BULK_WINDOW_MAX_CHUNKS,
  BULK_WINDOW_STEP_CHUNKS,
  FILE_WINDOW_CHUNKS,
  FileWindow,
} from '../../src/protocol/channels/file-window.js';
import { FakeClock, Pair, seededRandom } from './connection-harness.js';
import type { ConnectionOptions } from '../../src/protocol/connection-types.js';

const CHUNK = MAX_FILE_CHUNK;

/** Acks one round trip's worth (`window.chunks` chunks) spread over `ms`; returns the window. */
function round(w: FileWindow, at: { acked: number; now: number }, ms: number): number {
  const chunks = w.chunks;
  for (let i = 1; i <= chunks; i++) {
    at.now += ms / chunks;
    at.acked += CHUNK;
    w.acked(at.acked, at.now);
  }
  return w.chunks;
}

describe('FileWindow', () => {
  it('is one chunk in stop-and-wait and 16 when windowed, whatever the acks say', () => {
    for (const [mode, chunks] of [
      ['stop-and-wait', 1],
      ['windowed', FILE_WINDOW_CHUNKS],
    ] as const) {
      const w = new FileWindow(mode);
      const at = { acked: 0, now: 0 };
      for (let i = 0; i < 20; i++) round(w, at, 1 + (i % 3));
      expect(w.chunks).toBe(chunks);
    }
  });

  it('on a bulk link grows while the rate grows (window-bound path), and stops at 64', () => {
    const w = new FileWindow('bulk');
    expect(w.chunks).toBe(FILE_WINDOW_CHUNKS);
    const at = { acked: 0, now: 0 };
    const seen: number[] = [w.chunks];
    // A fixed 200 ms round trip: each round moves a whole window, so more window is more rate.
    for (let i = 0; i < 12; i++) seen.push(round(w, at, 200));
    expect(Math.max(...seen)).toBe(BULK_WINDOW_MAX_CHUNKS);
    expect(seen.at(-1)).toBe(BULK_WINDOW_MAX_CHUNKS);
    expect(new Set(seen)).toEqual(new Set([16, 32, 48, 64]));
  });

  it('on a bulk link undoes a probe that does not raise the rate (bandwidth-bound path)', () => {
    const w = new FileWindow('bulk');
    const at = { acked: 0, now: 0 };
    const seen: number[] = [w.chunks];
    // The round trip grows with the window: the same bytes per ms whatever is in flight.
    for (let i = 0; i < 12; i++) seen.push(round(w, at, w.chunks * 12));
    expect(Math.max(...seen)).toBe(FILE_WINDOW_CHUNKS + BULK_WINDOW_STEP_CHUNKS);
    expect(w.chunks).toBe(FILE_WINDOW_CHUNKS);
  });

  it('keeps a probe on a circuit that carries a third more than 16 chunks let out, then stops', () => {
    const w = new FileWindow('bulk');
    const at = { acked: 0, now: 0 };
    // 200 ms round trip, and the circuit carries at most 1.3× what 16 chunks per round trip move.
    const capacity = (1.3 * FILE_WINDOW_CHUNKS) / 200; // chunks per ms
    for (let i = 0; i < 12; i++) round(w, at, Math.max(200, w.chunks / capacity));
    expect(w.chunks).toBe(FILE_WINDOW_CHUNKS + BULK_WINDOW_STEP_CHUNKS);
  });

  it('does not probe while the rate still grows at 16 chunks (tor slow start)', () => {
    const w = new FileWindow('bulk');
    const at = { acked: 0, now: 0 };
    // Each round 1.5× faster than the one before.
    for (let i = 0, ms = 2_000; i < 6; i++, ms /= 1.5) round(w, at, ms);
    expect(w.chunks).toBe(FILE_WINDOW_CHUNKS);
  });

  it('stays in [16, 64] in steps of 16 and shrinks at most once, then stays, for any acks', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            chunks: fc.integer({ min: 0, max: 80 }),
            ms: fc.integer({ min: 0, max: 5_000 }),
          }),
          { maxLength: 200 },
        ),
        (steps) => {
          const w = new FileWindow('bulk');
          let acked = 0;
          let now = 0;
          let last = w.chunks;
          let shrunk = false;
          for (const s of steps) {
            acked += s.chunks * CHUNK;
            now += s.ms;
            w.acked(acked, now);
            expect(w.chunks).toBeGreaterThanOrEqual(FILE_WINDOW_CHUNKS);
            expect(w.chunks).toBeLessThanOrEqual(BULK_WINDOW_MAX_CHUNKS);
            expect(w.chunks % BULK_WINDOW_STEP_CHUNKS).toBe(0);
            if (shrunk) expect(w.chunks).toBe(last);
            if (w.chunks < last) {
              expect(w.chunks).toBe(last - BULK_WINDOW_STEP_CHUNKS);
              shrunk = true;
            }
            last = w.chunks;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Everything `conn` has to write (takeOutput hands out one chunk at a time). */
function drain(conn: { takeOutput(): Uint8Array[] }, into: Uint8Array[]): void {
  for (let frames = conn.takeOutput(); frames.length > 0; frames = conn.takeOutput()) {
    into.push(...frames);
  }
}

/**
 * Sends a file of `chunks` chunks client → server through a pipe that carries at most `perStep`
 * frames each way per 10 ms step; returns the most chunks the sender had unacknowledged.
 */
function transfer(client: Partial<ConnectionOptions>, chunks: number, perStep: number) {
  const clock = new FakeClock();
  const pair = new Pair({ clock, known: true, client });
  pair.connectAsContacts();
  // One random chunk, each copy marked with its index (cheap to make, no two chunks alike).
  const block = seededRandom('window')(CHUNK);
  const data = new Uint8Array(chunks * CHUNK - 100);
  for (let i = 0; i < data.length; i++)
    data[i] = (block[i % CHUNK] ?? 0) ^ (Math.floor(i / CHUNK) & 255);
  const fileId = pair.client.offer('big.bin', data);
  pair.pump();
  pair.server.conn.acceptFile(fileId);
  const up: Uint8Array[] = [];
  const down: Uint8Array[] = [];
  let maxInFlight = 0;
  let requested = 0;
  let acked = 0;
  for (let step = 0; step < 100_000; step++) {
    for (const e of pair.client.drainEvents()) {
      if (e.type === 'file-chunk-needed') requested++;
      if (e.type === 'file-progress') acked++;
      maxInFlight = Math.max(maxInFlight, requested - acked);
    }
    pair.server.drainEvents();
    drain(pair.client.conn, up);
    drain(pair.server.conn, down);
    if (up.length === 0 && down.length === 0) break;
    for (const f of up.splice(0, perStep)) pair.server.conn.receive(f);
    for (const f of down.splice(0, perStep)) pair.client.conn.receive(f);
    clock.advance(10);
  }
  pair.pump();
  expect(Buffer.from(pair.server.receivedFile(fileId)).equals(data)).toBe(true);
  expect(pair.server.of('file-complete')).toMatchObject([{ fileId, result: 'success' }]);
  expect(pair.client.of('file-complete')).toMatchObject([{ fileId, result: 'success' }]);
  return maxInFlight;
}

describe('file window on a connection', () => {
  it('a bulk connection whose circuit carries more grows its window to 64 chunks', () => {
    expect(transfer({ purpose: 'bulk' }, 320, 1_000)).toBe(BULK_WINDOW_MAX_CHUNKS);
  });

  it('a bulk connection on a circuit that carries 8 chunks per step probes once, no more', () => {
    expect(transfer({ purpose: 'bulk' }, 120, 8)).toBe(
      FILE_WINDOW_CHUNKS + BULK_WINDOW_STEP_CHUNKS,
    );
  });

  it('the control connection keeps 16 chunks and a Ricochet peer 1, however fast the circuit', () => {
    expect(transfer({}, 60, 1_000)).toBe(FILE_WINDOW_CHUNKS);
    expect(transfer({ features: [] }, 30, 1_000)).toBe(1);
  });
});
