// The Gosling v0.1.0 proofs: the client identity proof bytes written out by hand from the spec's
// definition ("Client Identity Proof Calculation and Verification"), and the client-authorization
// key conversion (x25519 u + signbit → ed25519) checked against the same key pair derived both
// ways: Edwards scalar·B mapped to Montgomery by @noble/curves, and x25519 scalar·9.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityKey, verifySignature } from '../../src/identity/identity-key.js';
import {
  ed25519PublicKeyFromX25519,
  signClientAuthorization,
  verifyClientAuthorization,
  x25519PublicKey,
} from '../../src/gosling/client-auth.js';
import { clientProof, signClientProof, verifyClientProof } from '../../src/gosling/client-proof.js';
import { HandshakeArgumentError } from '../../src/gosling/errors.js';

const client = IdentityKey.fromSeed(new Uint8Array(32).fill(1));
const server = IdentityKey.fromSeed(new Uint8Array(32).fill(2));
const clientCookie = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 … 1f
const serverCookie = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i); // ff fe … e0

describe('client identity proof', () => {
  it('is the NUL-joined ASCII string of the spec, cookies in lower-case hex', () => {
    const expected =
      'gosling-identity\0sotto-contact\0' +
      client.serviceId +
      '\0' +
      server.serviceId +
      '\x00000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' +
      '\x00fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0';
    const fields = {
      domain: 'gosling-identity',
      request: 'sotto-contact',
      clientServiceId: client.serviceId,
      serverServiceId: server.serviceId,
      clientCookie,
      serverCookie,
    } as const;
    expect(Buffer.from(clientProof(fields)).toString('latin1')).toBe(expected);
    const signature = signClientProof(client, fields);
    expect(verifySignature(client.publicKey, Buffer.from(expected, 'latin1'), signature)).toBe(
      true,
    );
    expect(verifyClientProof(fields, signature)).toBe(true);
    expect(verifyClientProof({ ...fields, domain: 'gosling-endpoint' }, signature)).toBe(false);
    expect(verifyClientProof({ ...fields, request: 'other' }, signature)).toBe(false);
  });

  it('uses the gosling-endpoint separator and the channel for the endpoint handshake', () => {
    const fields = {
      domain: 'gosling-endpoint',
      request: 'chat',
      clientServiceId: client.serviceId,
      serverServiceId: server.serviceId,
      clientCookie,
      serverCookie,
    } as const;
    expect(Buffer.from(clientProof(fields)).toString('latin1')).toBe(
      `gosling-endpoint\0chat\0${client.serviceId}\0${server.serviceId}\0` +
        `${Buffer.from(clientCookie).toString('hex')}\0${Buffer.from(serverCookie).toString('hex')}`,
    );
  });

  it('refuses names that are not printable ASCII and cookies of the wrong size', () => {
    const base = {
      domain: 'gosling-endpoint',
      clientServiceId: client.serviceId,
      serverServiceId: server.serviceId,
      clientCookie,
      serverCookie,
    } as const;
    for (const request of ['', 'a\0b', 'é', 'x'.repeat(256)]) {
      expect(() => clientProof({ ...base, request })).toThrow(HandshakeArgumentError);
    }
    expect(() => clientProof({ ...base, request: 'a', clientCookie: new Uint8Array(31) })).toThrow(
      HandshakeArgumentError,
    );
    expect(() => clientProof({ ...base, request: 'a', serverServiceId: 'nope' })).toThrow(
      HandshakeArgumentError,
    );
  });
});

function edPublicKeyOfClampedScalar(secret: Uint8Array): Uint8Array {
  const scalar = Uint8Array.from(secret);
  scalar[0] = (scalar[0] as number) & 248;
  scalar[31] = ((scalar[31] as number) & 127) | 64;
  return ed25519.Point.BASE.multiply(bytesToNumberLE(scalar) % ed25519.Point.CURVE().n).toBytes();
}

describe('client-authorization key conversion and signature', () => {
  it('computes the RFC 7748 §6.1 x25519 public key', () => {
    const secret = Buffer.from(
      '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
      'hex',
    );
    expect(Buffer.from(x25519PublicKey(secret)).toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
  });

  it('maps x25519 u + signbit to the ed25519 key of the same scalar (derived both ways)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        const edPublic = edPublicKeyOfClampedScalar(secret);
        const u = x25519.getPublicKey(secret);
        expect(ed25519.utils.toMontgomery(edPublic)).toEqual(u);
        const signbit = ((edPublic[31] as number) & 0x80) !== 0;
        expect(ed25519PublicKeyFromX25519(u, signbit)).toEqual(edPublic);
      }),
      { numRuns: 200 },
    );
  });

  it('signs the client service id with the derived key, verified from u + signbit', () => {
    const secret = new Uint8Array(32).fill(7);
    const auth = signClientAuthorization(secret, client.serviceId);
    expect(auth.publicKey).toEqual(x25519.getPublicKey(secret));
    const edPublic = edPublicKeyOfClampedScalar(secret);
    expect(auth.signbit).toBe(((edPublic[31] as number) & 0x80) !== 0);
    const message = new TextEncoder().encode(client.serviceId);
    expect(ed25519.verify(auth.signature, message, edPublic)).toBe(true);
    expect(verifyClientAuthorization(auth, client.serviceId)).toBe(true);
    expect(verifyClientAuthorization(auth, server.serviceId)).toBe(false);
    expect(verifyClientAuthorization({ ...auth, signbit: !auth.signbit }, client.serviceId)).toBe(
      false,
    );
    const tampered = Uint8Array.from(auth.signature);
    tampered[5] = (tampered[5] as number) ^ 1;
    expect(verifyClientAuthorization({ ...auth, signature: tampered }, client.serviceId)).toBe(
      false,
    );
  });

  it('has no Edwards key for u = -1 or a non-canonical u', () => {
    const p = ed25519.Point.Fp.ORDER;
    expect(ed25519PublicKeyFromX25519(numberToBytesLE(p - 1n, 32), false)).toBeUndefined();
    expect(ed25519PublicKeyFromX25519(numberToBytesLE(p + 9n, 32), false)).toBeUndefined();
    const sig = new Uint8Array(64);
    const auth = { publicKey: numberToBytesLE(p - 1n, 32), signbit: false, signature: sig };
    expect(verifyClientAuthorization(auth, client.serviceId)).toBe(false);
  });
});
