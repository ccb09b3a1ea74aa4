// A hostile or broken peer against the sans-IO connection: every case ends with a typed reason
// (or a typed refusal, where 3.0.41 keeps the connection), and receive() never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import {
  AuthenticationFailedError,
  type ConnectionEvent,
} from '../../src/protocol/connection-types.js';
import {
  LimitExceededError,
  MalformedPacketError,
  ProtocolViolationError,
  UnsupportedVersionError,
} from '../../src/protocol/errors.js';
import { PacketDecoder, encodePacket, type Packet } from '../../src/protocol/packet-codec.js';
import {
  ChannelType,
  decodeControlPacket,
  encodeAuthPacket,
  encodeChatPacket,
  encodeControlPacket,
  encodeFilePacket,
  type ControlMessage,
} from '../../src/protocol/messages.js';
import { computeAuthProof } from '../../src/protocol/auth-proof.js';
import { ALICE, BOB, FakeClock, MALLORY, Pair, seededRandom } from './connection-harness.js';

const INTRO = Uint8Array.of(0x49, 0x4d, 0x01, 0x03);
const frame = (channel: number, data: Uint8Array = new Uint8Array(0)) =>
  encodePacket({ channel, data });
const control = (message: ControlMessage) => frame(0, encodeControlPacket(message));
const openAuth = (id: number, cookie = new Uint8Array(16).fill(7)) =>
  control({
    kind: 'open-channel',
    channelIdentifier: id,
    channelType: ChannelType.Auth,
    clientCookie: cookie,
  });

/** A Sotto server facing raw bytes from a test-controlled client. */
class RawClient {
  readonly clock = new FakeClock();
  readonly server: RicochetConnection;
  readonly events: ConnectionEvent[] = [];
  readonly #decoder = new PacketDecoder();
  #introSkipped = false;

  constructor(seed = 'server', known = false) {
    this.server = new RicochetConnection({
      role: 'server',
      identity: BOB,
      isKnownContact: () => known,
      now: this.clock.now,
      random: seededRandom(seed),
    });
  }

  /** Sends bytes; returns the packets the server wrote back (receive() must not throw). */
  send(...chunks: Uint8Array[]): Packet[] {
    for (const chunk of chunks) expect(() => this.server.receive(chunk)).not.toThrow();
    this.events.push(...this.server.takeEvents());
    let out = Buffer.concat(this.server.takeOutput());
    if (!this.#introSkipped && out.length > 0) {
      this.#introSkipped = true;
      out = out.subarray(1);
    }
    return this.#decoder.push(Uint8Array.from(out));
  }

  results(packets: Packet[]): Extract<ControlMessage, { kind: 'channel-result' }>[] {
    return packets
      .filter((p) => p.channel === 0 && p.data.length > 0)
      .map((p) => decodeControlPacket(p.data))
      .filter((m): m is Extract<ControlMessage, { kind: 'channel-result' }> => {
        return m.kind === 'channel-result';
      });
  }

  /** Authenticates as `who` with a correct proof. */
  authenticate(who = ALICE, cookie = new Uint8Array(16).fill(7)): void {
    this.send(INTRO);
    const [result] = this.results(this.send(openAuth(1, cookie)));
    const serverCookie = result?.serverCookie as Uint8Array;
    const proof = computeAuthProof(cookie, serverCookie, who.serviceId, BOB.serviceId);
    const signature = who.sign(proof);
    this.send(frame(1, encodeAuthPacket({ kind: 'proof', signature, serviceId: who.serviceId })));
  }

  get closingReason(): unknown {
    return this.events.find((e) => e.type === 'closing')?.reason;
  }
}

