// One schema (issue 12): the limits in src/schema/limits.ts are the wire's where the wire has one,
// and a vault filled to every limit comes back from load → save → reload exactly as it was —
// nothing cut, no field (origin, last connection, block dates) dropped by the models.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromVault, vaultFromModel } from '../../src/core/vault-mapping.js';
import { isValidServiceId } from '../../src/identity/service-id.js';
import { MAX_MESSAGE_LENGTH, MAX_NICKNAME_LENGTH } from '../../src/protocol/limits.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';
import { LIMITS } from '../../src/schema/limits.js';
import { TEST_SCRYPT, tempDir } from '../profile/helpers.js';
import { serviceIds } from '../support/ricochet-ids.js';

const T = 1_700_000_000_000;
const nickname = (i: number): string => `n${i}`.padEnd(LIMITS.nickname, 'x');
const text = (i: number): string => `${i} `.padEnd(LIMITS.messageText, 'm');

/** A state with every list at its limit and every optional field present somewhere. */
function stateAtEveryLimit(): { self: string; state: VaultState } {
  const book = LIMITS.contacts;
  const ids = serviceIds(1 + book + LIMITS.incomingRequests + LIMITS.blocked + LIMITS.rejected);
  const self = ids.shift() as string;
  const take = (n: number): string[] => ids.splice(0, n);
  const contactIds = take(book - 2);
  const outgoingIds = take(2);
  const incomingIds = take(LIMITS.incomingRequests);
  // One blocked address is a contact (its book entry carries the flag); the rest are strangers.
  const blockedIds = [contactIds[1] as string, ...take(LIMITS.blocked - 1)];
  const rejectedIds = take(LIMITS.rejected);
  const [talker, blockedContact] = contactIds as [string, string];
  const base = emptyVaultState({ expandedKey: new Uint8Array(64).fill(3) });
  const state: VaultState = {
    ...base,
    contacts: contactIds.map((serviceId, i) => ({
      serviceId,
      nickname: nickname(i),
      addedAt: T + i,
      historyEnabled: serviceId === talker,
      ...(i % 2 === 0
        ? { origin: 'imported-ricochet' as const }
        : { origin: 'request-sent' as const }),
      ...(i % 3 === 0 ? { lastConnectedAt: T + 10 * i } : {}),
    })),
    outgoingRequests: [
      {
        serviceId: outgoingIds[0] as string,
        nickname: nickname(1),
        message: 'r'.repeat(LIMITS.requestMessage),
        createdAt: T,
        state: 'pending',
        lastAttemptAt: T + 5,
      },
      {
        serviceId: outgoingIds[1] as string,
        nickname: nickname(2),
        message: '',
        createdAt: T,
        state: 'rejected',
        rejection: 'explicit',
        lastError: 'e'.repeat(LIMITS.errorText),
      },
    ],
    incomingRequests: incomingIds.map((serviceId, i) => ({
      serviceId,
      nickname: nickname(i),
      message: 'q'.repeat(LIMITS.requestMessage),
      receivedAt: T + i,
    })),
    blocked: blockedIds.map((serviceId, i) => ({
      serviceId,
      blockedAt: T + i,
      ...(serviceId === blockedContact || i % 2 === 0 ? { nickname: nickname(i) } : {}),
    })),
    rejected: rejectedIds.map((serviceId, i) => ({ serviceId, rejectedAt: T + i })),
    queues: {
      [talker]: Array.from({ length: LIMITS.queuePerContact }, (_, i) => ({
        localId: LIMITS.historyPerContact + i + 1,
        text: text(i),
        at: T + i,
        ...(i % 3 === 0
          ? { state: 'queued' as const }
          : i % 3 === 1
            ? { state: 'sent' as const, wireId: i + 1 }
            : { state: 'failed' as const, wireId: i + 1, failReason: 'refused' as const }),
      })),
    },
    history: {
      [talker]: Array.from({ length: LIMITS.historyPerContact }, (_, i) =>
        i % 2 === 0
          ? // Ricochet peers reuse wire ids: two saved messages may carry the same one.
            {
              id: (i % 40) + 1,
              direction: 'in' as const,
              text: text(i),
              at: T + i,
              timeDelta: i === 0 ? 0 : -i,
              state: 'delivered' as const,
            }
          : {
              id: i,
              direction: 'out' as const,
              text: text(i),
              at: T + i,
              timeDelta: 0,
              state: 'delivered' as const,
            },
      ),
    },
    settings: {
      historyDefault: true,
      blockUnknown: true,
      bridges: {
        type: 'obfs4',
        lines: Array.from({ length: LIMITS.bridgeLines }, (_, i) =>
          `${i} `.padEnd(LIMITS.bridgeLine, 'b'),
        ),
      },
    },
  };
  return { self, state };
}

describe('one schema for everything saved', () => {
  it('makes test ids the way tor does', () => {
    expect(serviceIds(3).every(isValidServiceId)).toBe(true);
  });

  it('uses the wire limits of Ricochet v3 for text', () => {
    expect(LIMITS.nickname).toBe(MAX_NICKNAME_LENGTH);
    expect(LIMITS.messageText).toBe(MAX_MESSAGE_LENGTH);
    expect(LIMITS.requestMessage).toBe(MAX_MESSAGE_LENGTH);
  });

  it('a vault at every limit is written back exactly as it was loaded', async () => {
    const { self, state } = stateAtEveryLimit();
    const path = join(await tempDir(), 'vault.sotto');
    (await createVault(path, 'pass', state, { scrypt: TEST_SCRYPT })).close();

    const vault = await openVault(path, 'pass');
    const { model, skipped } = modelFromVault(vault.state, self, T + 1_000_000);
    expect(skipped).toEqual([]);
    await vault.save(vaultFromModel(model, vault.state, T + 1_000_000));
    vault.close();

    const reopened = await openVault(path, 'pass');
    // The history is in its logs, read on first use (docs/PROFILE.md "Loading on first use").
    expect({ ...reopened.state, history: await reopened.loadAllHistory() }).toEqual(state);
    reopened.close();
  }, 120_000);
});
