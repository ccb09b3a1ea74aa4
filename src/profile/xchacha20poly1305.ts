// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2.3: HChaCha20 derives a subkey from the key and
// the first 16 nonce bytes; ChaCha20-Poly1305 of RFC 8439 runs under it with the nonce
// 0x00000000 ‖ the last 8 nonce bytes), built from @noble/ciphers' `hchacha` and node:crypto's
// `chacha20-poly1305` (OpenSSL). The bytes are those of @noble/ciphers' `xchacha20poly1305`
// (test/profile/xchacha20poly1305.test.ts checks both against each other and the draft's vector);
// it exists because sealing and opening many small records (history logs, the send-queue journal)
// or one large vault in pure JavaScript costs time and event-loop stalls.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';

const KEY_LENGTH = 32;
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
/** "expand 32-byte k" as four little-endian words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

/** The authentication tag did not verify (wrong key, nonce or associated data, or tampering). */
export class AeadAuthenticationError extends Error {
  override name = 'AeadAuthenticationError';
}

/** Little-endian 32-bit words of `bytes` (a copy: alignment and endianness independent). */
function words(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

/** The HChaCha20 subkey and the 12-byte ChaCha20-Poly1305 nonce for (key, 24-byte nonce). */
function derive(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; iv: Buffer } {
  if (key.length !== KEY_LENGTH) throw new RangeError(`key must be ${KEY_LENGTH} bytes`);
  if (nonce.length !== NONCE_LENGTH) throw new RangeError(`nonce must be ${NONCE_LENGTH} bytes`);
  const keyWords = words(key);
  const out = new Uint32Array(8);
  hchacha(SIGMA, keyWords, words(nonce.subarray(0, 16)), out);
  keyWords.fill(0);
  const subkey = Buffer.alloc(KEY_LENGTH);
  for (let i = 0; i < 8; i++) subkey.writeUInt32LE(out[i] ?? 0, 4 * i);
  out.fill(0);
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16), 4);
  return { subkey, iv };
}

/** Encrypts `plaintext`; returns ciphertext ‖ 16-byte tag (as @noble/ciphers does). */
export function xchachaSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  associatedData: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const { subkey, iv } = derive(key, nonce);
  try {
    const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(associatedData, { plaintextLength: plaintext.length });
    const out = new Uint8Array(plaintext.length + TAG_LENGTH);
    out.set(cipher.update(plaintext), 0);
    cipher.final();
    out.set(cipher.getAuthTag(), plaintext.length);
    return out;
  } finally {
    subkey.fill(0);
  }
}

/** Decrypts ciphertext ‖ tag; throws AeadAuthenticationError unless the tag verifies. */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  associatedData: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  if (sealed.length < TAG_LENGTH) throw new AeadAuthenticationError('sealed data too short');
  const { subkey, iv } = derive(key, nonce);
  const length = sealed.length - TAG_LENGTH;
  const out = new Uint8Array(length);
  try {
    const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, {
      authTagLength: TAG_LENGTH,
    });
    decipher.setAAD(associatedData, { plaintextLength: length });
    decipher.setAuthTag(sealed.subarray(length));
    out.set(decipher.update(sealed.subarray(0, length)), 0);
    decipher.final(); // throws when the tag does not verify
    return out;
  } catch (error) {
    out.fill(0);
    throw new AeadAuthenticationError('authentication failed', { cause: error });
  } finally {
    subkey.fill(0);
  }
}
