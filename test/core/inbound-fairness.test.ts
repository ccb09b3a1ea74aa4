// Fairness between contacts over real loopback TCP (issue 12): Bob's links run Sotto's inbound
// limits; Alice floods him with the 2,000-unit message Ricochet Refresh 3.0.41 sent in the
// recordings, far past her chat budget. Her link is paused while she is over budget (TCP
// backpressure, nothing refused), Carol's message sent during the flood is handled before
// Alice's backlog is drained, and every one of Alice's messages arrives exactly once, in order,
// and is acknowledged in order. Ordering evidence only: no timing asserts.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerLink } from '../../src/core/peer-link.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import type { ConnectionEvent } from '../../src/protocol/connection-types.js';
import type { IdentityKey } from '../../src/identity/identity-key.js';
import { SOTTO_INBOUND_LIMITS } from '../../src/protocol/inbound-packets.js';
import { ALICE, BOB, identityFromByte } from '../protocol/connection-harness.js';
import { recordedLongestMessage } from '../protocol/session-vectors.js';
import { socketPair } from '../support/tcp-pair.js';
import { until } from '../support/wait.js';

const CAROL = identityFromByte(4);
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const LONGEST = recordedLongestMessage();

interface Logged {
  readonly from: string;
  readonly event: ConnectionEvent;
}

/** `who` dials Bob; Bob's side runs Sotto's inbound limits and logs into `bobLog`. */
async function contactOfBob(
  who: IdentityKey,
  name: string,
  bobLog: Logged[],
  cleanups: (() => void)[],
): Promise<{ dialler: PeerLink; events: ConnectionEvent[]; bobSide: PeerLink }> {
  const sockets = await socketPair();
  const events: ConnectionEvent[] = [];
  const dialler = new PeerLink({
    socket: sockets.client,
    connection: new RicochetConnection({
      role: 'client',
      identity: who,
      peerServiceId: BOB.serviceId,
      now: Date.now,
      random,
    }),
    onEvent: (_l, event) => events.push(event),
  });
  const bobSide = new PeerLink({
    socket: sockets.server,
    connection: new RicochetConnection({
      role: 'server',
      identity: BOB,
      isKnownContact: (id) => id === ALICE.serviceId || id === CAROL.serviceId,
      now: Date.now,
      random,
      inbound: SOTTO_INBOUND_LIMITS,
    }),
    onEvent: (_l, event) => bobLog.push({ from: name, event }),
  });
  cleanups.push(() => {
    dialler.destroy();
    bobSide.destroy();
    sockets.close();
  });
  await until(() => events.some((e) => e.type === 'chat-ready'), `${name}: chat ready`);
  return { dialler, events, bobSide };
}

const messagesFrom = (log: readonly Logged[], name: string): string[] =>
  log.flatMap((l) => (l.from === name && l.event.type === 'chat-message' ? [l.event.text] : []));

describe('inbound fairness between contacts', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('a flooder is paused over budget, another contact goes first, the flood all arrives', async () => {
    const bobLog: Logged[] = [];
    const alice = await contactOfBob(ALICE, 'alice', bobLog, cleanups);
    const carol = await contactOfBob(CAROL, 'carol', bobLog, cleanups);
    const budget = SOTTO_INBOUND_LIMITS.chatMessages?.capacity ?? 0;
    const flood = Array.from({ length: budget + 150 }, (_, i) => `${i} ${LONGEST.slice(0, 1990)}`);
    const ids = flood.map((text) => alice.dialler.run((c) => c.sendChatMessage(text)));

    // Over budget: Bob stops reading Alice (observable on his link), and refuses nothing.
    await until(
      () => alice.bobSide.inputWait === 'budget' && alice.bobSide.readPaused,
      "Bob's link to Alice paused on her chat budget",
      { timeoutMs: 60_000 },
    );
    const aliceSoFar = messagesFrom(bobLog, 'alice').length;
    expect(aliceSoFar).toBeLessThan(flood.length);

    carol.dialler.run((c) => c.sendChatMessage('carol, during the flood'));
    await until(() => messagesFrom(bobLog, 'carol').length === 1, 'Carol heard', {
      timeoutMs: 60_000,
    });
    // Carol was handled while Alice's backlog still waited.
    expect(messagesFrom(bobLog, 'alice').length).toBeLessThan(flood.length);

    await until(() => messagesFrom(bobLog, 'alice').length === flood.length, 'the whole flood', {
      timeoutMs: 120_000,
    });
    expect(messagesFrom(bobLog, 'alice')).toEqual(flood);
    const carolAt = bobLog.findIndex((l) => l.from === 'carol' && l.event.type === 'chat-message');
    const aliceLast = bobLog.findLastIndex(
      (l) => l.from === 'alice' && l.event.type === 'chat-message',
    );
    expect(carolAt).toBeLessThan(aliceLast);
    await until(
      () => alice.events.filter((e) => e.type === 'chat-ack').length === flood.length,
      'every message acknowledged',
      { timeoutMs: 60_000 },
    );
    const acks = alice.events.flatMap((e) => (e.type === 'chat-ack' ? [e] : []));
    expect(acks.map((a) => a.id)).toEqual(ids);
    expect(acks.every((a) => a.accepted)).toBe(true);
    expect(bobLog.some((l) => l.event.type === 'closing')).toBe(false);
    expect(alice.bobSide.inputWait).toBeUndefined();
    expect(alice.bobSide.readPaused).toBe(false);
  });
});
