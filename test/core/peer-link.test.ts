// PeerLink over real loopback TCP sockets: two RicochetConnections authenticate and chat through
// it, a large file-sized burst drains with backpressure, garbage from the peer closes the link with
// a typed error, a graceful close ends both sides, and timers stop once closed.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_UNSENT_PRIORITY_BYTES, PeerLink } from '../../src/core/peer-link.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { encodeIntroduction } from '../../src/protocol/introduction.js';
import { encodeControlPacket } from '../../src/protocol/messages-control.js';
import { encodePacket } from '../../src/protocol/packet-codec.js';
import type { ConnectionEvent } from '../../src/protocol/connection-types.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { ALICE, BOB } from '../protocol/connection-harness.js';
import { socketPair } from '../support/tcp-pair.js';
import { until } from '../support/wait.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

interface Side {
  link: PeerLink;
  events: ConnectionEvent[];
  next(type: ConnectionEvent['type']): Promise<ConnectionEvent>;
}

function bind(socket: Socket, connection: RicochetConnection): Side {
  const events: ConnectionEvent[] = [];
  const waiters: (() => void)[] = [];
  const link = new PeerLink({
    socket,
    connection,
    onEvent: (_l, event) => {
      events.push(event);
      for (const w of waiters.splice(0)) w();
    },
  });
  const next = (type: ConnectionEvent['type']): Promise<ConnectionEvent> =>
    new Promise((resolve) => {
      const check = (): void => {
        const found = events.find((e) => e.type === type);
        if (found) resolve(found);
        else waiters.push(check);
      };
      check();
    });
  return { link, events, next };
}

function knownPair(socket: { client: Socket; server: Socket }): { a: Side; b: Side } {
  const a = bind(
    socket.client,
    new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: Date.now,
      random,
    }),
  );
  const b = bind(
    socket.server,
    new RicochetConnection({
      role: 'server',
      identity: BOB,
      isKnownContact: (id) => id === ALICE.serviceId,
      now: Date.now,
      random,
    }),
  );
  return { a, b };
}

