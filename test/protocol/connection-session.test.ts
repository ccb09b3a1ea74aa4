// Whole Ricochet v3 sessions between two sans-IO endpoints wired back to back (no sockets):
// introduction → auth → contact request → accept → chat → file transfer (plain and windowed) → close.
import { describe, expect, it } from 'vitest';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { ALICE, BOB, FakeClock, Pair, seededRandom } from './connection-harness.js';
import { decodePacket } from '../../src/protocol/packet-codec.js';
import { MAX_FILE_CHUNK } from '../../src/protocol/limits.js';
import { SOTTO_FEATURES, WINDOWED_FILE_FEATURE } from '../../src/protocol/connection-types.js';
import { FILE_WINDOW_CHUNKS } from '../../src/protocol/channels/file-send.js';
import fc from 'fast-check';

function fileOf(size: number, seed: string): Uint8Array {
  return seededRandom(seed)(size);
}

describe('RicochetConnection session', () => {
  it('authenticates, handles a contact request Pending → Accepted, and chats both ways', () => {
    const pair = new Pair({ clock: new FakeClock() });
    pair.pump();
    expect(pair.server.of('authenticated')).toEqual([
      { type: 'authenticated', peerServiceId: ALICE.serviceId, isKnownContact: false },
    ]);
    expect(pair.client.of('authenticated')).toEqual([
      { type: 'authenticated', peerServiceId: BOB.serviceId, isKnownContact: false },
    ]);

    pair.client.conn.sendContactRequest('Alice', 'Hi Bob, it is Alice.');
    pair.pump();
    expect(pair.server.of('contact-request-received')).toEqual([
      { type: 'contact-request-received', nickname: 'Alice', message: 'Hi Bob, it is Alice.' },
    ]);
    expect(pair.client.of('contact-request-response')).toEqual([
      { type: 'contact-request-response', status: 'pending' },
    ]);

    pair.server.conn.respondToContactRequest('accepted');
    pair.pump();
    expect(pair.client.of('contact-request-response').map((e) => e.status)).toEqual([
      'pending',
      'accepted',
    ]);
    expect(pair.client.conn.isKnownContact).toBe(true);
    expect(pair.server.conn.isKnownContact).toBe(true);
    expect(pair.client.of('chat-ready')).toHaveLength(1);
    expect(pair.server.of('chat-ready')).toHaveLength(1);

    const a1 = pair.client.conn.sendChatMessage('Hello Bob, grüße ✓ 日本語 😀');
    const a2 = pair.client.conn.sendChatMessage('second', { timeDelta: -30 });
    const b1 = pair.server.conn.sendChatMessage('Hi Alice');
    pair.pump();
    expect(a2).toBe((a1 + 1) >>> 0);
    expect(pair.server.of('chat-message')).toEqual([
      { type: 'chat-message', id: a1, text: 'Hello Bob, grüße ✓ 日本語 😀', timeDelta: 0 },
      { type: 'chat-message', id: a2, text: 'second', timeDelta: -30 },
    ]);
    expect(pair.client.of('chat-message')).toEqual([
      { type: 'chat-message', id: b1, text: 'Hi Alice', timeDelta: 0 },
    ]);
    expect(pair.client.of('chat-ack')).toEqual([
      { type: 'chat-ack', id: a1, accepted: true },
      { type: 'chat-ack', id: a2, accepted: true },
    ]);
    expect(pair.server.of('chat-ack')).toEqual([{ type: 'chat-ack', id: b1, accepted: true }]);

    // Channel ids as 3.0.41 uses them: client 1 (auth), 3 (request), 5 chat, 7 files; server 2, 4.
    const opened = pair.clientWrote
      .map((f) => decodePacket(f))
      .filter((r) => 'packet' in r && r.packet.channel === 5);
    expect(opened.length).toBeGreaterThan(0);

    pair.client.conn.close();
    pair.client.drainEvents();
    expect(pair.client.of('closing')).toEqual([{ type: 'closing', reason: 'local-close' }]);
    pair.client.conn.transportClosed();
    pair.server.conn.transportClosed();
    pair.client.drainEvents();
    pair.server.drainEvents();
    expect(pair.client.of('closed')).toEqual([
      { type: 'closed', reason: 'local-close', forced: false },
    ]);
    expect(pair.server.of('closed')).toEqual([
      { type: 'closed', reason: 'peer-closed', forced: false },
    ]);
  });

  it('re-sent duplicates are acked again but delivered once', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true });
    pair.connectAsContacts();
    const id = pair.client.conn.sendChatMessage('once');
    pair.pump();
    pair.client.conn.sendChatMessage('once', { id });
    pair.pump();
    expect(pair.server.of('chat-message')).toHaveLength(1);
    // Every copy is acknowledged (the re-send tells us it arrived), but delivered only once.
    expect(pair.client.of('chat-ack')).toEqual([
      { type: 'chat-ack', id, accepted: true },
      { type: 'chat-ack', id, accepted: true },
    ]);
  });

  for (const windowed of [false, true]) {
    it(`transfers a file with a verified hash (${windowed ? 'windowed' : 'stop-and-wait'})`, () => {
      const features = windowed ? [WINDOWED_FILE_FEATURE] : [];
      const pair = new Pair({
        clock: new FakeClock(),
        known: true,
        client: { features },
        server: { features },
      });
      pair.connectAsContacts();
      expect(pair.client.conn.windowedFileTransfer).toBe(windowed);
      const data = fileOf(20 * MAX_FILE_CHUNK + 1234, 'file');
      const fileId = pair.client.offer('report.pdf', data);
      pair.pump();
      expect(pair.server.of('file-offer')).toMatchObject([
        { fileId, name: 'report.pdf', size: data.length },
      ]);
      expect(pair.client.of('file-header-ack')).toEqual([
        { type: 'file-header-ack', fileId, accepted: true },
      ]);
      pair.server.conn.acceptFile(fileId);

      // Step by hand: count chunks in flight and slip a chat message in mid-transfer.
      pair.client.drainEvents();
      pair.server.drainEvents();
      let maxInFlight = 0;
      let chatSent = false;
      for (let step = 0; step < 1000; step++) {
        pair.server.drainEvents();
        pair.client.drainEvents();
        const fromServer = pair.server.conn.takeOutput();
        for (const f of fromServer) pair.client.conn.receive(f);
        pair.client.drainEvents();
        const fromClient = pair.client.conn.takeOutput();
        const requested = pair.client.of('file-chunk-needed').length;
        const acked = pair.client.of('file-progress').length;
        maxInFlight = Math.max(maxInFlight, requested - acked);
        if (!chatSent && acked === 1) {
          pair.client.conn.sendChatMessage('still there?');
          chatSent = true;
        }
        for (const f of fromClient) pair.server.conn.receive(f);
        if (fromServer.length === 0 && fromClient.length === 0) break;
      }
      pair.pump();
      expect(maxInFlight).toBe(windowed ? FILE_WINDOW_CHUNKS : 1);
      expect(pair.server.of('chat-message').map((e) => e.text)).toEqual(['still there?']);
      const chatAt = pair.server.events.findIndex((e) => e.type === 'chat-message');
      const doneAt = pair.server.events.findIndex((e) => e.type === 'file-complete');
      expect(chatAt).toBeLessThan(doneAt); // the chat message overtook the rest of the file
      expect(Buffer.from(pair.server.receivedFile(fileId)).equals(data)).toBe(true);
      expect(pair.server.of('file-complete')).toEqual([
        { type: 'file-complete', fileId, direction: 'in', result: 'success' },
      ]);
      expect(pair.client.of('file-complete')).toEqual([
        { type: 'file-complete', fileId, direction: 'out', result: 'success' },
      ]);
      expect(pair.client.of('file-progress').at(-1)).toMatchObject({
        transferred: data.length,
        size: data.length,
      });
    });
  }

  it('reports a rejected offer and a corrupted file as failed', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true });
    pair.connectAsContacts();
    const data = fileOf(1000, 'x');
    const rejected = pair.client.conn.offerFile({ name: 'a.txt', size: 10, hash: sha3_512(data) });
    pair.pump();
    pair.server.conn.rejectFile(rejected);
    pair.pump();
    expect(pair.client.of('file-complete')).toEqual([
      { type: 'file-complete', fileId: rejected, direction: 'out', result: 'rejected' },
    ]);
    const bad = pair.client.conn.offerFile({
      name: 'b.txt',
      size: data.length,
      hash: sha3_512(new Uint8Array(1)),
    });
    pair.client.sources.set(bad, data);
    pair.pump();
    pair.server.conn.acceptFile(bad);
    pair.pump();
    expect(pair.server.of('file-complete')[1]).toMatchObject({ fileId: bad, result: 'failed' });
    expect(pair.client.of('file-complete')[1]).toMatchObject({ fileId: bad, result: 'failed' });
    expect(pair.client.conn.state).toBe('open');
  });

  it('answers KeepAlive and EnableFeatures like 3.0.41 and keeps an idle session alive', () => {
    const clock = new FakeClock();
    const pair = new Pair({ clock, known: true });
    pair.connectAsContacts();
    expect(pair.client.of('features-enabled')).toEqual([
      { type: 'features-enabled', features: [...SOTTO_FEATURES] },
    ]);
    pair.client.conn.tick(clock.advance(60_000));
    pair.pump();
    pair.server.conn.tick(clock.advance(1));
    pair.client.conn.tick(clock.advance(20_000));
    pair.pump();
    expect(pair.client.conn.state).toBe('open');
    expect(pair.server.conn.state).toBe('open');
  });
});

