// Shared helpers of the profile tests: a private temp directory and a small valid state.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ScryptParams } from '../../src/profile/vault-format.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';

/** Cheap scrypt cost for tests (the bounds' minimum); production uses DEFAULT_SCRYPT_PARAMS. */
export const TEST_SCRYPT: ScryptParams = { logN: 10, r: 8, p: 1 };

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-profile-test-'));
  dirs.push(dir);
  return dir;
}

export const ALICE = 'kzr6oxqum7lmmkkimj56siht5wetimyl7dw4ypikl2byng3egkj4o7id';
export const BOB = 'ppexkjwdenedjklyw5ex7glx7wpkmgcj45z3nrb3yru3yxpeif74arid';

export function sampleState(note = 'hello'): VaultState {
  const base = emptyVaultState({
    expandedKey: new Uint8Array(64).fill(7),
    seed: new Uint8Array(32).fill(9),
  });
  return {
    ...base,
    contacts: [{ serviceId: ALICE, nickname: 'alice', addedAt: 1, historyEnabled: true }],
    history: {
      [ALICE]: [{ id: 1, direction: 'in', text: 'hello', at: 2, timeDelta: 0, state: 'delivered' }],
    },
    // `note` in the small state (history is saved change by change, not by save()).
    queues: { [BOB]: [{ localId: 1, text: note, at: 3 }] },
    outgoingRequests: [
      { serviceId: BOB, nickname: 'bob', message: 'hi', createdAt: 4, state: 'pending' },
    ],
  };
}
