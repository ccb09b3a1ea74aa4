// Byte-exact replays of the Ricochet Refresh 3.0.41 recordings: a Sotto connection built with the
// recorded peer's key, with its random cookie and first ids forced to the recorded ones, is fed
// the other peer's bytes run by run and must write exactly what 3.0.41 wrote — both roles.
// The connection runs Sotto's inbound limits (slices, chat budget): 3.0.41's bursts pass them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import type { ConnectionEvent, Role } from '../../src/protocol/connection-types.js';
import { PacketDecoder, type Packet } from '../../src/protocol/packet-codec.js';
import {
  ChannelType,
  decodeChatPacket,
  decodeContactResponse,
  decodeControlPacket,
  decodeFilePacket,
} from '../../src/protocol/messages.js';
import { SOTTO_INBOUND_LIMITS } from '../../src/protocol/inbound-packets.js';
import { FakeClock } from './connection-harness.js';

interface Segment {
  readonly from: Role;
  readonly hex: string;
}
interface Recording {
  readonly peers: Record<string, { service_id: string; identity_keyblob: string }>;
  readonly connections: readonly { client: string; server: string; segments: Segment[] }[];
}

const VECTORS = new URL('../vectors/ricochet-3.0.41/', import.meta.url);
function load(name: string): Recording {
  return JSON.parse(readFileSync(fileURLToPath(new URL(name, VECTORS)), 'utf8')) as Recording;
}
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const toHex = (parts: readonly Uint8Array[]) => Buffer.concat(parts).toString('hex');
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);

/** Splits each run of `role` into packets (after the introduction bytes). */
function packetsByRun(segments: readonly Segment[], role: Role): Map<number, Packet[]> {
  const decoder = new PacketDecoder();
  let introLeft = role === 'client' ? 4 : 1;
  const out = new Map<number, Packet[]>();
  segments.forEach((segment, index) => {
    if (segment.from !== role) return;
    let data = bytes(segment.hex);
    const skip = Math.min(introLeft, data.length);
    introLeft -= skip;
    data = data.subarray(skip);
    out.set(index, decoder.push(data));
  });
  return out;
}

interface Scan {
  readonly types: Map<number, string>;
  cookie?: Uint8Array;
  chatId?: number;
  fileId?: number;
  readonly fileData: Map<number, Uint8Array[]>;
}

/** What the recorded peer drew at random, and the channel types, from the recorded streams. */
function scan(segments: readonly Segment[], role: Role): Scan {
  const result: Scan = { types: new Map(), fileData: new Map() };
  const mine = packetsByRun(segments, role);
  const theirs = packetsByRun(segments, role === 'client' ? 'server' : 'client');
  for (const packets of [...mine.values(), ...theirs.values()]) {
    for (const p of packets) {
      if (p.channel !== 0 || p.data.length === 0) continue;
      const m = decodeControlPacket(p.data);
      if (m.kind === 'open-channel') result.types.set(m.channelIdentifier, m.channelType);
    }
  }
  const myParity = role === 'client' ? 1 : 0;
  for (const packets of mine.values()) {
    for (const p of packets) {
      if (p.data.length === 0) continue;
      const type = result.types.get(p.channel);
      if (p.channel === 0) {
        const m = decodeControlPacket(p.data);
        if (m.kind === 'open-channel' && m.clientCookie) result.cookie = m.clientCookie;
        if (m.kind === 'channel-result' && m.serverCookie) result.cookie = m.serverCookie;
      } else if (type === ChannelType.Chat && p.channel % 2 === myParity) {
        const m = decodeChatPacket(p.data);
        if (m.kind === 'chat-message') result.chatId ??= m.messageId;
      } else if (type === ChannelType.FileTransfer && p.channel % 2 === myParity) {
        const m = decodeFilePacket(p.data);
        if (m.kind === 'file-header') result.fileId ??= m.fileId;
        if (m.kind === 'file-chunk') {
          const list = result.fileData.get(m.fileId) ?? [];
          list.push(m.chunkData.slice());
          result.fileData.set(m.fileId, list);
        }
      }
    }
  }
  return result;
}

interface ReplayResult {
  readonly events: ConnectionEvent[];
  readonly conn: RicochetConnection;
  readonly comparedRuns: number;
}

