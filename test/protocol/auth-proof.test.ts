import { describe, expect, it } from 'vitest';
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { serviceIdFromPublicKey } from '../../src/identity/service-id.js';
import { computeAuthProof, signAuthProof, verifyAuthProof } from '../../src/protocol/auth-proof.js';
import { ProtocolViolationError } from '../../src/protocol/errors.js';
import { hex, toHex } from './session-vectors.js';

const CLIENT_COOKIE = hex('000102030405060708090a0b0c0d0e0f');
const SERVER_COOKIE = hex('101112131415161718191a1b1c1d1e1f');
const CLIENT_ID = '7guik6r2qbpcjramclopb7x5oreqolhrb3dvwqvw3dldamambrxbodad';
const SERVER_ID = 'oro2j6dku2od6b24wcixofowekllu3m77wgmrhiusnthedfldst5zkyd';

function nodeEd25519Sign(seed: Uint8Array, publicKey: Uint8Array, message: Uint8Array): string {
  const key = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: Buffer.from(seed).toString('base64url'),
      x: Buffer.from(publicKey).toString('base64url'),
    },
    format: 'jwk',
  });
  return toHex(nodeSign(null, message, key));
}

describe('auth proof', () => {
  it('is HMAC-SHA256(client_cookie ‖ server_cookie, client_id ‖ server_id), 32 bytes', () => {
    // Reference value computed with Python's hmac module.
    expect(toHex(computeAuthProof(CLIENT_COOKIE, SERVER_COOKIE, CLIENT_ID, SERVER_ID))).toBe(
      '76265f9c99d7d3b5eaa9e053ca631378d6fdbd239b777c9fadc1ef07cc4a6992',
    );
  });

  it('rejects wrong cookie sizes and ids with .onion or upper case', () => {
    expect(() =>
      computeAuthProof(CLIENT_COOKIE.subarray(1), SERVER_COOKIE, CLIENT_ID, SERVER_ID),
    ).toThrow(RangeError);
    expect(() =>
      computeAuthProof(CLIENT_COOKIE, SERVER_COOKIE, CLIENT_ID + '.onion', SERVER_ID),
    ).toThrow(RangeError);
    expect(() =>
      computeAuthProof(CLIENT_COOKIE, SERVER_COOKIE, CLIENT_ID, SERVER_ID.toUpperCase()),
    ).toThrow(RangeError);
  });

  it('signs with a fixed key exactly as an independent Ed25519 (node:crypto) does, and verifies', () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'); // RFC 8032 test 1
    const key = IdentityKey.fromSeed(seed);
    const clientId = serviceIdFromPublicKey(key.publicKey);
    const proof = computeAuthProof(CLIENT_COOKIE, SERVER_COOKIE, clientId, SERVER_ID);
    const signature = signAuthProof(key, CLIENT_COOKIE, SERVER_COOKIE, clientId, SERVER_ID);
    expect(toHex(signature)).toBe(nodeEd25519Sign(seed, key.publicKey, proof));
    expect(verifyAuthProof(signature, clientId, SERVER_ID, CLIENT_COOKIE, SERVER_COOKIE)).toBe(
      true,
    );
    // Any other server id, cookie or claimed client fails.
    expect(verifyAuthProof(signature, clientId, CLIENT_ID, CLIENT_COOKIE, SERVER_COOKIE)).toBe(
      false,
    );
    expect(verifyAuthProof(signature, clientId, SERVER_ID, SERVER_COOKIE, CLIENT_COOKIE)).toBe(
      false,
    );
    expect(verifyAuthProof(signature, CLIENT_ID, SERVER_ID, CLIENT_COOKIE, SERVER_COOKIE)).toBe(
      false,
    );
    expect(
      verifyAuthProof(signature.subarray(1), clientId, SERVER_ID, CLIENT_COOKIE, SERVER_COOKIE),
    ).toBe(false);
    key.wipe();
  });

  it('a claimed service id with a bad checksum is a protocol violation', () => {
    const bad = CLIENT_ID.slice(0, 50) + (CLIENT_ID[50] === 'a' ? 'b' : 'a') + CLIENT_ID.slice(51);
    expect(() =>
      verifyAuthProof(new Uint8Array(64), bad, SERVER_ID, CLIENT_COOKIE, SERVER_COOKIE),
    ).toThrow(ProtocolViolationError);
  });

  it('property: a flipped signature bit never verifies', () => {
    const key = IdentityKey.fromSeed(new Uint8Array(32).fill(1));
    const clientId = serviceIdFromPublicKey(key.publicKey);
    const signature = signAuthProof(key, CLIENT_COOKIE, SERVER_COOKIE, clientId, SERVER_ID);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 511 }), (bit) => {
        const flipped = Uint8Array.from(signature);
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(verifyAuthProof(flipped, clientId, SERVER_ID, CLIENT_COOKIE, SERVER_COOKIE)).toBe(
          false,
        );
      }),
      { numRuns: 100 },
    );
  });
});
