// Presence while two contacts connect and move to their endpoint onions (docs/ENDPOINTS.md §2):
// a contact never appears offline while a connection to it is about to take over. Two real
// Messengers over the loopback TorProvider with seeded circuit delays (each dial waits, each
// socket lags): both dial each other at start, then both move to each other's endpoint at once.
// The peer takes an endpoint link as live once the Gosling handshake is done at its end and
// closes the old link while our end of that handshake is still running; between two links dialled
// at once, the peer keeps ours and closes its own before ours authenticated here. Either way the
// user must see `online` once, never `online`, `offline`, `online`.
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, type LoopbackLatency } from '../../src/onion/loopback-tor-provider.js';
import { LoopbackMessenger, bothOnEndpoint } from '../support/loopback-messenger.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const BACKOFF = { baseMs: 100, capMs: 300, minMs: 50, likelyRejectedMs: 60_000 };

function side(
  network: LoopbackTorNetwork,
  key: IdentityKey,
  friend: IdentityKey,
  latency: LoopbackLatency,
) {
  const contact = { serviceId: friend.serviceId, nickname: 'friend', addedAt: 1 };
  return LoopbackMessenger.create(
    {
      network,
      key,
      state: (s) => ({ ...s, contacts: [{ ...contact, historyEnabled: false }] }),
      tor: { latency },
      messenger: { backoff: BACKOFF, saveDebounceMs: 5 },
    },
    cleanup,
  );
}

const presence = (events: readonly CoreEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'online' || e.type === 'offline' ? [e.type] : []));

/** Two contacts start, connect and move to their endpoints; each side's presence events. */
async function connectAndMove(seed: number, maxDialDelayMs: number, maxLatencyMs: number) {
  const network = new LoopbackTorNetwork();
  const [ka, kb] = [IdentityKey.generate(), IdentityKey.generate()];
  const a = await side(network, ka, kb, { seed, maxDialDelayMs, maxLatencyMs });
  const b = await side(network, kb, ka, { seed: seed * 7_919, maxDialDelayMs, maxLatencyMs });
  await bothOnEndpoint(a, b);
  // A chat both ways on the endpoint: any link that was still settling has settled.
  for (const [from, to, text] of [
    [a, b, `ping ${seed}`],
    [b, a, `pong ${seed}`],
  ] as const) {
    await from.messenger.dispatch({ type: 'send', address: to.address, text });
    await until(() => to.events.some((e) => e.type === 'message' && e.text === text), text);
  }
  const seen = { a: presence(a.events), b: presence(b.events) };
  for (const c of cleanup.splice(0).reverse()) await c();
  return seen;
}

describe('presence while contacts connect and move to their endpoints', () => {
  for (const [dialDelay, latency] of [
    [200, 50],
    [400, 80],
  ] as const) {
    it(`never offline in between (dials up to ${dialDelay} ms, lag up to ${latency} ms)`, async () => {
      const seen: Record<number, unknown> = {};
      const once: Record<number, unknown> = {};
      for (let seed = 1; seed <= 12; seed++) {
        seen[seed] = await connectAndMove(seed, dialDelay, latency);
        once[seed] = { a: ['online'], b: ['online'] };
      }
      expect(seen).toEqual(once);
    }, 120_000);
  }
});