describe('RicochetConnection against a hostile peer', () => {
  it('refuses chat, files and contact requests before authentication (UnauthorizedError)', () => {
    const peer = new RawClient();
    peer.send(INTRO);
    for (const [id, channelType] of [
      [1, ChannelType.Chat],
      [3, ChannelType.FileTransfer],
    ] as const) {
      const [result] = peer.results(
        peer.send(control({ kind: 'open-channel', channelIdentifier: id, channelType })),
      );
      expect(result).toMatchObject({
        channelIdentifier: id,
        opened: false,
        commonError: 'unauthorized',
      });
    }
    const [request] = peer.results(
      peer.send(
        control({
          kind: 'open-channel',
          channelIdentifier: 5,
          channelType: ChannelType.ContactRequest,
          contactRequest: { nickname: '', messageText: 'hi' },
        }),
      ),
    );
    expect(request).toMatchObject({ opened: false, commonError: 'unauthorized' });
    // Chat data on the refused channel is answered by closing that channel.
    const reply = peer.send(
      frame(
        1,
        encodeChatPacket({ kind: 'chat-message', messageText: 'x', messageId: 1, timeDelta: 0 }),
      ),
    );
    expect(reply).toEqual([{ channel: 1, data: new Uint8Array(0) }]);
    expect(peer.events.filter((e) => e.type === 'chat-message')).toEqual([]);
    expect(peer.server.state).toBe('open');
  });

  it('rejects a wrong signature with Result{accepted:false} and AuthenticationFailedError', () => {
    const peer = new RawClient();
    peer.send(INTRO, openAuth(1));
    const reply = peer.send(
      frame(
        1,
        encodeAuthPacket({
          kind: 'proof',
          signature: new Uint8Array(64).fill(1),
          serviceId: ALICE.serviceId,
        }),
      ),
    );
    expect(reply.slice(0, 2)).toEqual([
      {
        channel: 1,
        data: encodeAuthPacket({ kind: 'result', accepted: false, isKnownContact: false }),
      },
      { channel: 1, data: new Uint8Array(0) },
    ]);
    expect(peer.closingReason).toBeInstanceOf(AuthenticationFailedError);
    expect(peer.server.isAuthenticated).toBe(false);
  });

  it('rejects a valid proof made for another server', () => {
    const peer = new RawClient();
    const cookie = new Uint8Array(16).fill(9);
    peer.send(INTRO);
    const [result] = peer.results(peer.send(openAuth(1, cookie)));
    const proof = computeAuthProof(
      cookie,
      result?.serverCookie as Uint8Array,
      MALLORY.serviceId,
      ALICE.serviceId,
    );
    peer.send(
      frame(
        1,
        encodeAuthPacket({
          kind: 'proof',
          signature: MALLORY.sign(proof),
          serviceId: MALLORY.serviceId,
        }),
      ),
    );
    expect(peer.closingReason).toBeInstanceOf(AuthenticationFailedError);
  });

  it('rejects a proof recorded on one connection and replayed on another', () => {
    const pair = new Pair({ clock: new FakeClock() });
    pair.pump();
    expect(pair.server.conn.isAuthenticated).toBe(true);
    const decoder = new PacketDecoder();
    const sent = decoder.push(Uint8Array.from(Buffer.concat(pair.clientWrote).subarray(4)));
    const authOpen = sent[0] as Packet;
    const proof = sent.find((p) => p.channel === 1 && p.data.length > 0) as Packet;
    const attacker = new RawClient('another connection');
    attacker.send(INTRO, frame(0, authOpen.data)); // same client cookie as recorded
    attacker.send(frame(1, proof.data));
    expect(attacker.closingReason).toBeInstanceOf(AuthenticationFailedError);
    expect(attacker.server.isAuthenticated).toBe(false);
  });

  it('refuses a second auth channel (BadUsageError)', () => {
    const peer = new RawClient();
    peer.authenticate();
    expect(peer.server.isAuthenticated).toBe(true);
    const [result] = peer.results(peer.send(openAuth(3)));
    expect(result).toMatchObject({ channelIdentifier: 3, opened: false, commonError: 'bad-usage' });
    expect(peer.server.state).toBe('open');
  });

  it('ends the connection for a channel id of the wrong parity or one that goes back', () => {
    const even = new RawClient();
    const out = even.send(INTRO, openAuth(2));
    expect(out).toContainEqual({ channel: 0, data: new Uint8Array(0) });
    expect(even.closingReason).toBeInstanceOf(ProtocolViolationError);

    const back = new RawClient();
    back.authenticate();
    back.send(control({ kind: 'open-channel', channelIdentifier: 7, channelType: 'x.y' }));
    back.send(control({ kind: 'open-channel', channelIdentifier: 5, channelType: 'x.y' }));
    expect(back.closingReason).toBeInstanceOf(ProtocolViolationError);
  });

  it('answers an unknown channel type with UnknownTypeError and keeps the connection', () => {
    const peer = new RawClient();
    peer.send(INTRO);
    const [result] = peer.results(
      peer.send(
        control({ kind: 'open-channel', channelIdentifier: 1, channelType: 'im.example.nope' }),
      ),
    );
    expect(result).toMatchObject({ opened: false, commonError: 'unknown-type' });
    expect(peer.server.state).toBe('open');
  });

  it('closes a channel it does not know, and ignores a close for one', () => {
    const peer = new RawClient();
    peer.send(INTRO);
    expect(peer.send(frame(41, Uint8Array.of(1, 2, 3)))).toEqual([
      { channel: 41, data: new Uint8Array(0) },
    ]);
    expect(peer.send(frame(43))).toEqual([]);
    expect(peer.server.state).toBe('open');
  });

  it('closes after 15 s without doing anything useful, and forces the close 5 s later', () => {
    const peer = new RawClient();
    peer.authenticate(); // authenticated, but neither a contact nor a request
    peer.server.tick(peer.clock.advance(14_999));
    expect(peer.server.state).toBe('open');
    peer.server.tick(peer.clock.advance(1));
    peer.events.push(...peer.server.takeEvents());
    expect(peer.closingReason).toBe('timeout');
    peer.server.tick(peer.clock.advance(4_999));
    expect(peer.server.state).toBe('closing');
    peer.server.tick(peer.clock.advance(1));
    expect(peer.server.takeEvents()).toEqual([{ type: 'closed', reason: 'timeout', forced: true }]);
  });

  it('a known contact is not subject to the 15 s deadline; a silent one times out on keepalive', () => {
    const peer = new RawClient('server', true);
    peer.authenticate();
    peer.server.tick(peer.clock.advance(59_000));
    expect(peer.server.state).toBe('open');
    peer.server.tick(peer.clock.advance(1_000)); // 60 s idle: KeepAlive{response_requested}
    const keepAlive = new PacketDecoder().push(
      Uint8Array.from(Buffer.concat(peer.server.takeOutput())),
    );
    expect(keepAlive.map((p) => decodeControlPacket(p.data))).toEqual([
      { kind: 'keep-alive', responseRequested: true },
    ]);
    peer.server.tick(peer.clock.advance(30_000));
    expect(peer.server.takeEvents().at(-1)).toEqual({ type: 'closing', reason: 'timeout' });
  });

  it('forces a local close that does not finish within 5 s', () => {
    const clock = new FakeClock();
    const pair = new Pair({ clock, known: true });
    pair.connectAsContacts();
    pair.client.conn.close();
    pair.client.conn.tick(clock.advance(5_000));
    expect(pair.client.conn.takeEvents().slice(-2)).toEqual([
      { type: 'closing', reason: 'local-close' },
      { type: 'closed', reason: 'local-close', forced: true },
    ]);
  });

  it('ends with MalformedPacketError for a bad introduction, garbage framing or protobuf', () => {
    const intro = new RawClient();
    intro.send(Uint8Array.of(0x47, 0x45, 0x54, 0x20)); // "GET "
    expect(intro.closingReason).toBeInstanceOf(MalformedPacketError);

    const version = new RawClient();
    expect(() => version.server.receive(Uint8Array.of(0x49, 0x4d, 0x01, 0x01))).not.toThrow();
    expect(version.server.takeOutput()).toEqual([Uint8Array.of(0xff)]);
    expect(version.server.takeEvents().at(-1)).toMatchObject({ type: 'closing' });

    const framing = new RawClient();
    framing.authenticate();
    framing.send(Uint8Array.of(0x00, 0x02, 0x00, 0x00));
    expect(framing.closingReason).toBeInstanceOf(MalformedPacketError);

    const proto = new RawClient();
    proto.send(INTRO, frame(0, Uint8Array.of(0xff, 0xff, 0xff)));
    expect(proto.closingReason).toBeInstanceOf(MalformedPacketError);
  });

  it('refuses an oversized chat message with a negative ack and delivers nothing', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true });
    pair.connectAsContacts();
    // The client's chat channel is 3 (1 = auth); inject what a broken peer would send on it.
    pair.server.conn.receive(
      frame(
        3,
        encodeChatPacket({
          kind: 'chat-message',
          messageText: 'x'.repeat(2001),
          messageId: 77,
          timeDelta: 0,
        }),
      ),
    );
    const out = new PacketDecoder().push(
      Uint8Array.from(Buffer.concat(pair.server.conn.takeOutput())),
    );
    expect(out).toEqual([
      {
        channel: 3,
        data: encodeChatPacket({ kind: 'chat-acknowledge', messageId: 77, accepted: false }),
      },
    ]);
    expect(pair.server.conn.takeEvents().filter((e) => e.type === 'chat-message')).toEqual([]);
  });

  it('fails a transfer whose chunks overflow the announced size (LimitExceededError)', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true });
    pair.connectAsContacts();
    const data = new Uint8Array(20).fill(5);
    pair.server.conn.receive(
      frame(
        5,
        encodeFilePacket({
          kind: 'file-header',
          fileId: 9,
          fileSize: 10,
          name: 'a',
          fileHash: sha3_512(data),
        }),
      ),
    );
    pair.server.drainEvents();
    pair.server.conn.acceptFile(9);
    pair.server.conn.receive(
      frame(5, encodeFilePacket({ kind: 'file-chunk', fileId: 9, chunkData: data })),
    );
    pair.server.drainEvents();
    expect(pair.server.of('file-chunk')).toEqual([]); // not hashed, never handed to the disk
    const done = pair.server.of('file-complete')[0];
    expect(done).toMatchObject({ fileId: 9, result: 'failed' });
    expect(done?.error).toBeInstanceOf(LimitExceededError);
    expect(pair.server.conn.state).toBe('open');
  });

  it('declines a file offer whose name hides padding in invisible characters', () => {
    for (const name of [
      'invoice.pdf\u2800\u2800.exe',
      'invoice.pdf\u3164\u3164.exe',
      '\u115F.sh',
    ]) {
      const pair = new Pair({ clock: new FakeClock(), known: true });
      pair.connectAsContacts();
      pair.server.conn.receive(
        frame(
          5,
          encodeFilePacket({
            kind: 'file-header',
            fileId: 4,
            fileSize: 10,
            name,
            fileHash: sha3_512(new Uint8Array(10)),
          }),
        ),
      );
      const out = new PacketDecoder().push(
        Uint8Array.from(Buffer.concat(pair.server.conn.takeOutput())),
      );
      expect(out).toContainEqual({
        channel: 5,
        data: encodeFilePacket({ kind: 'file-header-ack', fileId: 4, accepted: false }),
      });
      const events = pair.server.conn.takeEvents().map((e) => e.type);
      expect(events.filter((type) => type.startsWith('file'))).toEqual([]);
      expect(pair.server.conn.state).toBe('open');
    }
  });

  it('a client ends with AuthenticationFailedError when the server refuses its proof', () => {
    const clock = new FakeClock();
    const client = new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: clock.now,
      random: seededRandom('c'),
    });
    client.receive(Uint8Array.of(3));
    client.receive(
      control({
        kind: 'channel-result',
        channelIdentifier: 1,
        opened: true,
        serverCookie: new Uint8Array(16),
      }),
    );
    client.receive(
      frame(1, encodeAuthPacket({ kind: 'result', accepted: false, isKnownContact: false })),
    );
    expect(client.takeEvents().at(-1)).toMatchObject({ type: 'closing' });
    const version = new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: clock.now,
      random: seededRandom('d'),
    });
    version.receive(Uint8Array.of(0xff));
    const closing = version.takeEvents().find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.reason).toBeInstanceOf(UnsupportedVersionError);
  });

  it('a whole session still works when every byte arrives on its own', () => {
    const pair = new Pair({ clock: new FakeClock() });
    const pumpBytewise = () => {
      for (let i = 0; i < 1000; i++) {
        pair.client.drainEvents();
        pair.server.drainEvents();
        const a = pair.client.conn.takeOutput();
        const b = pair.server.conn.takeOutput();
        if (a.length + b.length === 0) return;
        for (const byte of Buffer.concat(a)) pair.server.conn.receive(Uint8Array.of(byte));
        for (const byte of Buffer.concat(b)) pair.client.conn.receive(Uint8Array.of(byte));
      }
    };
    pumpBytewise();
    pair.client.conn.sendContactRequest('', 'bytewise');
    pumpBytewise();
    pair.server.conn.respondToContactRequest('accepted');
    pumpBytewise();
    pair.client.conn.sendChatMessage('one byte at a time');
    pumpBytewise();
    expect(pair.server.of('chat-message').map((e) => e.text)).toEqual(['one byte at a time']);
  });

  it('property: arbitrary bytes at any point never throw and leave a consistent state', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
        fc.boolean(),
        (chunks, authenticateFirst) => {
          const peer = new RawClient();
          if (authenticateFirst) peer.authenticate();
          else peer.send(INTRO);
          for (const chunk of chunks) expect(() => peer.server.receive(chunk)).not.toThrow();
          expect(() => peer.server.tick(peer.clock.advance(20_000))).not.toThrow();
          const events = peer.server.takeEvents();
          const closing = events.filter((e) => e.type === 'closing');
          expect(closing.length).toBeLessThanOrEqual(1);
          expect(['open', 'closing', 'closed']).toContain(peer.server.state);
        },
      ),
      { numRuns: 300 },
    );
  });
});
