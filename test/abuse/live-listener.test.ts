// Malformed input at a live Sotto listener over loopback TCP: the real Messenger (ConnectionManager,
// PeerLink, RicochetConnection) behind a loopback TorProvider takes mutated 3.0.41 streams and
// hostile clients that go bad after authenticating, while a real contact chats in the middle.
// Every server connection ends with a typed reason, the contact is served, retained heap is bounded.
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import { InternalConnectionError, type CloseReason } from '../../src/protocol/connection-types.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { LoopbackSotto, RawPeer, closedWithin, collectGarbage } from './loopback-support.js';
import {
  INTRO,
  chunked,
  fuzzSeed,
  heavy,
  loadSeeds,
  mutate,
  mutationArb,
  type Mutation,
} from './ricochet-mutator.js';

const SEEDS = loadSeeds();
const CASES = heavy() ? 20_000 : 240;

/** Observes (does not change) the close reason of every server-role connection in this process. */
const serverCloses: CloseReason[] = [];
// Restored with the same `this`; calling it unbound is never done.
// eslint-disable-next-line @typescript-eslint/unbound-method
const originalTakeEvents = RicochetConnection.prototype.takeEvents;
function spyOnCloses(): void {
  RicochetConnection.prototype.takeEvents = function (this: RicochetConnection) {
    const events = originalTakeEvents.call(this);
    if (this.role === 'server') {
      for (const e of events) if (e.type === 'closed') serverCloses.push(e.reason);
    }
    return events;
  };
}

function isTypedReason(reason: CloseReason): boolean {
  // 'local-close' is the server refusing an unknown peer (admission control) after authentication.
  if (reason === 'peer-closed' || reason === 'timeout' || reason === 'local-close') return true;
  return reason instanceof ProtocolError && !(reason instanceof InternalConnectionError);
}

/** Writes a mutated recorded stream in chunks, half-closes, waits for the server to hang up. */
async function sendRecorded(port: number, bytes: Uint8Array, sizes: number[]): Promise<void> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.resume();
  for (const chunk of chunked(bytes, sizes)) socket.write(chunk);
  socket.end();
  await closedWithin(socket, 10_000);
}

/** A client that authenticates properly, then sends frames mutated from the `from`-th on. */
async function sendHostile(
  port: number,
  serverId: string,
  key: IdentityKey,
  known: boolean,
  from: number,
  mutation: Mutation,
): Promise<void> {
  const peer = new RawPeer(key, serverId, port);
  peer.socket.on('error', () => undefined);
  let written = 0;
  const socketWrite = peer.socket.write.bind(peer.socket);
  const write = (chunk: Uint8Array): boolean => socketWrite(chunk);
  const patched = (chunk: Uint8Array): boolean => {
    written++;
    if (written < from) return write(chunk);
    const seed = {
      ...SEEDS[0]!,
      packets: [{ channel: (chunk[2]! << 8) | chunk[3]!, data: chunk.subarray(4) }],
    };
    return write(mutate(seed, SEEDS, [mutation]).subarray(INTRO.length));
  };
  peer.socket.write = patched;
  try {
    await peer.waitFor('authenticated', 1_000);
    peer.link.run((c) => {
      if (known) {
        c.sendChatMessage('hello, I am about to misbehave');
        c.offerFile({ name: 'x.bin', size: 10, hash: new Uint8Array(64) });
      } else {
        c.sendContactRequest('mallory', 'let me in');
      }
    });
  } catch {
    // the mutation broke the handshake: the server already hung up
  }
  await new Promise((r) => setTimeout(r, 20));
  peer.socket.end();
  await closedWithin(peer.socket, 10_000);
}

