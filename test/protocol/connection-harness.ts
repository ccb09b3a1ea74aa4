// Test harness for the sans-IO connection: a fake clock, a deterministic RNG, identities, and two
// endpoints wired back to back (no sockets). File chunk requests are served from in-memory files.
import { sha256 } from '@noble/hashes/sha2.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import type { ConnectionEvent, ConnectionOptions } from '../../src/protocol/connection-types.js';
import {
  decodeControlPacket,
  encodeControlPacket,
  type ControlMessage,
} from '../../src/protocol/messages.js';
import { PacketDecoder, encodePacket } from '../../src/protocol/packet-codec.js';

/** A channel-0 frame carrying `message`, as a peer would send it. */
export const control = (message: ControlMessage): Uint8Array =>
  encodePacket({ channel: 0, data: encodeControlPacket(message) });

/** The control messages in `frames` (OpenChannel, ChannelResult…), in order. */
export function controlMessages(frames: readonly Uint8Array[]): ControlMessage[] {
  return new PacketDecoder()
    .push(Uint8Array.from(Buffer.concat(frames)))
    .filter((p) => p.channel === 0 && p.data.length > 0)
    .map((p) => decodeControlPacket(p.data));
}

/** The control messages `conn` has queued to send (takes its output). */
export function controlOut(conn: RicochetConnection): ControlMessage[] {
  return controlMessages(conn.takeOutput());
}

export class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

/** Deterministic byte stream: SHA-256(seed ‖ counter) blocks. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let block = new Uint8Array(0);
  let used = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let filled = 0; filled < n;) {
      if (used === block.length) {
        block = sha256(new TextEncoder().encode(`${seed}:${counter++}`));
        used = 0;
      }
      const take = Math.min(n - filled, block.length - used);
      out.set(block.subarray(used, used + take), filled);
      filled += take;
      used += take;
    }
    return out;
  };
}

export function identityFromByte(byte: number): IdentityKey {
  return IdentityKey.fromSeed(new Uint8Array(32).fill(byte));
}

export const ALICE = identityFromByte(1); // dials (client)
export const BOB = identityFromByte(2); // listens (server)
export const MALLORY = identityFromByte(3);

export interface EndpointOptions {
  readonly clock: FakeClock;
  readonly client?: Partial<ConnectionOptions>;
  readonly server?: Partial<ConnectionOptions>;
  readonly known?: boolean;
}

export class Endpoint {
  readonly events: ConnectionEvent[] = [];
  /** Outgoing files by id: the data the app would read from disk. */
  readonly sources = new Map<number, Uint8Array>();
  /** Incoming file bytes by id, as delivered by file-chunk events. */
  readonly received = new Map<number, Uint8Array[]>();
  autoServeChunks = true;

  constructor(readonly conn: RicochetConnection) {}

  /** Offers `data` as file `name` (its real size and SHA3-512) and serves its chunks. */
  offer(name: string, data: Uint8Array): number {
    const fileId = this.conn.offerFile({ name, size: data.length, hash: sha3_512(data) });
    this.sources.set(fileId, data);
    return fileId;
  }

  drainEvents(): ConnectionEvent[] {
    const fresh = this.conn.takeEvents();
    for (const event of fresh) {
      this.events.push(event);
      if (event.type === 'file-chunk') {
        const list = this.received.get(event.fileId) ?? [];
        list.push(event.data);
        this.received.set(event.fileId, list);
      }
      if (event.type === 'file-chunk-needed' && this.autoServeChunks) {
        const source = this.sources.get(event.fileId);
        if (source) {
          const data = source.subarray(event.offset, event.offset + event.length);
          this.conn.sendFileChunk(event.fileId, event.offset, data);
        }
      }
    }
    return fresh;
  }

  of<T extends ConnectionEvent['type']>(type: T): Extract<ConnectionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }

  receivedFile(fileId: number): Uint8Array {
    const parts = this.received.get(fileId) ?? [];
    return Uint8Array.from(Buffer.concat(parts));
  }
}

export class Pair {
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Every frame each side wrote, in order. */
  readonly clientWrote: Uint8Array[] = [];
  readonly serverWrote: Uint8Array[] = [];

  constructor(readonly options: EndpointOptions) {
    const { clock } = options;
    this.client = new Endpoint(
      new RicochetConnection({
        role: 'client',
        identity: ALICE,
        peerServiceId: BOB.serviceId,
        now: clock.now,
        random: seededRandom('client'),
        ...options.client,
      }),
    );
    this.server = new Endpoint(
      new RicochetConnection({
        role: 'server',
        identity: BOB,
        isKnownContact: () => options.known ?? false,
        now: clock.now,
        random: seededRandom('server'),
        ...options.server,
      }),
    );
  }

  /**
   * Moves bytes both ways until neither side has anything left to say. `maxFrames` bounds each
   * step, so a test can see interleaving (one takeOutput() per step and side).
   */
  pump(limit = 100_000): void {
    for (let i = 0; i < limit; i++) {
      this.client.drainEvents();
      this.server.drainEvents();
      const fromClient = this.client.conn.takeOutput();
      const fromServer = this.server.conn.takeOutput();
      if (fromClient.length === 0 && fromServer.length === 0) return;
      for (const frame of fromClient) {
        this.clientWrote.push(frame);
        this.server.conn.receive(frame);
      }
      for (const frame of fromServer) {
        this.serverWrote.push(frame);
        this.client.conn.receive(frame);
      }
    }
    throw new Error('pump did not settle');
  }

  /** Introduction + authentication (+ contact request accepted unless already known). */
  connectAsContacts(): void {
    this.pump();
    if (!this.options.known) {
      this.client.conn.sendContactRequest('', 'hello');
      this.pump();
      this.server.conn.respondToContactRequest('accepted');
    }
    this.pump();
  }
}

export function closedReason(endpoint: Endpoint): unknown {
  const closing = endpoint.of('closing')[0];
  return closing?.reason;
}
