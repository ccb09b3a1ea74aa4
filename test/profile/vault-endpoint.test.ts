// The endpoint group of a contact record (docs/SEAMS.md §2, docs/ENDPOINTS.md §2): bytes in
// memory, base64 only inside the sealed JSON, both halves whole or absent, copies zeroed on close
// and when a save replaces them, and gone from the vault with the contact.
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cloneVaultState,
  decodeVaultState,
  encodeVaultState,
} from '../../src/profile/vault-state-json.js';
import { VaultStateError, type EndpointRecord } from '../../src/profile/vault-state.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { ALICE, BOB, sampleState, tempDir, TEST_SCRYPT } from './helpers.js';

function withEndpoint(endpoint: EndpointRecord) {
  const state = sampleState();
  const [alice] = state.contacts;
  return { ...state, contacts: [{ ...alice!, endpoint }] };
}

const full = (): EndpointRecord => ({
  ourEndpointKey: new Uint8Array(64).fill(1),
  peerClientAuthKey: new Uint8Array(32).fill(2),
  peerEndpointServiceId: BOB,
  ourClientAuthSecret: new Uint8Array(32).fill(3),
  negotiatedAt: 5,
});

describe('contact endpoint group in the vault', () => {
  it('round-trips the secrets as bytes, base64 in the JSON (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (ourEndpointKey, peerClientAuthKey, ourClientAuthSecret) => {
          const endpoint = {
            ourEndpointKey,
            peerClientAuthKey,
            peerEndpointServiceId: BOB,
            ourClientAuthSecret,
            negotiatedAt: 9,
          };
          const state = withEndpoint(endpoint);
          const bytes = encodeVaultState(state);
          const json = JSON.parse(new TextDecoder().decode(bytes)) as {
            contacts: { endpoint: Record<string, unknown> }[];
          };
          expect(json.contacts[0]?.endpoint['ourEndpointKey']).toBe(
            Buffer.from(ourEndpointKey).toString('base64'),
          );
          expect(json.contacts[0]?.endpoint['ourClientAuthSecret']).toBe(
            Buffer.from(ourClientAuthSecret).toString('base64'),
          );
          const back = decodeVaultState(bytes);
          expect(back).toEqual({ ...state, history: {} }); // history lives in the logs

          expect(back.contacts[0]?.endpoint?.ourEndpointKey).toBeInstanceOf(Uint8Array);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a nickname that looks like a secret marker stays text', () => {
    const state = withEndpoint(full());
    const tricky = { ...state.contacts[0]!, nickname: 'sotto-secret:00:0' };
    const back = decodeVaultState(encodeVaultState({ ...state, contacts: [tricky] }));
    expect(back.contacts[0]?.nickname).toBe('sotto-secret:00:0');
  });

  it('keeps either half alone, refuses half a half', () => {
    const hostOnly: EndpointRecord = {
      ourEndpointKey: new Uint8Array(64).fill(1),
      peerClientAuthKey: new Uint8Array(32).fill(2),
      negotiatedAt: 1,
    };
    expect(cloneVaultState(withEndpoint(hostOnly)).contacts[0]?.endpoint).toEqual(hostOnly);
    const broken = { ourEndpointKey: new Uint8Array(64), negotiatedAt: 1 };
    expect(() => cloneVaultState(withEndpoint(broken))).toThrow(VaultStateError);
    const shortKey = { ...full(), ourClientAuthSecret: new Uint8Array(31) };
    expect(() => cloneVaultState(withEndpoint(shortKey))).toThrow(VaultStateError);
    const badId = { ...full(), peerEndpointServiceId: 'nope' };
    expect(() => cloneVaultState(withEndpoint(badId))).toThrow(VaultStateError);
  });

  it('the clone owns its copies: wiping the original leaves it whole', () => {
    const state = withEndpoint(full());
    const copy = cloneVaultState(state);
    state.contacts[0]?.endpoint?.ourEndpointKey?.fill(0);
    expect(copy.contacts[0]?.endpoint?.ourEndpointKey?.every((b) => b === 1)).toBe(true);
  });

  it('zeroes its copies when a save replaces them and on close; removal erases the group', async () => {
    const path = join(await tempDir(), 'v');
    const vault = await createVault(path, 'pw', withEndpoint(full()), { scrypt: TEST_SCRYPT });
    const first = vault.state.contacts[0]?.endpoint;
    await vault.save(withEndpoint({ ...full(), negotiatedAt: 6 }));
    expect(first?.ourEndpointKey?.every((b) => b === 0)).toBe(true);
    expect(first?.ourClientAuthSecret?.every((b) => b === 0)).toBe(true);
    const second = vault.state.contacts[0]?.endpoint;
    await vault.save({ ...sampleState(), contacts: [] }, { forget: true });
    vault.close();
    expect(second?.ourEndpointKey?.every((b) => b === 0)).toBe(true);
    const reopened = await openVault(path, 'pw');
    expect(reopened.state.contacts.find((c) => c.serviceId === ALICE)).toBeUndefined();
    reopened.close();
  });
});
