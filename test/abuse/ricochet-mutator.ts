// Seeded fuzz inputs for a Ricochet v3 server: the client streams of the Ricochet Refresh 3.0.41
// recordings (each replayable against a Sotto server holding the recorded key and cookie), and
// fast-check arbitraries that mutate them (bytes, framing, channels, proofs, order) or make garbage.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { PacketDecoder, encodePacket, type Packet } from '../../src/protocol/packet-codec.js';
import {
  ChannelType,
  decodeAuthPacket,
  decodeControlPacket,
  encodeAuthPacket,
  encodeChatPacket,
  encodeControlPacket,
} from '../../src/protocol/messages.js';

export const INTRO = Uint8Array.of(0x49, 0x4d, 0x01, 0x03);

/** One recorded client stream and what a server needs to replay it (key, cookie, contact?). */
export interface FuzzSeed {
  readonly name: string;
  readonly serverKey: IdentityKey;
  readonly serverCookie: Uint8Array | undefined;
  readonly known: boolean;
  /** The recorded server accepted this client's proof (so an unmutated replay authenticates). */
  readonly authenticatedInRecording: boolean;
  /** Client packets after the 4-byte introduction. */
  readonly packets: readonly Packet[];
}

interface Recording {
  readonly peers: Record<string, { service_id: string; identity_keyblob: string }>;
  readonly connections: readonly {
    client: string;
    server: string;
    segments: { from: 'client' | 'server'; hex: string }[];
  }[];
}

const VECTORS = new URL('../vectors/ricochet-3.0.41/', import.meta.url);

function joined(segments: Recording['connections'][number]['segments'], from: string): Uint8Array {
  const hex = segments
    .filter((s) => s.from === from)
    .map((s) => s.hex)
    .join('');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function packetsOf(bytes: Uint8Array): Packet[] {
  return new PacketDecoder().push(bytes).map((p) => ({ channel: p.channel, data: p.data.slice() }));
}

function acceptsProof(data: Uint8Array): boolean {
  try {
    const m = decodeAuthPacket(data);
    return m.kind === 'result' && m.accepted;
  } catch {
    return false;
  }
}

/** Every recorded connection whose client completed its introduction. */
export function loadSeeds(): FuzzSeed[] {
  const dir = fileURLToPath(VECTORS);
  const seeds: FuzzSeed[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.startsWith('session-'))
    .sort()) {
    const recording = JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')) as Recording;
    recording.connections.forEach((connection, index) => {
      const client = joined(connection.segments, 'client');
      const server = joined(connection.segments, 'server');
      if (client.length < INTRO.length || server.length < 1) return;
      const serverPeer = recording.peers[connection.server];
      if (!serverPeer) return;
      let serverCookie: Uint8Array | undefined;
      let authenticatedInRecording = false;
      for (const p of packetsOf(server.subarray(1))) {
        if (p.data.length === 0) continue;
        if (p.channel !== 0) {
          authenticatedInRecording ||= acceptsProof(p.data);
          continue;
        }
        const m = decodeControlPacket(p.data);
        if (m.kind === 'channel-result' && m.serverCookie) serverCookie = m.serverCookie;
      }
      seeds.push({
        name: `${file}#${index}`,
        serverKey: IdentityKey.fromTorKeyBlob(serverPeer.identity_keyblob),
        serverCookie,
        known: file.includes('reconnect-known'),
        authenticatedInRecording,
        packets: packetsOf(client.subarray(INTRO.length)),
      });
    });
  }
  return seeds;
}

// ---- mutations ----

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'splice'; readonly other: number; readonly at: number; readonly from: number }
  | { readonly kind: 'oversize'; readonly packet: number; readonly size: number }
  | { readonly kind: 'channel'; readonly packet: number; readonly channel: number }
  | { readonly kind: 'parity'; readonly packet: number }
  | { readonly kind: 'chat-before-auth'; readonly text: string }
  | { readonly kind: 'duplicate'; readonly packet: number }
  | { readonly kind: 'drop'; readonly packet: number }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number }
  | { readonly kind: 'foreign-proof'; readonly signer: number }
  | { readonly kind: 'insert-garbage'; readonly packet: number; readonly bytes: Uint8Array }
  | { readonly kind: 'bad-intro'; readonly intro: Uint8Array };

