// The JSON edge of the vault state (src/profile/vault-state-json.ts): the identity is written as
// standard base64 straight from its bytes, and a vault's identity cannot change under a save.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cloneVaultState,
  decodeVaultState,
  encodeVaultState,
} from '../../src/profile/vault-state-json.js';
import { VaultStateError, emptyVaultState } from '../../src/profile/vault-state.js';
import { createVault } from '../../src/profile/vault.js';
import { sampleState, tempDir } from './helpers.js';
import { join } from 'node:path';

describe('vault state JSON', () => {
  it('writes the identity as the base64 Buffer writes, and reads it back as bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
        (expandedKey, seed) => {
          const state = emptyVaultState(
            seed === undefined ? { expandedKey } : { expandedKey, seed },
          );
          const json = JSON.parse(new TextDecoder().decode(encodeVaultState(state))) as {
            identity: { expandedKey: string; seed?: string };
          };
          expect(json.identity.expandedKey).toBe(Buffer.from(expandedKey).toString('base64'));
          expect(json.identity.seed).toBe(
            seed === undefined ? undefined : Buffer.from(seed).toString('base64'),
          );
          expect(decodeVaultState(encodeVaultState(state))).toEqual(state);
        },
      ),
    );
  });

  it('copies the identity bytes, so the copy outlives a wipe of the original', () => {
    const state = sampleState();
    const copy = cloneVaultState(state);
    expect(copy.identity.expandedKey).not.toBe(state.identity.expandedKey);
    state.identity.expandedKey.fill(0);
    expect(copy.identity.expandedKey.every((b) => b === 7)).toBe(true);
  });

  it('refuses to save a state that carries another identity', async () => {
    const vault = await createVault(join(await tempDir(), 'v'), null, sampleState());
    const other = { ...sampleState(), identity: { expandedKey: new Uint8Array(64).fill(8) } };
    await expect(vault.save(other)).rejects.toBeInstanceOf(VaultStateError);
    expect(vault.state.identity.expandedKey.every((b) => b === 7)).toBe(true);
    vault.close();
  });
});
