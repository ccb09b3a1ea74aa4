// The node:crypto-backed XChaCha20-Poly1305 (src/profile/xchacha20poly1305.ts) gives the bytes of
// @noble/ciphers' xchacha20poly1305 and of draft-irtf-cfrg-xchacha-03 (appendix A.3.1), and refuses
// any change to the ciphertext, tag, nonce, key or associated data.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AeadAuthenticationError,
  xchachaOpen,
  xchachaSeal,
} from '../../src/profile/xchacha20poly1305.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('XChaCha20-Poly1305 over node:crypto', () => {
  it('matches the AEAD test vector of draft-irtf-cfrg-xchacha-03 A.3.1', () => {
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
        'future, sunscreen would be it.',
    );
    const ad = hex('50515253c0c1c2c3c4c5c6c7');
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const expected = hex(
      `bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
       731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
       2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
       21f9664c97637da9768812f615c68b13b52e
       c0875924c1c7987947deafd8780acf49`,
    );
    expect(xchachaSeal(key, nonce, ad, plaintext)).toEqual(expected);
    expect(xchachaOpen(key, nonce, ad, expected)).toEqual(plaintext);
  });

  it('seals and opens exactly as @noble/ciphers does (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 600 }),
        (key, nonce, ad, plaintext) => {
          const sealed = xchachaSeal(key, nonce, ad, plaintext);
          expect(sealed).toEqual(xchacha20poly1305(key, nonce, ad).encrypt(plaintext));
          expect(xchachaOpen(key, nonce, ad, sealed)).toEqual(plaintext);
          expect(xchacha20poly1305(key, nonce, ad).decrypt(sealed)).toEqual(plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a changed byte anywhere, and data shorter than a tag', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(24).fill(9);
    const ad = new Uint8Array([1, 2, 3]);
    const sealed = xchachaSeal(key, nonce, ad, new Uint8Array(40).fill(5));
    for (let i = 0; i < sealed.length; i++) {
      const changed = sealed.slice();
      changed[i] = (changed[i] ?? 0) ^ 0x01;
      expect(() => xchachaOpen(key, nonce, ad, changed)).toThrow(AeadAuthenticationError);
    }
    const otherNonce = nonce.slice();
    otherNonce[20] = 1;
    expect(() => xchachaOpen(key, otherNonce, ad, sealed)).toThrow(AeadAuthenticationError);
    expect(() => xchachaOpen(key, nonce, new Uint8Array([1, 2]), sealed)).toThrow(
      AeadAuthenticationError,
    );
    expect(() => xchachaOpen(new Uint8Array(32), nonce, ad, sealed)).toThrow(
      AeadAuthenticationError,
    );
    expect(() => xchachaOpen(key, nonce, ad, new Uint8Array(15))).toThrow(AeadAuthenticationError);
  });
});