function replay(recording: Recording, index: number, role: Role, known: boolean): ReplayResult {
  const connection = recording.connections[index];
  if (!connection) throw new Error('no such connection');
  const me = recording.peers[role === 'client' ? connection.client : connection.server];
  const peer = recording.peers[role === 'client' ? connection.server : connection.client];
  if (!me || !peer) throw new Error('peers missing');
  const found = scan(connection.segments, role);
  const draws = [
    found.cookie ?? new Uint8Array(16),
    u32(found.chatId ?? 0),
    u32(found.fileId ?? 0),
  ];
  const random = (n: number): Uint8Array => {
    const next = draws.shift();
    if (!next || next.length !== n) throw new Error(`unexpected random(${n})`);
    return next;
  };
  const clock = new FakeClock();
  const conn = new RicochetConnection({
    role,
    identity: IdentityKey.fromTorKeyBlob(me.identity_keyblob),
    peerServiceId: role === 'client' ? peer.service_id : undefined,
    isKnownContact: () => known,
    features: [],
    keepAliveIntervalMs: 0,
    now: clock.now,
    random,
    inbound: SOTTO_INBOUND_LIMITS,
  });
  const events: ConnectionEvent[] = [];
  const drain = () => {
    for (const e of conn.takeEvents()) {
      events.push(e);
      if (e.type === 'file-chunk-needed') {
        const data = Buffer.concat(found.fileData.get(e.fileId) ?? []);
        conn.sendFileChunk(e.fileId, e.offset, data.subarray(e.offset, e.offset + e.length));
      }
    }
  };
  const myRuns = packetsByRun(connection.segments, role);
  const myParity = role === 'client' ? 1 : 0;
  let comparedRuns = 0;
  connection.segments.forEach((segment, i) => {
    if (segment.from !== role) {
      conn.receive(bytes(segment.hex));
      while (conn.hasPendingInput) {
        expect(conn.inputBlockedUntil, `run ${i}: over the chat budget`).toBeUndefined();
        conn.continueInput();
      }
      drain();
      return;
    }
    // The user actions 3.0.41's user took at this point, read from the recorded packets.
    for (const p of myRuns.get(i) ?? []) {
      if (p.data.length === 0) continue;
      const type = found.types.get(p.channel);
      const mine = p.channel % 2 === myParity;
      if (p.channel === 0) {
        const m = decodeControlPacket(p.data);
        if (m.kind === 'open-channel' && m.contactRequest) {
          conn.sendContactRequest(m.contactRequest.nickname, m.contactRequest.messageText);
        }
      } else if (type === ChannelType.ContactRequest && !mine) {
        const status = decodeContactResponse(p.data).status;
        if (status === 'accepted' || status === 'rejected') conn.respondToContactRequest(status);
      } else if (type === ChannelType.Chat && mine) {
        const m = decodeChatPacket(p.data);
        if (m.kind === 'chat-message') conn.sendChatMessage(m.messageText);
      } else if (type === ChannelType.FileTransfer) {
        const m = decodeFilePacket(p.data);
        if (mine && m.kind === 'file-header') {
          conn.offerFile({ name: m.name, size: m.fileSize, hash: m.fileHash });
        } else if (!mine && m.kind === 'file-header-response') {
          if (m.accept) conn.acceptFile(m.fileId);
          else conn.rejectFile(m.fileId);
        }
      }
      drain();
    }
    const written: Uint8Array[] = [];
    for (let frames = conn.takeOutput(); frames.length > 0; frames = conn.takeOutput()) {
      written.push(...frames);
      drain();
    }
    expect(toHex(written), `run ${i} (${role})`).toBe(segment.hex);
    comparedRuns++;
  });
  drain();
  // Every run this peer wrote was compared byte for byte.
  expect(comparedRuns).toBe(connection.segments.filter((s) => s.from === role).length);
  expect(comparedRuns).toBeGreaterThan(0);
  return { events, conn, comparedRuns };
}

describe('byte-exact replay of Ricochet Refresh 3.0.41 sessions', () => {
  const chat = load('session-request-accept-chat.json');
  const texts = [
    'Hello Bob, this is plain ASCII.',
    'Hi A, plain ASCII reply.',
    'grüße ✓ 日本語',
    '😀',
  ];

  for (const role of ['client', 'server'] as const) {
    it(`request, accept and chat: Sotto as the ${role} writes 3.0.41's bytes`, () => {
      const { events } = replay(chat, 0, role, false);
      const received = events.filter((e) => e.type === 'chat-message').map((e) => e.text);
      const expected = role === 'client' ? [texts[1], texts[3]] : [texts[0], texts[2]];
      expect(received.slice(0, 2)).toEqual(expected);
      expect(received).toHaveLength(3);
      expect(received.every((t) => t.length >= 1 && t.length <= 2000)).toBe(true);
      if (role === 'server') expect(received[2]).toHaveLength(2000);
      const acks = events.filter((e) => e.type === 'chat-ack');
      expect(acks).toHaveLength(3);
      expect(acks.every((e) => e.accepted)).toBe(true);
      expect(events.find((e) => e.type === 'authenticated')).toMatchObject({
        isKnownContact: false,
      });
    });

    it(`reconnect of known contacts: Sotto as the ${role} writes 3.0.41's bytes`, () => {
      const recording = load('session-reconnect-known.json');
      const { events } = replay(recording, 0, role, true);
      expect(events.find((e) => e.type === 'authenticated')).toMatchObject({
        isKnownContact: true,
      });
      expect(events.filter((e) => e.type === 'chat-message')).toHaveLength(1);
      // The connection the duplicate rule dropped: what was sent before the FIN matches too.
      replay(recording, 1, role, true);
    });

    it(`file transfer and a rejected offer: Sotto as the ${role} writes 3.0.41's bytes`, () => {
      const recording = load('session-file-transfer.json');
      const { events } = replay(recording, 0, role, false);
      const done = events.filter((e) => e.type === 'file-complete').map((e) => e.result);
      expect(done).toEqual(['success', 'rejected']);
      if (role === 'server') {
        const chunks = events.filter((e) => e.type === 'file-chunk');
        expect(chunks.map((e) => e.data.length)).toEqual([64512, 64512, 20976]);
      }
    });

    it(`rejected request: Sotto as the ${role} writes 3.0.41's bytes`, () => {
      const recording = load('session-reject.json');
      const { events, conn } = replay(recording, 0, role, false);
      if (role === 'client') {
        conn.transportClosed(); // 3.0.41 rejects by closing TCP about 1 s after Pending
        const after = conn.takeEvents();
        expect([...events, ...after].map((e) => e.type)).toContain(
          'contact-request-closed-while-pending',
        );
        expect(after.at(-1)).toEqual({ type: 'closed', reason: 'peer-closed', forced: false });
      } else {
        expect(events).toContainEqual({
          type: 'contact-request-received',
          nickname: '',
          message: 'Hello B, this is C. Let me in?',
        });
      }
    });
  }
});
