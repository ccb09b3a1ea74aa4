// Conformance against real Ricochet Refresh 3.0.41 sessions: every packet decodes by the type of
// the channel it travels on, re-encodes to the same bytes, and every proof/signature is reproduced.
import { describe, expect, it } from 'vitest';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  decodePacket,
  encodePacket,
  PacketDecoder,
  type Packet,
} from '../../src/protocol/packet-codec.js';
import { IntroductionParser, parseIntroductionReply } from '../../src/protocol/introduction.js';
import {
  ChannelType,
  decodeAuthPacket,
  decodeChatPacket,
  decodeContactResponse,
  decodeControlPacket,
  decodeFilePacket,
  encodeAuthPacket,
  encodeChatPacket,
  encodeContactResponse,
  encodeControlPacket,
  encodeFilePacket,
  type AuthMessage,
  type ChatPacket,
  type ControlMessage,
  type FilePacket,
} from '../../src/protocol/messages.js';
import { computeAuthProof, verifyAuthProof } from '../../src/protocol/auth-proof.js';
import { loadSessions, stream, toHex, type Connection, type Session } from './session-vectors.js';

type Decoded =
  | { channel: number; type: 'control'; message: ControlMessage }
  | { channel: number; type: 'close' }
  | { channel: number; type: 'auth'; message: AuthMessage }
  | { channel: number; type: 'contact'; status: string }
  | { channel: number; type: 'chat'; message: ChatPacket }
  | { channel: number; type: 'file'; message: FilePacket };

interface Replay {
  client: Decoded[];
  server: Decoded[];
}

/** Splits a direction into packets, using only the framing (whole stream in one buffer). */
function splitPackets(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const result = decodePacket(bytes, offset);
    if ('needMore' in result) throw new Error(`trailing ${bytes.length - offset} bytes`);
    packets.push(result.packet);
    offset += result.consumed;
  }
  return packets;
}

/**
 * Decodes both directions. Channel types come from OpenChannel messages: a channel opened by one
 * side carries packets in both directions, so the table is shared per connection.
 */
function replay(connection: Connection): Replay {
  const client = stream(connection, 'client');
  const server = stream(connection, 'server');
  const intro = new IntroductionParser().push(client);
  expect(intro.done).toBe(true);
  if (!intro.done) throw new Error('no introduction');
  expect(toHex(client.subarray(0, 4))).toBe('494d0103');
  expect(intro.version).toBe(3);
  expect(toHex(intro.reply)).toBe('03');
  const serverRest = parseIntroductionReply(server).rest;
  expect(server[0]).toBe(3);

  const clientPackets = splitPackets(intro.rest);
  const serverPackets = splitPackets(serverRest);
  // Learn every channel's type first (the replies may have arrived before the open in one direction's order).
  const types = new Map<number, string>();
  for (const packet of [...clientPackets, ...serverPackets]) {
    if (packet.channel !== 0) continue;
    const message = decodeControlPacket(packet.data);
    if (message.kind === 'open-channel') types.set(message.channelIdentifier, message.channelType);
  }
  const decodeAll = (packets: Packet[]): Decoded[] =>
    packets.map((packet) => {
      // Framing is byte-exact too.
      const channel = packet.channel;
      if (packet.data.length === 0) return { channel, type: 'close' };
      if (channel === 0) {
        const message = decodeControlPacket(packet.data);
        expect(toHex(encodeControlPacket(message))).toBe(toHex(packet.data));
        return { channel, type: 'control', message };
      }
      const type = types.get(channel);
      switch (type) {
        case ChannelType.Auth: {
          const message = decodeAuthPacket(packet.data);
          expect(toHex(encodeAuthPacket(message))).toBe(toHex(packet.data));
          return { channel, type: 'auth', message };
        }
        case ChannelType.ContactRequest: {
          const { status } = decodeContactResponse(packet.data);
          expect(toHex(encodeContactResponse(status))).toBe(toHex(packet.data));
          return { channel, type: 'contact', status };
        }
        case ChannelType.Chat: {
          const message = decodeChatPacket(packet.data);
          expect(toHex(encodeChatPacket(message))).toBe(toHex(packet.data));
          return { channel, type: 'chat', message };
        }
        case ChannelType.FileTransfer: {
          const message = decodeFilePacket(packet.data);
          expect(toHex(encodeFilePacket(message))).toBe(toHex(packet.data));
          return { channel, type: 'file', message };
        }
        default:
          throw new Error(`packet on channel ${channel} of unknown type ${type}`);
      }
    });
  for (const packet of [...clientPackets, ...serverPackets]) {
    const framed = encodePacket(packet);
    expect(framed.length).toBe(packet.data.length + 4);
  }
  return { client: decodeAll(clientPackets), server: decodeAll(serverPackets) };
}

