// The Sotto negotiation channel (`im.sotto.endpoint.identity`, src/protocol/channels/
// endpoint-negotiation.ts) and endpoint streams (ConnectionOptions.endpointPeer) on the sans-IO
// connection: the channel opens only between known contacts that both negotiated
// `im.sotto.endpoints`, carries the handshake bytes unchanged, is bounded per packet and in all;
// an endpoint stream starts authenticated with no introduction.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RicochetConnection } from '../../src/protocol/connection.js';
import {
  ConnectionStateError,
  ENDPOINTS_FEATURE,
  SOTTO_FEATURES,
  WINDOWED_FILE_FEATURE,
} from '../../src/protocol/connection-types.js';
import {
  MAX_NEGOTIATION_BYTES,
  MAX_NEGOTIATION_PACKET,
} from '../../src/protocol/channels/endpoint-negotiation.js';
import { LimitExceededError, ProtocolError } from '../../src/protocol/errors.js';
import { PacketDecoder, encodePacket } from '../../src/protocol/packet-codec.js';
import { ChannelType, decodeControlPacket } from '../../src/protocol/messages.js';
import {
  ALICE,
  BOB,
  closedReason,
  control,
  controlOut,
  FakeClock,
  Pair,
  seededRandom,
} from './connection-harness.js';

function contacts(): Pair {
  const pair = new Pair({ clock: new FakeClock(), known: true });
  pair.connectAsContacts();
  return pair;
}

/** The server's view: a raw channel the client (ALICE) opened, fed packet by packet. */
function openedByClient(pair: Pair): number {
  const id = pair.client.conn.openEndpointChannel();
  pair.pump();
  return id;
}

/** The peer's raw OpenChannel for a negotiation channel `id`, handed to `conn`. */
function peerOpensNegotiation(conn: RicochetConnection, id: number): void {
  conn.receive(
    control({
      kind: 'open-channel',
      channelIdentifier: id,
      channelType: ChannelType.EndpointNegotiation,
    }),
  );
}

