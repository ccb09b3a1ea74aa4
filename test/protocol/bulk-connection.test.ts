// The Sotto bulk connection at the byte layer (docs/PROTOCOL.md "Bulk connections"): the purpose
// marker in the introduction (byte at a time, garbage, property test), the negotiation beside the
// windowed mode, and what a bulk connection allows: one file channel opened by the sender, no chat,
// no contact request, no stranger. On an endpoint stream (docs/ENDPOINTS.md §2) there is no
// introduction: the Gosling channel named the purpose, given to both roles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BULK_CONNECTION_FEATURE,
  WINDOWED_FILE_FEATURE,
} from '../../src/protocol/connection-types.js';
import { ProtocolError, UnauthorizedError } from '../../src/protocol/errors.js';
import {
  BULK_PURPOSE_MARKER,
  IntroductionParser,
  introductionFor,
} from '../../src/protocol/introduction.js';
import { ChannelType } from '../../src/protocol/messages.js';
import {
  ALICE,
  BOB,
  closedReason,
  control,
  controlMessages,
  FakeClock,
  Pair,
} from './connection-harness.js';
import { hex, toHex } from './session-vectors.js';

const bulkPair = (known: boolean, serverFeatures?: readonly string[]): Pair =>
  new Pair({
    clock: new FakeClock(),
    known,
    client: { purpose: 'bulk' },
    ...(serverFeatures ? { server: { features: serverFeatures } } : {}),
  });

