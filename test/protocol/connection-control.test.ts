// Channel 0 details of the sans-IO connection: feature negotiation, KeepAlive, late packets on
// closed channels, refusals on the client side, one contact request per connection.
import { describe, expect, it } from 'vitest';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { SOTTO_FEATURES } from '../../src/protocol/connection-types.js';
import { InvalidContactRequestError, ProtocolViolationError } from '../../src/protocol/errors.js';
import { PacketDecoder, encodePacket } from '../../src/protocol/packet-codec.js';
import { ChannelType, decodeControlPacket } from '../../src/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../src/protocol/introduction.js';
import {
  ALICE,
  BOB,
  control,
  controlOut,
  FakeClock,
  Pair,
  seededRandom,
} from './connection-harness.js';

describe('RicochetConnection channel 0', () => {
  it('uses the windowed file mode only when both peers advertise it', () => {
    const one = new Pair({
      clock: new FakeClock(),
      known: true,
      server: { features: [] }, // like Ricochet Refresh: answers EnableFeatures with nothing
    });
    one.connectAsContacts();
    expect(one.client.of('features-enabled')).toEqual([{ type: 'features-enabled', features: [] }]);
    expect(one.client.conn.windowedFileTransfer).toBe(false);
    expect(one.server.conn.windowedFileTransfer).toBe(false);

    const both = new Pair({ clock: new FakeClock(), known: true });
    both.connectAsContacts();
    expect(both.client.conn.windowedFileTransfer).toBe(true);
    expect(both.server.conn.windowedFileTransfer).toBe(true);
    expect(both.server.of('features-enabled')).toEqual([
      { type: 'features-enabled', features: [...SOTTO_FEATURES] },
    ]);
  });

  it('answers KeepAlive{response_requested} and ends on an unsolicited FeaturesEnabled', () => {
    const pair = new Pair({ clock: new FakeClock(), known: true });
    pair.connectAsContacts();
    pair.server.conn.receive(control({ kind: 'keep-alive', responseRequested: true }));
    expect(controlOut(pair.server.conn)).toEqual([
      { kind: 'keep-alive', responseRequested: false },
    ]);
    pair.server.conn.receive(control({ kind: 'features-enabled', features: [] }));
    const closing = pair.server.conn.takeEvents().find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.reason).toBeInstanceOf(ProtocolViolationError);
  });

  it('times round-trip probes by the answers to KeepAlive, in order, at most 4 in flight', () => {
    const clock = new FakeClock();
    const early = new Pair({ clock, known: true });
    early.client.conn.receive(Uint8Array.of(PROTOCOL_VERSION)); // open, not yet authenticated
    early.client.conn.takeOutput();
    expect(early.client.conn.probeRoundTrip()).toBe(false);
    expect(controlOut(early.client.conn)).toEqual([]);

    const pair = new Pair({ clock, known: true });
    pair.connectAsContacts();
    const conn = pair.client.conn;
    expect([1, 2, 3, 4, 5].map(() => conn.probeRoundTrip())).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(controlOut(conn)).toEqual(
      Array.from({ length: 4 }, () => ({ kind: 'keep-alive', responseRequested: true })),
    );
    clock.advance(250);
    conn.receive(control({ kind: 'keep-alive', responseRequested: false }));
    clock.advance(100);
    conn.receive(control({ kind: 'keep-alive', responseRequested: false }));
    expect(conn.takeEvents().filter((e) => e.type === 'round-trip')).toEqual([
      { type: 'round-trip', ms: 250 },
      { type: 'round-trip', ms: 350 },
    ]);
    expect(conn.probeRoundTrip()).toBe(true); // two answered: room again
    expect(conn.state).toBe('open');
  });

  it('drops late packets on a channel it closed until the echo arrives', () => {
    const pair = new Pair({ clock: new FakeClock() });
    const { client, server } = { client: pair.client.conn, server: pair.server.conn };
    for (let step = 0; step < 3; step++) {
      for (const f of client.takeOutput()) server.receive(f); // intro, auth open, proof
      if (step < 2) for (const f of server.takeOutput()) client.receive(f);
    }
    const held = server.takeOutput(); // Result + close of channel 1, not delivered yet
    expect(held.at(-1)).toEqual(encodePacket({ channel: 1, data: new Uint8Array(0) }));
    const late = encodePacket({ channel: 1, data: Uint8Array.of(0x0a, 0x00) });
    server.receive(late);
    expect(server.takeOutput()).toEqual([]); // in flight before our close: dropped
    server.receive(encodePacket({ channel: 1, data: new Uint8Array(0) })); // the echo
    expect(server.takeOutput()).toEqual([]);
    server.receive(late); // now the channel is unknown: answered by closing it
    expect(server.takeOutput()).toEqual([encodePacket({ channel: 1, data: new Uint8Array(0) })]);
    expect(server.state).toBe('open');
  });

  it('a client refuses chat and file channels from a server that does not know it', () => {
    const clock = new FakeClock();
    const client = new RicochetConnection({
      role: 'client',
      identity: ALICE,
      peerServiceId: BOB.serviceId,
      now: clock.now,
      random: seededRandom('c'),
    });
    client.receive(Uint8Array.of(3));
    client.takeOutput();
    client.receive(
      control({ kind: 'open-channel', channelIdentifier: 2, channelType: ChannelType.Chat }),
    );
    expect(controlOut(client)).toEqual([
      { kind: 'channel-result', channelIdentifier: 2, opened: false, commonError: 'unauthorized' },
    ]);
    client.receive(
      control({
        kind: 'open-channel',
        channelIdentifier: 4,
        channelType: ChannelType.Auth,
        clientCookie: new Uint8Array(16),
      }),
    );
    expect(controlOut(client)).toEqual([
      { kind: 'channel-result', channelIdentifier: 4, opened: false, commonError: 'bad-usage' },
    ]);
    expect(client.state).toBe('open');
  });

  it('allows one contact request per connection; an invalid one gets Error, then the close', () => {
    const pair = new Pair({ clock: new FakeClock() });
    pair.pump();
    pair.client.conn.sendContactRequest('', 'first');
    pair.pump();
    expect(() => pair.client.conn.sendContactRequest('', 'again')).toThrow();
    pair.server.conn.receive(
      control({
        kind: 'open-channel',
        channelIdentifier: 5,
        channelType: ChannelType.ContactRequest,
        contactRequest: { nickname: '', messageText: 'second' },
      }),
    );
    expect(controlOut(pair.server.conn)).toEqual([
      { kind: 'channel-result', channelIdentifier: 5, opened: false, commonError: 'bad-usage' },
    ]);

    const invalid = new Pair({ clock: new FakeClock() });
    invalid.pump();
    invalid.server.conn.receive(
      control({
        kind: 'open-channel',
        channelIdentifier: 3,
        channelType: ChannelType.ContactRequest,
        contactRequest: { nickname: '<script>', messageText: 'hi' },
      }),
    );
    const out = new PacketDecoder().push(
      Uint8Array.from(Buffer.concat(invalid.server.conn.takeOutput())),
    );
    expect(decodeControlPacket((out[0] as { data: Uint8Array }).data)).toMatchObject({
      kind: 'channel-result',
      opened: true,
      contactResponse: 'error',
    });
    expect(out[1]).toEqual({ channel: 3, data: new Uint8Array(0) });
    const events = invalid.server.conn.takeEvents();
    expect(events.map((e) => e.type)).not.toContain('contact-request-received');
    // …and the connection ends right after that answer: an invalid request does not linger.
    const closing = events.find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.reason).toBeInstanceOf(
      InvalidContactRequestError,
    );
    expect(invalid.server.conn.state).toBe('closing');
  });

  it('refuses with Error a request whose nickname is blank-looking (fillers, Braille blank)', () => {
    for (const nickname of [
      '\u3164'.repeat(5),
      'a\u115F\u1160',
      '\uFFA0',
      '\u2800\u2800',
      'x\u17B4\u17B5',
    ]) {
      const pair = new Pair({ clock: new FakeClock() });
      pair.pump();
      pair.server.conn.receive(
        control({
          kind: 'open-channel',
          channelIdentifier: 3,
          channelType: ChannelType.ContactRequest,
          contactRequest: { nickname, messageText: 'hi' },
        }),
      );
      const out = new PacketDecoder().push(
        Uint8Array.from(Buffer.concat(pair.server.conn.takeOutput())),
      );
      expect(decodeControlPacket((out[0] as { data: Uint8Array }).data)).toMatchObject({
        kind: 'channel-result',
        opened: true,
        contactResponse: 'error',
      });
      expect(pair.server.conn.takeEvents().map((e) => e.type)).not.toContain(
        'contact-request-received',
      );
    }
  });
});