const sessions = loadSessions();

describe('Ricochet Refresh 3.0.41 recordings', () => {
  it('finds all four recorded sessions', () => {
    expect(sessions.map((s) => s.file)).toEqual([
      'session-file-transfer.json',
      'session-reconnect-known.json',
      'session-reject.json',
      'session-request-accept-chat.json',
    ]);
  });

  for (const session of sessions) {
    describe(session.file, () => {
      session.connections.forEach((connection, index) => {
        it(`connection ${index} (${connection.client} → ${connection.server}): every packet decodes and re-encodes byte for byte`, () => {
          const { client, server } = replay(connection);
          expect(client.length + server.length).toBeGreaterThan(0);
          // Client opens odd channels, server even ones.
          for (const d of client) {
            if (d.type === 'control' && d.message.kind === 'open-channel') {
              expect(d.message.channelIdentifier % 2).toBe(1);
            }
          }
          for (const d of server) {
            if (d.type === 'control' && d.message.kind === 'open-channel') {
              expect(d.message.channelIdentifier % 2).toBe(0);
            }
          }
        });

        it(`connection ${index}: proofs are reproduced from the cookies and keyblob`, () => {
          checkProofs(session, connection);
        });

        it(`connection ${index}: byte-at-a-time through IntroductionParser and PacketDecoder`, () => {
          for (const from of ['client', 'server'] as const) {
            const bytes = stream(connection, from);
            let rest = bytes.subarray(from === 'client' ? 4 : 1);
            if (from === 'client') {
              const parser = new IntroductionParser();
              for (let i = 0; i < 4; i++) {
                const r = parser.push(bytes.subarray(i, i + 1));
                expect(r.done).toBe(i === 3);
                if (r.done) rest = bytes.subarray(4);
              }
            }
            const expected = splitPackets(rest).map((p) => [p.channel, toHex(p.data)]);
            const decoder = new PacketDecoder();
            const got: (string | number)[][] = [];
            for (let i = 0; i < rest.length; i++) {
              for (const p of decoder.push(rest.slice(i, i + 1)))
                got.push([p.channel, toHex(p.data)]);
            }
            expect(got).toEqual(expected);
          }
        });

        it(`connection ${index}: random re-chunking through PacketDecoder yields the same packets`, () => {
          const client = stream(connection, 'client').subarray(4);
          const expected = splitPackets(client).map((p) => [p.channel, toHex(p.data)]);
          const decoder = new PacketDecoder();
          const got: (string | number)[][] = [];
          let seed = 7 + index;
          for (let pos = 0; pos < client.length;) {
            seed = (seed * 1103515245 + 12345) % 2 ** 31;
            const n = 1 + (seed % 3000);
            for (const p of decoder.push(client.slice(pos, pos + n)))
              got.push([p.channel, toHex(p.data)]);
            pos += n;
          }
          expect(got).toEqual(expected);
          expect(decoder.bufferedBytes).toBe(0);
        });
      });
    });
  }
});

function checkProofs(session: Session, connection: Connection): void {
  const { client, server } = replay(connection);
  const clientPeer = session.peers[connection.client];
  const serverPeer = session.peers[connection.server];
  if (!clientPeer || !serverPeer) throw new Error('peer missing');
  const open = client.find(
    (d) => d.type === 'control' && d.message.kind === 'open-channel' && d.message.clientCookie,
  );
  const result = server.find(
    (d) => d.type === 'control' && d.message.kind === 'channel-result' && d.message.serverCookie,
  );
  const proof = client.find((d) => d.type === 'auth' && d.message.kind === 'proof');
  expect(open).toBeDefined();
  if (!proof) {
    // The duplicate that was dropped in session-reconnect-known sent no Proof.
    expect(session.file).toBe('session-reconnect-known.json');
    return;
  }
  if (open?.type !== 'control' || open.message.kind !== 'open-channel') throw new Error('no open');
  if (result?.type !== 'control' || result.message.kind !== 'channel-result')
    throw new Error('no result');
  if (proof.type !== 'auth' || proof.message.kind !== 'proof') throw new Error('no proof');
  const clientCookie = open.message.clientCookie as Uint8Array;
  const serverCookie = result.message.serverCookie as Uint8Array;
  expect(proof.message.serviceId).toBe(clientPeer.service_id);
  const hmac = computeAuthProof(
    clientCookie,
    serverCookie,
    clientPeer.service_id,
    serverPeer.service_id,
  );
  expect(hmac.length).toBe(32);
  const key = IdentityKey.fromTorKeyBlob(clientPeer.identity_keyblob);
  expect(toHex(key.sign(hmac))).toBe(toHex(proof.message.signature));
  expect(
    verifyAuthProof(
      proof.message.signature,
      proof.message.serviceId,
      serverPeer.service_id,
      clientCookie,
      serverCookie,
    ),
  ).toBe(true);
  // Verifying as a different server (wrong own id) must fail.
  expect(
    verifyAuthProof(
      proof.message.signature,
      proof.message.serviceId,
      clientPeer.service_id,
      clientCookie,
      serverCookie,
    ),
  ).toBe(false);
  key.wipe();
  const answer = server.find((d) => d.type === 'auth' && d.message.kind === 'result');
  expect(
    answer?.type === 'auth' && answer.message.kind === 'result' && answer.message.accepted,
  ).toBe(true);
}