describe('PeerLink', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('authenticates and carries chat both ways, then closes gracefully on both ends', async () => {
    const sockets = await socketPair();
    cleanups.push(sockets.close);
    const { a, b } = knownPair(sockets);
    await Promise.all([a.next('chat-ready'), b.next('chat-ready')]);
    const id = a.link.run((c) => c.sendChatMessage('hello over tcp'));
    expect(id).toBeTypeOf('number');
    const got = await b.next('chat-message');
    expect(got).toMatchObject({ type: 'chat-message', text: 'hello over tcp' });
    await a.next('chat-ack');
    a.link.close();
    const [closedA, closedB] = await Promise.all([a.next('closed'), b.next('closed')]);
    expect(closedA).toMatchObject({ reason: 'local-close', forced: false });
    expect(closedB).toMatchObject({ reason: 'peer-closed' });
    expect(a.link.closed && b.link.closed).toBe(true);
    expect(sockets.client.destroyed && sockets.server.destroyed).toBe(true);
  });

  it('drains a large burst of chat with backpressure and keeps order', async () => {
    const sockets = await socketPair();
    cleanups.push(sockets.close);
    const { a, b } = knownPair(sockets);
    await a.next('chat-ready');
    const texts = Array.from({ length: 2000 }, (_, i) => `${i} ${'x'.repeat(1000)}`);
    for (const text of texts) a.link.run((c) => c.sendChatMessage(text));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (b.events.filter((e) => e.type === 'chat-message').length === texts.length) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    const received = b.events.flatMap((e) => (e.type === 'chat-message' ? [e.text] : []));
    expect(received).toEqual(texts);
    a.link.destroy();
    await b.next('closed');
  });

  it('garbage from the peer ends the link with a typed protocol error', async () => {
    const sockets = await socketPair();
    cleanups.push(sockets.close);
    const b = bind(
      sockets.server,
      new RicochetConnection({
        role: 'server',
        identity: BOB,
        isKnownContact: () => false,
        now: Date.now,
        random,
      }),
    );
    sockets.client.write('GET / HTTP/1.1\r\n\r\n');
    sockets.client.on('data', () => undefined);
    const closed = await b.next('closed');
    expect(closed.type === 'closed' && closed.reason instanceof ProtocolError).toBe(true);
    expect(b.link.closed).toBe(true);
    expect(b.link.run(() => 1)).toBeUndefined(); // commands after close are ignored, never throw
  });

  it('run: a caller mistake throws; a command the closing connection refuses is not done', async () => {
    const sockets = await socketPair();
    cleanups.push(sockets.close);
    const { a, b } = knownPair(sockets);
    await a.next('chat-ready');
    expect(() => a.link.run((c) => c.sendChatMessage(''))).toThrow(RangeError);
    expect(() =>
      a.link.run(() => {
        throw new TypeError('a bug in the caller');
      }),
    ).toThrow(TypeError);
    a.link.close();
    expect(a.link.connection.state).toBe('closing');
    expect(a.link.closed).toBe(false);
    expect(a.link.run((c) => c.sendChatMessage('too late'))).toBeUndefined();
    await b.next('closed');
    expect(b.events.filter((e) => e.type === 'chat-message')).toEqual([]);
  });

  it('a transport reset closes the connection as peer-closed', async () => {
    const sockets = await socketPair();
    cleanups.push(sockets.close);
    const { a, b } = knownPair(sockets);
    await b.next('authenticated');
    sockets.client.resetAndDestroy();
    const closed = await b.next('closed');
    expect(closed).toMatchObject({ reason: 'peer-closed' });
    expect(a.link.closed || sockets.client.destroyed).toBe(true);
  });
  it('stops reading a peer that never reads our replies, then serves every request', async () => {
    const peer = new StalledPeer();
    const b = bind(
      peer as unknown as Socket,
      new RicochetConnection({
        role: 'server',
        identity: BOB,
        isKnownContact: () => false,
        now: () => 0, // no timeouts: only backpressure is under test
        random,
      }),
    );
    const request = encodePacket({
      channel: 0,
      data: encodeControlPacket({ kind: 'keep-alive', responseRequested: true }),
    });
    const reply = encodePacket({
      channel: 0,
      data: encodeControlPacket({ kind: 'keep-alive', responseRequested: false }),
    });
    // Enough requests that their unread replies exceed the bound several times over.
    const count = Math.ceil((2 * MAX_UNSENT_PRIORITY_BYTES) / reply.length);
    const perChunk = Math.floor(65_536 / request.length);
    peer.push(Buffer.from(encodeIntroduction()));
    for (let sent = 0; sent < count; sent += perChunk) {
      const n = Math.min(perChunk, count - sent);
      const chunk = Buffer.alloc(n * request.length);
      for (let i = 0; i < n; i++) chunk.set(request, i * request.length);
      peer.push(chunk);
    }
    await until(() => b.link.readPaused || peer.readableLength === 0);
    expect(b.link.readPaused).toBe(true);
    // Held for the peer: the bound plus what one already-read chunk of requests produced.
    expect(b.link.connection.pendingPriorityBytes).toBeLessThanOrEqual(
      MAX_UNSENT_PRIORITY_BYTES + 128 * 1024,
    );
    expect(peer.readableLength).toBeGreaterThan(0); // the rest of the flood waits, unread
    expect(b.link.closed).toBe(false);
    // Once the peer reads, every request is answered: nothing was dropped.
    peer.startReading();
    const expected = 1 + count * reply.length; // introduction reply byte + one reply per request
    await until(() => peer.received >= expected);
    expect(peer.received).toBe(expected);
    expect(b.link.readPaused).toBe(false);
    b.link.destroy();
  });
});

/**
 * The far end of a transport whose peer does not read: writes are held (not acknowledged) until
 * `startReading()`. A loopback TCP socket cannot show this: the kernel buffers megabytes first.
 */
class StalledPeer extends Duplex {
  readonly #held: ((error?: Error | null) => void)[] = [];
  #reading = false;
  received = 0;

  override _write(chunk: Buffer, _encoding: string, done: (error?: Error | null) => void): void {
    this.received += chunk.length;
    if (this.#reading) done();
    else this.#held.push(done);
  }

  override _read(): void {
    // input is pushed by the test
  }

  startReading(): void {
    this.#reading = true;
    for (const done of this.#held.splice(0)) done();
  }
}