/** Mallory's keys for foreign proofs (fixed seeds: the fuzz run is reproducible). */
const SIGNERS = [7, 8, 9].map((b) => IdentityKey.fromSeed(new Uint8Array(32).fill(b)));

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('splice'), other: fc.nat(), at: fc.nat(), from: fc.nat() }),
  fc.record({
    kind: fc.constant('oversize'),
    packet: fc.nat(),
    size: fc.oneof(fc.constant(0xffff), fc.integer({ min: 0, max: 3 }), fc.nat(0xffff)),
  }),
  fc.record({ kind: fc.constant('channel'), packet: fc.nat(), channel: fc.nat(0xffff) }),
  fc.record({ kind: fc.constant('parity'), packet: fc.nat() }),
  fc.record({ kind: fc.constant('chat-before-auth'), text: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('duplicate'), packet: fc.nat() }),
  fc.record({ kind: fc.constant('drop'), packet: fc.nat() }),
  fc.record({ kind: fc.constant('swap'), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('foreign-proof'), signer: fc.nat(SIGNERS.length - 1) }),
  fc.record({
    kind: fc.constant('insert-garbage'),
    packet: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({
    kind: fc.constant('bad-intro'),
    intro: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  }),
);

const pick = <T>(list: readonly T[], n: number): T | undefined =>
  list.length === 0 ? undefined : list[n % list.length];

/** Replaces the client's proof with one signed by another key (a stolen or foreign identity). */
function foreignProof(packets: Packet[], signer: IdentityKey): Packet[] {
  return packets.map((p) => {
    if (p.channel === 0 || p.data.length === 0) return p;
    try {
      const m = decodeAuthPacket(p.data);
      if (m.kind !== 'proof') return p;
      const signature = signer.sign(new Uint8Array(64));
      return { channel: p.channel, data: encodeAuthPacket({ ...m, signature }) };
    } catch {
      return p;
    }
  });
}

/** An OpenChannel whose id has the server's (even) parity instead of the client's (odd). */
function flipParity(p: Packet): Packet {
  if (p.channel !== 0 || p.data.length === 0) return { channel: p.channel ^ 1, data: p.data };
  try {
    const m = decodeControlPacket(p.data);
    if (m.kind !== 'open-channel') return p;
    const data = encodeControlPacket({ ...m, channelIdentifier: m.channelIdentifier ^ 1 });
    return { channel: 0, data };
  } catch {
    return p;
  }
}

/** The mutated client stream: introduction + packets, then byte-level changes in order. */
export function mutate(
  seed: FuzzSeed,
  seeds: readonly FuzzSeed[],
  mutations: readonly Mutation[],
): Uint8Array {
  let intro: Uint8Array = INTRO;
  let packets = [...seed.packets];
  const byteLevel: Mutation[] = [];
  for (const m of mutations) {
    const i = (n: number) => n % Math.max(1, packets.length);
    switch (m.kind) {
      case 'channel':
        if (packets[i(m.packet)]) {
          packets[i(m.packet)] = { channel: m.channel, data: packets[i(m.packet)]!.data };
        }
        break;
      case 'parity':
        if (packets[i(m.packet)]) packets[i(m.packet)] = flipParity(packets[i(m.packet)]!);
        break;
      case 'chat-before-auth': {
        const open = encodeControlPacket({
          kind: 'open-channel',
          channelIdentifier: 3,
          channelType: ChannelType.Chat,
        });
        const chat = encodeChatPacket({
          kind: 'chat-message',
          messageText: m.text,
          messageId: 1,
          timeDelta: 0,
        });
        packets = [{ channel: 0, data: open }, { channel: 3, data: chat }, ...packets];
        break;
      }
      case 'duplicate':
        if (packets[i(m.packet)]) packets.splice(i(m.packet), 0, packets[i(m.packet)]!);
        break;
      case 'drop':
        packets.splice(i(m.packet), 1);
        break;
      case 'swap': {
        const a = packets[i(m.a)];
        const b = packets[i(m.b)];
        if (a && b) {
          packets[i(m.a)] = b;
          packets[i(m.b)] = a;
        }
        break;
      }
      case 'foreign-proof':
        packets = foreignProof(packets, SIGNERS[m.signer % SIGNERS.length]!);
        break;
      case 'bad-intro':
        intro = m.intro;
        break;
      default:
        byteLevel.push(m);
    }
  }
  const framed = packets.map((p) => encodePacket(p));
  const starts: number[] = [];
  let offset = intro.length;
  for (const f of framed) {
    starts.push(offset);
    offset += f.length;
  }
  let bytes: Buffer = Buffer.concat([intro, ...framed]);
  for (const m of byteLevel) bytes = applyByteMutation(bytes, starts, m, seeds);
  return Uint8Array.from(bytes);
}

function applyByteMutation(
  bytes: Buffer,
  starts: readonly number[],
  m: Mutation,
  seeds: readonly FuzzSeed[],
): Buffer {
  const at = (n: number) => (bytes.length === 0 ? 0 : n % bytes.length);
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[at(m.at)] = (out[at(m.at)] as number) ^ m.xor;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, at(m.at));
    case 'splice': {
      const other = pick(seeds, m.other);
      if (!other) return bytes;
      const tail = Buffer.concat(other.packets.map((p) => encodePacket(p)));
      return Buffer.concat([
        bytes.subarray(0, at(m.at)),
        tail.subarray(m.from % (tail.length + 1)),
      ]);
    }
    case 'oversize': {
      const start = pick(starts, m.packet);
      if (start === undefined || start + 2 > bytes.length) return bytes;
      const out = Buffer.from(bytes);
      out.writeUInt16BE(m.size, start);
      return out;
    }
    case 'insert-garbage': {
      const start = pick(starts, m.packet) ?? bytes.length;
      const s = Math.min(start, bytes.length);
      return Buffer.concat([bytes.subarray(0, s), m.bytes, bytes.subarray(s)]);
    }
    default:
      return bytes;
  }
}

/** Splits `bytes` into chunks of the given sizes (cycled), as a socket might deliver them. */
export function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length === 0) return [bytes];
  const out: Uint8Array[] = [];
  for (let offset = 0, k = 0; offset < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] as number);
    out.push(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

export const fuzzSeed = (): number => Number(process.env['SOTTO_FUZZ_SEED'] ?? 0x5077_0);
export const heavy = (): boolean => process.env['SOTTO_HEAVY'] === '1';