describe('session-file-transfer: the 150000-byte file', () => {
  it('reassembles from FileChunks and matches the FileHeader SHA3-512', () => {
    const session = sessions.find((s) => s.file === 'session-file-transfer.json') as Session;
    const all = session.connections.flatMap((c) => {
      const { client, server } = replay(c);
      return [...client, ...server];
    });
    const headers = all.flatMap((d) =>
      d.type === 'file' && d.message.kind === 'file-header' ? [d.message] : [],
    );
    const big = headers.find((h) => h.fileSize === 150000);
    if (!big) throw new Error('no 150000-byte header');
    expect(big.name).toBe(session.scenario_data?.['file_name']);
    const chunks = all.flatMap((d) =>
      d.type === 'file' && d.message.kind === 'file-chunk' && d.message.fileId === big.fileId
        ? [d.message.chunkData]
        : [],
    );
    expect(chunks.map((c) => c.length)).toEqual([64512, 64512, 20976]);
    const file = new Uint8Array(150000);
    let at = 0;
    for (const chunk of chunks) {
      file.set(chunk, at);
      at += chunk.length;
    }
    expect(toHex(sha3_512(file))).toBe(toHex(big.fileHash));
    expect(toHex(big.fileHash)).toBe(session.scenario_data?.['file_sha3_512']);
    const acks = all.flatMap((d) =>
      d.type === 'file' && d.message.kind === 'file-chunk-ack' ? [d.message.bytesReceived] : [],
    );
    expect(acks).toEqual([64512, 129024, 150000]);
    const responses = all.flatMap((d) =>
      d.type === 'file' && d.message.kind === 'file-header-response'
        ? [[d.message.fileId - big.fileId, d.message.accept]]
        : [],
    );
    expect(responses).toEqual([
      [0, true],
      [1, false],
    ]);
  });
});

describe('what the recordings say about message content', () => {
  it('session-request-accept-chat: the six chat texts decode exactly, each acked with accepted=true', () => {
    const session = sessions.find((s) => s.file === 'session-request-accept-chat.json') as Session;
    const { client, server } = replay(session.connections[0] as Connection);
    const all = [...client, ...server];
    const texts = all.flatMap((d) =>
      d.type === 'chat' && d.message.kind === 'chat-message' ? [d.message] : [],
    );
    const expected = session.scenario_data?.['messages'] as string[];
    expect(texts.map((m) => m.messageText).sort()).toEqual([...expected].sort());
    expect(texts.map((m) => m.messageText.length)).toContain(2000);
    expect(texts.every((m) => m.timeDelta === 0)).toBe(true);
    const acks = all.flatMap((d) =>
      d.type === 'chat' && d.message.kind === 'chat-acknowledge' ? [d.message] : [],
    );
    expect(acks.map((a) => a.messageId).sort()).toEqual(texts.map((m) => m.messageId).sort());
    expect(acks.every((a) => a.accepted)).toBe(true);
    const request = client.find(
      (d) => d.type === 'control' && d.message.kind === 'open-channel' && d.message.contactRequest,
    );
    if (request?.type !== 'control' || request.message.kind !== 'open-channel') {
      throw new Error('no contact request');
    }
    expect(request.message.contactRequest?.nickname).toBe('');
    expect(request.message.contactRequest?.messageText.length).toBeGreaterThan(0);
    const statuses = server.flatMap((d) =>
      d.type === 'contact'
        ? [d.status]
        : d.type === 'control' && d.message.kind === 'channel-result' && d.message.contactResponse
          ? [d.message.contactResponse]
          : [],
    );
    expect(statuses).toEqual(['pending', 'accepted']);
  });

  it('session-reject: the server answers Pending and never sends Rejected', () => {
    const session = sessions.find((s) => s.file === 'session-reject.json') as Session;
    const { server } = replay(session.connections[0] as Connection);
    const statuses = server.flatMap((d) =>
      d.type === 'contact'
        ? [d.status]
        : d.type === 'control' && d.message.kind === 'channel-result' && d.message.contactResponse
          ? [d.message.contactResponse]
          : [],
    );
    expect(statuses).toEqual(['pending']);
  });
});