describe('RicochetConnection contact request outcomes', () => {
  it('a Sotto rejection arrives as Rejected; a close while Pending is a distinct event', () => {
    const rejected = new Pair({ clock: new FakeClock() });
    rejected.pump();
    rejected.client.conn.sendContactRequest('', 'let me in');
    rejected.pump();
    rejected.server.conn.respondToContactRequest('rejected');
    rejected.pump();
    expect(rejected.client.of('contact-request-response').map((e) => e.status)).toEqual([
      'pending',
      'rejected',
    ]);
    expect(rejected.client.conn.isKnownContact).toBe(false);

    const dropped = new Pair({ clock: new FakeClock() });
    dropped.pump();
    dropped.client.conn.sendContactRequest('', 'let me in');
    dropped.pump();
    dropped.client.conn.transportClosed();
    dropped.client.drainEvents();
    expect(dropped.client.events.slice(-3).map((e) => e.type)).toEqual([
      'contact-request-closed-while-pending',
      'closing',
      'closed',
    ]);
  });

  it('unacknowledged messages are reported undelivered when the connection ends', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true });
    pair.connectAsContacts();
    const id = pair.client.conn.sendChatMessage('lost in transit');
    pair.client.conn.takeOutput(); // written, but the peer never gets it
    pair.client.conn.transportClosed();
    pair.client.drainEvents();
    expect(pair.client.of('chat-undelivered')).toEqual([{ type: 'chat-undelivered', ids: [id] }]);
    expect(pair.client.of('chat-ack')).toEqual([]);
  });
});

