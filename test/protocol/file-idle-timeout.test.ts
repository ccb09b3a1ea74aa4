// Idle deadline of accepted file transfers (FILE_TRANSFER_IDLE_TIMEOUT_MS), driven by tick(now)
// with a fake clock: a peer that accepts and then goes silent cannot pin a transfer forever.
import { describe, expect, it } from 'vitest';
import { FakeClock, Pair, seededRandom } from './connection-harness.js';
import { MAX_FILE_CHUNK } from '../../src/protocol/limits.js';
import { FILE_TRANSFER_IDLE_TIMEOUT_MS } from '../../src/protocol/connection-types.js';
import { FileTransferStalledError } from '../../src/protocol/errors.js';

function setUp(size: number): { pair: Pair; clock: FakeClock; fileId: number; data: Uint8Array } {
  const clock = new FakeClock();
  const pair = new Pair({ clock, known: true });
  pair.connectAsContacts();
  const data = seededRandom('idle')(size);
  const fileId = pair.client.offer('f.bin', data);
  pair.pump();
  return { pair, clock, fileId, data };
}

describe('file transfer idle deadline', () => {
  it('the receiver fails a transfer whose sender stops sending, and tells the sender', () => {
    const { pair, clock, fileId } = setUp(3 * MAX_FILE_CHUNK);
    pair.client.autoServeChunks = false; // the sender's side never hands over a chunk
    pair.server.conn.acceptFile(fileId);
    pair.pump();
    pair.server.conn.tick(clock.advance(FILE_TRANSFER_IDLE_TIMEOUT_MS - 1));
    pair.pump();
    expect(pair.server.of('file-complete')).toEqual([]);

    pair.server.conn.tick(clock.advance(1));
    pair.pump();
    const [ended] = pair.server.of('file-complete');
    expect(ended).toMatchObject({ fileId, direction: 'in', result: 'failed' });
    expect(ended?.error).toBeInstanceOf(FileTransferStalledError);
    expect(pair.client.of('file-complete')).toEqual([
      { type: 'file-complete', fileId, direction: 'out', result: 'failed' },
    ]);
    expect(pair.server.conn.state).toBe('open');
    expect(pair.client.conn.state).toBe('open');
  });

  it('the sender fails a transfer whose receiver stops acknowledging, and tells the receiver', () => {
    const { pair, clock, fileId } = setUp(3 * MAX_FILE_CHUNK);
    pair.server.conn.acceptFile(fileId);
    pair.server.drainEvents();
    for (const frame of pair.server.conn.takeOutput()) pair.client.conn.receive(frame);
    pair.client.drainEvents(); // the first chunk is served: the receiver never sees it
    const lost = pair.client.conn.takeOutput();
    expect(lost.length).toBeGreaterThan(0);
    pair.client.conn.tick(clock.advance(FILE_TRANSFER_IDLE_TIMEOUT_MS - 1));
    pair.client.drainEvents();
    expect(pair.client.of('file-complete')).toEqual([]);

    pair.client.conn.tick(clock.advance(1));
    pair.client.drainEvents();
    const [ended] = pair.client.of('file-complete');
    expect(ended).toMatchObject({ fileId, direction: 'out', result: 'failed' });
    expect(ended?.error).toBeInstanceOf(FileTransferStalledError);
    pair.pump(); // the Failure notification reaches the receiver
    expect(pair.server.of('file-complete')).toEqual([
      { type: 'file-complete', fileId, direction: 'in', result: 'failed' },
    ]);
  });

  it('progress restarts the deadline; a finished transfer is not touched', () => {
    const { pair, clock, fileId, data } = setUp(2 * MAX_FILE_CHUNK);
    pair.client.autoServeChunks = false;
    pair.server.conn.acceptFile(fileId);
    pair.pump();
    const serve = (offset: number): void => {
      pair.client.conn.sendFileChunk(
        fileId,
        offset,
        data.subarray(offset, offset + MAX_FILE_CHUNK),
      );
      pair.pump();
    };
    clock.advance(FILE_TRANSFER_IDLE_TIMEOUT_MS - 1);
    serve(0);
    pair.client.conn.tick(clock.advance(FILE_TRANSFER_IDLE_TIMEOUT_MS - 1));
    pair.server.conn.tick(clock.now());
    pair.pump();
    expect(pair.server.of('file-complete')).toEqual([]);
    expect(pair.client.of('file-complete')).toEqual([]);
    serve(MAX_FILE_CHUNK);
    expect(pair.server.of('file-complete')).toEqual([
      { type: 'file-complete', fileId, direction: 'in', result: 'success' },
    ]);
    pair.client.conn.tick(clock.advance(10 * FILE_TRANSFER_IDLE_TIMEOUT_MS));
    pair.server.conn.tick(clock.now());
    pair.pump();
    expect(pair.client.of('file-complete')).toEqual([
      { type: 'file-complete', fileId, direction: 'out', result: 'success' },
    ]);
  });

  it('an offer awaiting the user decision never times out', () => {
    const { pair, clock, fileId } = setUp(100);
    pair.client.conn.tick(clock.advance(10 * FILE_TRANSFER_IDLE_TIMEOUT_MS));
    pair.server.conn.tick(clock.now());
    pair.pump();
    expect(pair.client.of('file-complete')).toEqual([]);
    expect(pair.server.of('file-complete')).toEqual([]);
    pair.server.conn.acceptFile(fileId);
    pair.pump();
    expect(pair.server.of('file-complete')).toMatchObject([{ fileId, result: 'success' }]);
  });
});