describe('bulk connection introduction', () => {
  it('offers version 3 and the marker; a control connection offers 3 alone (3.0.41 bytes)', () => {
    expect(toHex(introductionFor('bulk'))).toBe('494d0203b0');
    expect(toHex(introductionFor('control'))).toBe('494d0103');
  });

  it('the server reads the purpose byte by byte and answers version 3', () => {
    const parser = new IntroductionParser();
    const bytes = hex('494d0203b0 0004');
    for (let i = 0; i < 4; i++)
      expect(parser.push(bytes.subarray(i, i + 1))).toEqual({ done: false });
    const done = parser.push(bytes.subarray(4));
    expect(done).toMatchObject({ done: true, version: 3, purpose: 'bulk' });
    if (done.done) {
      expect(toHex(done.reply)).toBe('03');
      expect(toHex(done.rest)).toBe('0004');
    }
    expect(new IntroductionParser().push(hex('494d0103'))).toMatchObject({ purpose: 'control' });
  });

  it('the marker without version 3 is still refused with 0xFF', () => {
    const result = new IntroductionParser().push(hex('494d01b0'));
    expect(result).toMatchObject({ done: true, version: null });
    if (result.done) expect(toHex(result.reply)).toBe('ff');
  });

  it('any offer: bulk iff the marker is offered, 3 iff offered; garbage only ProtocolErrors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
        (vs) => {
          const result = new IntroductionParser().push(
            Uint8Array.from([0x49, 0x4d, vs.length, ...vs]),
          );
          expect(result).toMatchObject({
            done: true,
            version: vs.includes(3) ? 3 : null,
            purpose: vs.includes(BULK_PURPOSE_MARKER) ? 'bulk' : 'control',
          });
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        try {
          new IntroductionParser().push(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('bulk connection', () => {
  it('is negotiated beside the windowed mode, and not with a peer that answers nothing', () => {
    const sotto = new Pair({ clock: new FakeClock(), known: true });
    sotto.connectAsContacts();
    expect(sotto.client.conn.bulkConnections).toBe(true);
    expect(sotto.server.conn.bulkConnections).toBe(true);
    const refresh = new Pair({ clock: new FakeClock(), known: true, server: { features: [] } });
    refresh.connectAsContacts();
    expect(refresh.client.conn.bulkConnections).toBe(false);
    const compat = new Pair({ clock: new FakeClock(), known: true, client: { features: [] } });
    compat.connectAsContacts();
    expect(compat.server.conn.bulkConnections).toBe(false);
    const windowedOnly = new Pair({
      clock: new FakeClock(),
      known: true,
      server: { features: [WINDOWED_FILE_FEATURE] },
    });
    windowedOnly.connectAsContacts();
    expect(windowedOnly.client.conn.bulkConnections).toBe(false);
    expect(windowedOnly.client.conn.windowedFileTransfer).toBe(true);
    expect(BULK_CONNECTION_FEATURE).toBe('im.sotto.file-transfer.bulk-connection');
  });

  it('carries a windowed file on the first channel after auth; no chat channel is opened', () => {
    const pair = bulkPair(true);
    pair.pump();
    expect(pair.server.conn.purpose).toBe('bulk');
    expect(pair.client.conn.isAuthenticated && pair.server.conn.isAuthenticated).toBe(true);
    const data = new Uint8Array(300_000).map((_, i) => i * 7);
    const fileId = pair.client.offer('big.bin', data);
    pair.pump();
    const offer = pair.server.of('file-offer')[0];
    expect(offer?.fileId).toBe(fileId);
    pair.server.conn.acceptFile(fileId);
    pair.pump();
    expect(pair.server.receivedFile(fileId)).toEqual(data);
    expect(pair.client.of('file-complete')).toMatchObject([{ fileId, result: 'success' }]);
    expect(pair.client.conn.windowedFileTransfer).toBe(true);
    // The first frame each way is the introduction and its one-byte answer.
    const opens = [
      ...controlMessages(pair.clientWrote.slice(1)),
      ...controlMessages(pair.serverWrote.slice(1)),
    ]
      .filter((m) => m.kind === 'open-channel')
      .map((m) => (m.kind === 'open-channel' ? m.channelType : ''));
    expect(opens).toEqual([ChannelType.Auth, ChannelType.FileTransfer]);
    expect(pair.client.of('chat-ready')).toEqual([]);
    expect(pair.server.of('chat-ready')).toEqual([]);
    expect(() => pair.client.conn.sendChatMessage('hi')).toThrow();
  });

  it('a stranger cannot hold one: both ends close it right after the auth Result', () => {
    const pair = bulkPair(false);
    pair.pump();
    expect(closedReason(pair.server)).toBeInstanceOf(UnauthorizedError);
    expect(pair.server.conn.state).toBe('closing');
    expect(pair.server.of('contact-request-received')).toEqual([]);
    expect(pair.client.conn.state).not.toBe('open');
  });

  it('refuses a chat channel and a contact request opened on it, and stays up', () => {
    const pair = bulkPair(true);
    pair.pump();
    pair.server.conn.receive(
      control({ kind: 'open-channel', channelIdentifier: 3, channelType: ChannelType.Chat }),
    );
    pair.server.conn.receive(
      control({
        kind: 'open-channel',
        channelIdentifier: 5,
        channelType: ChannelType.ContactRequest,
        contactRequest: { nickname: '', messageText: 'hi' },
      }),
    );
    expect(controlMessages(pair.server.conn.takeOutput())).toEqual([
      { kind: 'channel-result', channelIdentifier: 3, opened: false, commonError: 'bad-usage' },
      { kind: 'channel-result', channelIdentifier: 5, opened: false, commonError: 'bad-usage' },
    ]);
    expect(pair.server.conn.state).toBe('open');
  });
});

describe('bulk connection on an endpoint stream', () => {
  const endpointBulkPair = (): Pair =>
    new Pair({
      clock: new FakeClock(),
      client: { endpointPeer: BOB.serviceId, purpose: 'bulk' },
      server: { endpointPeer: ALICE.serviceId, purpose: 'bulk', isKnownContact: () => false },
    });

  it('starts bulk on both sides with no introduction; only the file channel opens; no chat', () => {
    const pair = endpointBulkPair();
    expect(pair.client.conn.takeOutput()[0]?.[0]).not.toBe(0x49); // no "IM": packets at once
    const fresh = endpointBulkPair();
    fresh.pump();
    expect(fresh.client.conn.purpose).toBe('bulk');
    expect(fresh.server.conn.purpose).toBe('bulk');
    expect(fresh.client.conn.bulkConnections && fresh.server.conn.bulkConnections).toBe(true);
    const data = new Uint8Array(200_000).map((_, i) => i * 13);
    const fileId = fresh.client.offer('big.bin', data);
    fresh.pump();
    fresh.server.conn.acceptFile(fileId);
    fresh.pump();
    expect(fresh.server.receivedFile(fileId)).toEqual(data);
    const opens = [...controlMessages(fresh.clientWrote), ...controlMessages(fresh.serverWrote)]
      .filter((m) => m.kind === 'open-channel')
      .map((m) => (m.kind === 'open-channel' ? m.channelType : ''));
    expect(opens).toEqual([ChannelType.FileTransfer]);
    expect(fresh.client.of('chat-ready')).toEqual([]);
    expect(fresh.server.of('chat-ready')).toEqual([]);
    expect(() => fresh.client.conn.sendChatMessage('hi')).toThrow();
    fresh.server.conn.receive(
      control({ kind: 'open-channel', channelIdentifier: 3, channelType: ChannelType.Chat }),
    );
    expect(controlMessages(fresh.server.conn.takeOutput())).toEqual([
      { kind: 'channel-result', channelIdentifier: 3, opened: false, commonError: 'bad-usage' },
    ]);
  });

  it('a server endpoint stream without a purpose is a control connection (chat opens)', () => {
    const pair = new Pair({
      clock: new FakeClock(),
      client: { endpointPeer: BOB.serviceId },
      server: { endpointPeer: ALICE.serviceId, isKnownContact: () => false },
    });
    pair.pump();
    expect(pair.server.conn.purpose).toBe('control');
    expect(pair.server.of('chat-ready').length + pair.client.of('chat-ready').length).toBe(2);
  });
});