describe('a live Sotto listener on loopback under malformed input', () => {
  const alice = IdentityKey.generate(); // a real contact
  const mallory = IdentityKey.generate(); // a contact gone rogue
  let bob: LoopbackSotto;

  beforeAll(async () => {
    spyOnCloses();
    bob = await LoopbackSotto.start([alice, mallory]);
  });
  afterAll(async () => {
    RicochetConnection.prototype.takeEvents = originalTakeEvents;
    await bob?.stop();
  });

  it(`ends ${CASES} hostile connections with typed reasons and keeps serving a contact`, async () => {
    const serverId = bob.key.serviceId;
    const cases = fc.sample(
      fc.record({
        recorded: fc.boolean(),
        seed: fc.nat(SEEDS.length - 1),
        mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        sizes: fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 4 }),
        known: fc.boolean(),
        from: fc.integer({ min: 2, max: 6 }),
      }),
      { seed: fuzzSeed(), numRuns: CASES },
    );
    const strangers = Array.from({ length: 8 }, () => IdentityKey.generate());
    const run = async (c: (typeof cases)[number], i: number): Promise<void> => {
      if (c.recorded) {
        const seed = SEEDS[c.seed]!;
        await sendRecorded(bob.port, mutate(seed, SEEDS, c.mutations), c.sizes);
      } else {
        const key = c.known ? mallory : strangers[i % strangers.length]!;
        await sendHostile(bob.port, serverId, key, c.known, c.from, c.mutations[0]!);
      }
    };

    // Warm up, then measure retained heap across the run.
    for (let i = 0; i < 10; i++) await run(cases[i]!, i);
    await collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const half = Math.floor(CASES / 2);
    for (let i = 10; i < half; i++) await run(cases[i]!, i);

    // A real contact connects in the middle of the storm and chats.
    const contact = new RawPeer(alice, serverId, bob.port);
    await contact.waitFor('chat-ready');
    contact.link.run((c) => c.sendChatMessage('still there?'));
    await bob.waitFor((e) => e.type === 'message' && e.text === 'still there?');

    for (let i = half; i < CASES; i++) await run(cases[i]!, i);

    // …and is still served after it.
    contact.link.run((c) => c.sendChatMessage('after the storm'));
    await bob.waitFor((e) => e.type === 'message' && e.text === 'after the storm');
    const acks = contact.events.filter((e) => e.type === 'chat-ack' && e.accepted);
    expect(acks.length).toBeGreaterThanOrEqual(1);

    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    // Every connection but the contact's ended, each with a typed reason.
    await expect
      .poll(() => serverCloses.length, { timeout: 10_000 })
      .toBe(bob.tor.inbound.length - 1);
    const untyped = serverCloses.filter((r) => !isTypedReason(r));
    expect(untyped.map(String)).toEqual([]);
    const codes = new Set(serverCloses.map((r) => (typeof r === 'string' ? r : r.code)));
    console.info(
      `live listener: ${serverCloses.length} connections ended; reasons ${[...codes].join(', ')};`,
      `retained heap growth ${(growth / 1024).toFixed(0)} KiB`,
    );
    expect(codes.size).toBeGreaterThanOrEqual(4);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    contact.link.close();
  }, 600_000);

  it('hangs up on a peer that opens and says nothing, 15 s later (clock injected)', async () => {
    let skew = 0;
    const carol = await LoopbackSotto.start([], { now: () => Date.now() + skew });
    try {
      for (const opening of [new Uint8Array(0), INTRO]) {
        const before = serverCloses.length;
        const accepted = carol.tor.inbound.length;
        const socket = createConnection({ host: '127.0.0.1', port: carol.port });
        socket.on('error', () => undefined);
        socket.resume();
        socket.write(opening);
        await expect.poll(() => carol.tor.inbound.length).toBe(accepted + 1);
        skew += 16_000; // the next 1 s tick sees the 15 s purpose deadline passed
        await closedWithin(socket, 10_000);
        await expect.poll(() => serverCloses.length).toBe(before + 1);
        expect(serverCloses.at(-1)).toBe('timeout');
      }
    } finally {
      await carol.stop();
    }
  }, 60_000);

  it('sheds a flood of raw connections that send random bytes', async () => {
    const before = serverCloses.length;
    const count = heavy() ? 10_000 : 200;
    for (let i = 0; i < count; i++) {
      await sendRecorded(bob.port, new Uint8Array(randomBytes(1 + (i % 97))), []);
    }
    await expect.poll(() => serverCloses.length - before, { timeout: 10_000 }).toBe(count);
    expect(serverCloses.slice(before).filter((r) => !isTypedReason(r))).toEqual([]);
  }, 600_000);
});