describe('endpoint negotiation channel', () => {
  it('opens between Sotto contacts and carries the bytes both ways unchanged', () => {
    const pair = contacts();
    expect(pair.client.conn.endpointsNegotiated).toBe(true);
    const id = pair.client.conn.openEndpointChannel();
    pair.client.conn.sendEndpointData(id, Uint8Array.of(1, 2, 3)); // queued until opened
    pair.pump();
    expect(pair.server.of('endpoint-channel-opened')).toEqual([
      { type: 'endpoint-channel-opened', channelId: id, direction: 'inbound' },
    ]);
    expect(pair.client.of('endpoint-channel-opened')).toEqual([
      { type: 'endpoint-channel-opened', channelId: id, direction: 'outbound' },
    ]);
    expect(pair.server.of('endpoint-channel-data')).toEqual([
      { type: 'endpoint-channel-data', channelId: id, data: Uint8Array.of(1, 2, 3) },
    ]);
    pair.server.conn.sendEndpointData(id, Uint8Array.of(9));
    pair.server.conn.closeEndpointChannel(id);
    pair.pump();
    expect(pair.client.of('endpoint-channel-data')).toEqual([
      { type: 'endpoint-channel-data', channelId: id, data: Uint8Array.of(9) },
    ]);
    expect(pair.client.of('endpoint-channel-closed')).toHaveLength(1);
    expect(pair.server.of('endpoint-channel-closed')).toHaveLength(1);
    expect(pair.client.conn.state).toBe('open');
  });

  it('is never offered to a peer without the feature (Ricochet Refresh answers no features)', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true, server: { features: [] } });
    pair.connectAsContacts();
    expect(pair.client.conn.endpointsNegotiated).toBe(false);
    expect(() => pair.client.conn.openEndpointChannel()).toThrow(ConnectionStateError);
  });

  it('refuses a negotiation channel from a peer that did not negotiate endpoints', () => {
    const features = [WINDOWED_FILE_FEATURE];
    const pair = new Pair({ clock: new FakeClock(), known: true, client: { features } });
    pair.connectAsContacts();
    pair.client.conn.takeOutput();
    peerOpensNegotiation(pair.server.conn, 7);
    expect(controlOut(pair.server.conn)).toEqual([
      { kind: 'channel-result', channelIdentifier: 7, opened: false, commonError: 'unauthorized' },
    ]);
    expect(pair.server.conn.state).toBe('open');
  });

  it('refuses it before authentication and from a stranger', () => {
    const pair = new Pair({ clock: new FakeClock(), known: false });
    pair.pump(); // authenticated, not a contact
    peerOpensNegotiation(pair.server.conn, 3);
    expect(controlOut(pair.server.conn)).toEqual([
      { kind: 'channel-result', channelIdentifier: 3, opened: false, commonError: 'unauthorized' },
    ]);
  });

  it('holds one inbound negotiation at a time', () => {
    const pair = contacts();
    openedByClient(pair);
    pair.client.conn.openEndpointChannel();
    pair.pump();
    const refused = pair.client.of('endpoint-channel-closed');
    expect(refused).toHaveLength(1);
    expect(pair.server.of('endpoint-channel-opened')).toHaveLength(1);
  });

  it('hands over a packet that arrives one byte at a time', () => {
    const pair = contacts();
    const id = openedByClient(pair);
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    for (const byte of encodePacket({ channel: id, data }))
      pair.server.conn.receive(Uint8Array.of(byte));
    expect(pair.server.conn.takeEvents().filter((e) => e.type === 'endpoint-channel-data')).toEqual(
      [{ type: 'endpoint-channel-data', channelId: id, data }],
    );
  });

  it('ends the connection on a packet above one Honk-RPC message, or too many bytes in all', () => {
    const big = contacts();
    const id = openedByClient(big);
    big.server.conn.receive(
      encodePacket({ channel: id, data: new Uint8Array(MAX_NEGOTIATION_PACKET + 1) }),
    );
    big.server.drainEvents();
    expect(closedReason(big.server)).toBeInstanceOf(LimitExceededError);

    const many = contacts();
    const id2 = openedByClient(many);
    const packet = encodePacket({ channel: id2, data: new Uint8Array(MAX_NEGOTIATION_PACKET) });
    for (let i = 0; i < MAX_NEGOTIATION_BYTES / MAX_NEGOTIATION_PACKET; i++)
      many.server.conn.receive(packet);
    many.server.drainEvents();
    expect(many.server.conn.state).toBe('open');
    many.server.conn.receive(encodePacket({ channel: id2, data: Uint8Array.of(0) }));
    many.server.drainEvents();
    expect(closedReason(many.server)).toBeInstanceOf(LimitExceededError);
  });

  it('refuses to send outside 1..4096 bytes (a caller mistake)', () => {
    const pair = contacts();
    const id = pair.client.conn.openEndpointChannel();
    expect(() => pair.client.conn.sendEndpointData(id, new Uint8Array(0))).toThrow(RangeError);
    expect(() => pair.client.conn.sendEndpointData(id, new Uint8Array(4097))).toThrow(RangeError);
    expect(() => pair.client.conn.sendEndpointData(id + 2, Uint8Array.of(1))).toThrow(
      ConnectionStateError,
    );
  });

  it('random bytes on the channel only ever pass through or end with a ProtocolError (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 5000 }), { maxLength: 8 }),
        (chunks) => {
          const pair = contacts();
          const id = openedByClient(pair);
          let passed = 0;
          for (const data of chunks) {
            pair.server.conn.receive(encodePacket({ channel: id, data }));
            for (const e of pair.server.drainEvents()) {
              if (e.type === 'endpoint-channel-data') passed += e.data.length;
            }
          }
          expect(passed).toBeLessThanOrEqual(MAX_NEGOTIATION_BYTES);
          const reason = closedReason(pair.server);
          if (reason !== undefined && typeof reason !== 'string') {
            expect(reason).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('endpoint stream (a connection after the Gosling endpoint handshake)', () => {
  function endpointPair(): Pair {
    const clock = new FakeClock();
    return new Pair({
      clock,
      client: { endpointPeer: BOB.serviceId },
      server: { endpointPeer: ALICE.serviceId, isKnownContact: () => false },
    });
  }

  it('starts authenticated as a known contact with no introduction; the dialler enables features', () => {
    const pair = endpointPair();
    const first = pair.client.conn.takeOutput();
    expect(first[0]?.[0]).not.toBe(0x49); // no "IM" introduction: packets from the first byte
    const packets = new PacketDecoder().push(Uint8Array.from(Buffer.concat(first)));
    expect(decodeControlPacket(packets[0]!.data)).toEqual({
      kind: 'enable-features',
      features: [...SOTTO_FEATURES],
    });
    for (const f of first) pair.server.conn.receive(f);
    pair.pump();
    expect(pair.client.of('authenticated')).toEqual([
      { type: 'authenticated', peerServiceId: BOB.serviceId, isKnownContact: true },
    ]);
    expect(pair.server.of('authenticated')).toEqual([
      { type: 'authenticated', peerServiceId: ALICE.serviceId, isKnownContact: true },
    ]);
    expect(pair.client.conn.windowedFileTransfer).toBe(true);
    expect(pair.client.conn.endpointsNegotiated).toBe(SOTTO_FEATURES.includes(ENDPOINTS_FEATURE));
    const id = pair.client.conn.sendChatMessage('over the endpoint');
    pair.pump();
    expect(pair.server.of('chat-message')).toMatchObject([{ id, text: 'over the endpoint' }]);
    expect(pair.client.of('chat-ack')).toMatchObject([{ id, accepted: true }]);
  });

  it('refuses an endpoint peer that is not a service id (caller mistake)', () => {
    expect(
      () =>
        new RicochetConnection({
          role: 'server',
          identity: BOB,
          endpointPeer: 'nope',
          now: () => 0,
          random: seededRandom('x'),
        }),
    ).toThrow(TypeError);
  });
});
