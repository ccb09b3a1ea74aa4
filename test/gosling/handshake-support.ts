// Helpers for the Gosling handshake tests: fixed keys and cookies, a pump that moves bytes between
// two machines in memory, and a hand-built Honk-RPC request (serialised by the `bson` package
// straight from the spec's field names, not by the code under test).
import { Binary, deserialize, Int32, Long, serialize } from 'bson';
import { IdentityKey } from '../../src/identity/identity-key.js';
import type { GoslingError } from '../../src/gosling/errors.js';
import type { HandshakeEvent, HandshakeSession } from '../../src/gosling/handshake-session.js';

export const alice = IdentityKey.fromSeed(new Uint8Array(32).fill(0xa1)); // identity client
export const bob = IdentityKey.fromSeed(new Uint8Array(32).fill(0xb0)); // identity server
export const mallory = IdentityKey.fromSeed(new Uint8Array(32).fill(0x3e));
export const bobEndpoint = IdentityKey.fromSeed(new Uint8Array(32).fill(0xe1));
export const clientAuthSecret = new Uint8Array(32).fill(0x5c);
export const CLIENT_COOKIE = new Uint8Array(32).fill(0xcc);
export const SERVER_COOKIE = new Uint8Array(32).fill(0x5e);

export const fixed = (bytes: Uint8Array) => () => Uint8Array.from(bytes);

/** Everything one machine wrote, as one buffer. */
export function drain(machine: HandshakeSession<unknown>): Uint8Array {
  return Buffer.concat(machine.takeOutput());
}

/** Moves bytes both ways until neither side writes; returns every client→server message. */
export function pump(
  client: HandshakeSession<unknown>,
  server: HandshakeSession<unknown>,
  now = 0,
): { toServer: Uint8Array[]; toClient: Uint8Array[] } {
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  for (;;) {
    const up = client.takeOutput();
    const down = server.takeOutput();
    if (up.length === 0 && down.length === 0) return { toServer, toClient };
    for (const bytes of up) {
      toServer.push(bytes);
      if (server.state === 'running') server.receive(bytes, now);
    }
    for (const bytes of down) {
      toClient.push(bytes);
      if (client.state === 'running') client.receive(bytes, now);
    }
  }
}

export function failure(events: HandshakeEvent<unknown>[]): GoslingError | undefined {
  const failed = events.find((e) => e.type === 'failed');
  return failed?.type === 'failed' ? failed.error : undefined;
}

/** A Honk-RPC request message built from the spec's field names with the bson package. */
export function request(
  cookie: number,
  namespace: string,
  fn: string,
  args: Record<string, unknown>,
): Uint8Array {
  return serialize({
    honk_rpc: new Int32(0x000100),
    sections: [
      {
        id: new Int32(1),
        cookie: Long.fromNumber(cookie),
        namespace,
        function: fn,
        version: new Int32(0),
        arguments: args,
      },
    ],
  });
}

export const bin = (bytes: Uint8Array) => new Binary(bytes, 0);

/** The sections of the messages in `bytes`, decoded by the bson package with types kept. */
export function sectionsOf(bytes: Uint8Array): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = Buffer.from(bytes.subarray(at, at + 4)).readInt32LE(0);
    const doc = deserialize(bytes.subarray(at, at + length), { promoteValues: false });
    out.push(...(doc['sections'] as Record<string, unknown>[]));
    at += length;
  }
  return out;
}
