// Two Messengers over real loopback sockets (a TorProvider whose onions are local listeners):
// messages a restarted Messenger restores from its vault as queued reach the contact exactly once
// when both sides come up at the same time and dial each other (the duplicate-connection race).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  LoopbackTorNetwork,
  LoopbackTorProvider,
  type LoopbackLatency,
} from '../../src/onion/loopback-tor-provider.js';
import { createVault, type Vault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';
import { until } from '../support/wait.js';

/** serviceId → loopback port of the Messenger that "publishes" it. */
const network = new LoopbackTorNetwork();

/** Circuits take different times: the two dials cross in every order (seeded, so runs repeat). */
const circuits = (seed: number): LoopbackLatency => ({
  seed,
  maxDialDelayMs: 150,
  maxLatencyMs: 60,
});

interface Side {
  readonly key: IdentityKey;
  readonly address: string;
  readonly vault: Vault;
  readonly messenger: Messenger;
  readonly events: CoreEvent[];
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function side(
  key: IdentityKey,
  seed: number,
  patch: (s: VaultState) => VaultState,
): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-restart-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const state = emptyVaultState({ expandedKey: key.expandedKey() });
  const vault = await createVault(join(dir, 'vault.sotto'), null, patch(state));
  const messenger = new Messenger({
    tor: new LoopbackTorProvider({ network, latency: circuits(seed) }),
    vault,
    downloadsDir: dir,
    backoff: { baseMs: 200, capMs: 400, minMs: 50, likelyRejectedMs: 60_000 },
  });
  cleanup.push(async () => {
    await messenger.close();
    vault.close();
  });
  const events: CoreEvent[] = [];
  messenger.onEvent((e) => events.push(e));
  return { key, address: `ricochet:${key.serviceId}`, vault, messenger, events };
}

const contact = (key: IdentityKey): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname: 'friend',
  addedAt: 1,
  historyEnabled: true,
});

describe('queued messages restored from the vault', () => {
  it('are delivered exactly once when both restarted sides dial each other at once', async () => {
    for (let round = 0; round < 12; round++) {
      const a = IdentityKey.generate();
      const b = IdentityKey.generate();
      const texts = ['queued before the crash 1', 'queued before the crash 2'];
      const sender = await side(a, 2 * round, (s) => ({
        ...s,
        contacts: [contact(b)],
        queues: {
          [b.serviceId]: texts.map((text, i) => ({
            localId: i + 1,
            text,
            at: 1_000 + i,
            state: 'queued' as const,
          })),
        },
      }));
      const receiver = await side(b, 2 * round + 1, (s) => ({ ...s, contacts: [contact(a)] }));
      await Promise.all([
        sender.messenger.start(),
        // The receiver comes up 0..149 ms later, spread over the rounds.
        new Promise((r) => setTimeout(r, (round * 53) % 150)).then(() =>
          receiver.messenger.start(),
        ),
      ]);
      const dump = (): string =>
        `round ${round}\nsender:\n${sender.events.map((e) => JSON.stringify(e)).join('\n')}\nreceiver:\n${receiver.events.map((e) => JSON.stringify(e)).join('\n')}`;
      const received = (text: string): number =>
        receiver.events.filter((e) => e.type === 'message' && e.text === text).length;
      await until(() => texts.every((t) => received(t) >= 1), dump);
      await until(() => sender.events.filter((e) => e.type === 'delivered').length >= 2, dump);
      for (const t of texts) expect(received(t), dump()).toBe(1);
      for (const c of cleanup.splice(0).reverse()) await c();
    }
  }, 120_000);
});
