// The file window of a sender (docs/PROTOCOL.md "file-transfer: sending", "Bulk connections"):
// stop-and-wait with a Ricochet peer, 16 chunks on a windowed control connection, 32 on a Sotto
// bulk connection. Each case sends a real file through a pipe that carries at most `perStep`
// frames each way per 10 ms step (the circuit), fast or slow, and counts the chunks in flight.
import { describe, expect, it } from 'vitest';
import { MAX_FILE_CHUNK } from '../../src/protocol/limits.js';
import {
  BULK_FILE_WINDOW_CHUNKS,
  FILE_WINDOW_CHUNKS,
} from '../../src/protocol/channels/file-window.js';
import { FakeClock, Pair, seededRandom } from './connection-harness.js';
import type { ConnectionOptions } from '../../src/protocol/connection-types.js';

const CHUNK = MAX_FILE_CHUNK;

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
function transfer(
  client: Partial<ConnectionOptions>,
  chunks: number,
  perStep: number,
  server: Partial<ConnectionOptions> = {},
) {
  const clock = new FakeClock();
  const pair = new Pair({ clock, known: true, client, server });
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
  for (const perStep of [1_000, 8]) {
    it(`a bulk connection keeps ${BULK_FILE_WINDOW_CHUNKS} chunks in flight (${perStep} frames per step)`, () => {
      expect(transfer({ purpose: 'bulk' }, 100, perStep)).toBe(BULK_FILE_WINDOW_CHUNKS);
    });
  }

  it('the control connection keeps 16 chunks and a Ricochet peer 1, however fast the circuit', () => {
    expect(transfer({}, 60, 1_000)).toBe(FILE_WINDOW_CHUNKS);
    expect(transfer({ features: [] }, 30, 1_000)).toBe(1);
  });

  it('a bulk connection to a peer without the windowed mode stays stop-and-wait', () => {
    expect(transfer({ purpose: 'bulk' }, 10, 1_000, { features: [] })).toBe(1);
  });
});
