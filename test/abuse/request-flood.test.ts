// A flood of contact requests from many distinct onion identities at a live Sotto core (the real
// Messenger over loopback): the admission rate limits hold (counted, not timed), pending requests
// stay bounded, a real contact still gets through, and the event-loop delay is measured and reported.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INCOMING_LIMITS } from '../../src/contacts/incoming-requests.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackSotto, RawPeer, closedWithin, collectGarbage } from './loopback-support.js';
import { heavy } from './ricochet-mutator.js';
import { until } from '../support/wait.js';

const FLOOD = heavy() ? 20_000 : 1_000;
const CONCURRENCY = 16;

type Outcome = 'refused-at-auth' | 'request-rejected' | 'answered-pending' | 'other';

/** One stranger: authenticate, ask to be a contact, see what the server does, hang up. */
async function stranger(serverId: string, port: number): Promise<Outcome> {
  const peer = new RawPeer(IdentityKey.generate(), serverId, port);
  peer.socket.on('error', () => undefined);
  let outcome: Outcome = 'other';
  try {
    await peer.waitFor('authenticated', 10_000);
    peer.link.run((c) => c.sendContactRequest('spammer', 'buy cheap onions'));
    const response = await peer.waitFor('contact-request-response', 10_000);
    if (response.type === 'contact-request-response') {
      outcome = response.status === 'rejected' ? 'request-rejected' : 'answered-pending';
    }
  } catch {
    // closed before an answer: the server shed us right after authentication
    const closed = peer.events.find((e) => e.type === 'closed');
    if (closed?.type === 'closed' && closed.reason === 'peer-closed') outcome = 'refused-at-auth';
  }
  peer.link.close();
  await closedWithin(peer.socket, 10_000);
  return outcome;
}

describe('a flood of contact requests from distinct onions', () => {
  const alice = IdentityKey.generate();
  let bob: LoopbackSotto;

  beforeAll(async () => {
    bob = await LoopbackSotto.start([alice]);
  });
  afterAll(async () => {
    await bob?.stop();
  });

  it(`holds the rate limits for ${FLOOD} strangers and keeps serving a contact`, async () => {
    const serverId = bob.key.serviceId;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    await collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    delay.enable();
    const outcomes = new Map<Outcome, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < FLOOD) {
        next++;
        const outcome = await stranger(serverId, bob.port);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    };
    const contactChat = (async () => {
      // Mid-flood, a real contact connects and chats.
      await until(() => next >= FLOOD / 2, 'half the flood', {
        timeoutMs: 900_000,
        intervalMs: 50,
      });
      const contact = new RawPeer(alice, serverId, bob.port);
      await contact.waitFor('chat-ready');
      contact.link.run((c) => c.sendChatMessage('through the flood'));
      await bob.waitFor((e) => e.type === 'message' && e.text === 'through the flood');
      contact.link.close();
    })();
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), contactChat]);
    delay.disable();
    const elapsedMin = (Date.now() - started) / 60_000;
    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;

    const { unknownConnections, requests, maxPending } = DEFAULT_INCOMING_LIMITS;
    const admittedBound = (limit: { perMinute: number; burst: number }) =>
      limit.burst + Math.ceil(limit.perMinute * elapsedMin);
    const shown = bob.events.filter((e) => e.type === 'request').length;
    const admittedConnections = FLOOD - (outcomes.get('refused-at-auth') ?? 0);
    console.info(
      `flood of ${FLOOD} in ${(elapsedMin * 60).toFixed(1)} s:`,
      Object.fromEntries(outcomes),
      `requests shown ${shown};`,
      `event-loop delay p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms,`,
      `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms;`,
      `retained heap growth ${(growth / 1024).toFixed(0)} KiB`,
    );
    expect(admittedConnections).toBeLessThanOrEqual(admittedBound(unknownConnections));
    expect(shown).toBeLessThanOrEqual(Math.min(admittedBound(requests), maxPending));
    expect(outcomes.get('other') ?? 0).toBe(0);
    await bob.messenger.dispatch({ type: 'requests' });
    const listed = bob.events.findLast((e) => e.type === 'requests');
    expect(listed?.type === 'requests' ? listed.requests.length : -1).toBe(shown);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    // Event-loop delay is reported above, not asserted: speed belongs in bench/, not in tests.
  }, 900_000);
});