describe('RicochetConnection stream splitting', () => {
  it('property: any split of the byte streams yields the same session', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        (cuts) => {
          const pair = new Pair({ clock: new FakeClock() });
          let cut = 0;
          const pumpSplit = () => {
            for (let i = 0; i < 10_000; i++) {
              pair.client.drainEvents();
              pair.server.drainEvents();
              const a = Buffer.concat(pair.client.conn.takeOutput());
              const b = Buffer.concat(pair.server.conn.takeOutput());
              if (a.length + b.length === 0) return;
              for (const [bytes, to] of [
                [a, pair.server.conn],
                [b, pair.client.conn],
              ] as const) {
                for (let at = 0; at < bytes.length;) {
                  const size = cuts[cut++ % cuts.length] as number;
                  to.receive(Uint8Array.from(bytes.subarray(at, at + size)));
                  at += size;
                }
              }
            }
          };
          pumpSplit();
          pair.client.conn.sendContactRequest('Al', 'split me');
          pumpSplit();
          pair.server.conn.respondToContactRequest('accepted');
          pumpSplit();
          pair.client.conn.sendChatMessage('hello across splits');
          pair.server.conn.sendChatMessage('and back');
          pumpSplit();
          expect(pair.server.of('chat-message').map((e) => e.text)).toEqual([
            'hello across splits',
          ]);
          expect(pair.client.of('chat-message').map((e) => e.text)).toEqual(['and back']);
          expect(pair.client.of('chat-ack')).toHaveLength(1);
          expect(pair.server.of('closing')).toEqual([]);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('RicochetConnection file cancellation', () => {
  for (const side of ['sender', 'receiver'] as const) {
    it(`the ${side} cancels mid-transfer; both see cancelled and late chunks are harmless`, () => {
      const features = [WINDOWED_FILE_FEATURE];
      const pair = new Pair({
        clock: new FakeClock(),
        known: true,
        client: { features },
        server: { features },
      });
      pair.connectAsContacts();
      const data = fileOf(10 * MAX_FILE_CHUNK, 'cancel');
      const fileId = pair.client.offer('big.bin', data);
      pair.pump();
      pair.server.conn.acceptFile(fileId);
      // Let a few chunks cross, with more still queued at the sender.
      for (let i = 0; i < 3; i++) {
        pair.server.drainEvents();
        for (const f of pair.server.conn.takeOutput()) pair.client.conn.receive(f);
        pair.client.drainEvents();
        for (const f of pair.client.conn.takeOutput()) pair.server.conn.receive(f);
      }
      if (side === 'sender') pair.client.conn.cancelFile(fileId, 'out');
      else pair.server.conn.cancelFile(fileId, 'in');
      pair.pump();
      expect(pair.client.of('file-complete')).toEqual([
        { type: 'file-complete', fileId, direction: 'out', result: 'cancelled' },
      ]);
      expect(pair.server.of('file-complete')).toEqual([
        { type: 'file-complete', fileId, direction: 'in', result: 'cancelled' },
      ]);
      expect(() => pair.client.conn.sendFileChunk(fileId, 0, data.subarray(0, 10))).not.toThrow();
      expect(pair.client.conn.state).toBe('open');
      expect(pair.server.conn.state).toBe('open');
    });
  }
});
