// Ricochet ID / v3 onion address parsing and formatting (rend-spec-v3 encoding), one test per error
// class, recorded Ricochet ids, and fast-check properties.
import { sha3_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  AddressBase32Error,
  AddressChecksumError,
  AddressFormatError,
  AddressLengthError,
  AddressPublicKeyError,
  AddressVersionError,
  InvalidAddressError,
  formatOnionHostname,
  formatRicochetId,
  isValidServiceId,
  parseRicochetAddress,
  publicKeyFromServiceId,
  serviceIdFromPublicKey,
} from '../../src/identity/service-id.js';

const CAROL = 'h44ilsblgrguks5smjizbqz7bdiafz2fekxowyoho5v63kwozbae6did';
const DAVE = '2r2ny532lclzz3slust6lc2xqmzvm6fzucu67lhmq6u7g5ckryoborid';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Independent reference: RFC 4648 base32 via bit strings. */
function base32(bytes: Uint8Array): string {
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
  return (bits.match(/.{1,5}/g) ?? [])
    .map((chunk) => ALPHABET[parseInt(chunk.padEnd(5, '0'), 2)])
    .join('');
}

/** Builds an id from arbitrary key bytes, checksum and version (for negative tests). */
function rawId(publicKey: Uint8Array, version = 3, checksum?: Uint8Array): string {
  const sum =
    checksum ??
    sha3_256(
      new Uint8Array([...new TextEncoder().encode('.onion checksum'), ...publicKey, version]),
    );
  return base32(new Uint8Array([...publicKey, sum[0] ?? 0, sum[1] ?? 0, version]));
}

const arbitraryKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((seed) => IdentityKey.fromSeed(seed));

describe('parseRicochetAddress', () => {
  it('accepts ricochet:<id>, <id>.onion and bare <id>, any case, trimmed', () => {
    for (const input of [
      `ricochet:${CAROL}`,
      `${CAROL}.onion`,
      CAROL,
      `  RICOCHET:${CAROL.toUpperCase()}\n`,
      `\t${CAROL.toUpperCase()}.ONION `,
      `Ricochet:${CAROL}`,
    ]) {
      expect(parseRicochetAddress(input)).toBe(CAROL);
    }
    expect(parseRicochetAddress(DAVE)).toBe(DAVE);
  });

  it('round-trips every formatted form of any key (property)', () => {
    fc.assert(
      fc.property(arbitraryKey, fc.boolean(), (key, upper) => {
        const id = key.serviceId;
        for (const form of [formatRicochetId(id), formatOnionHostname(id), id]) {
          expect(parseRicochetAddress(upper ? form.toUpperCase() : form)).toBe(id);
        }
        expect(publicKeyFromServiceId(id)).toEqual(key.publicKey);
        expect(serviceIdFromPublicKey(key.publicKey)).toBe(id);
        expect(isValidServiceId(id)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('agrees with an independent base32 + SHA3 reference', () => {
    fc.assert(
      fc.property(arbitraryKey, (key) => {
        expect(key.serviceId).toBe(rawId(key.publicKey));
      }),
      { numRuns: 30 },
    );
  });

  it('throws only InvalidAddressError subclasses for arbitrary input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 56, maxLength: 56 }),
          fc
            .string({ unit: fc.constantFrom(...ALPHABET), maxLength: 70 })
            .map((s) => `ricochet:${s}`),
        ),
        (input) => {
          try {
            const id = parseRicochetAddress(input);
            expect(isValidServiceId(id)).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidAddressError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('detects every single-character typo (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 55 }), fc.constantFrom(...ALPHABET), (position, replacement) => {
        fc.pre(CAROL[position] !== replacement);
        const typo = CAROL.slice(0, position) + replacement + CAROL.slice(position + 1);
        expect(() => parseRicochetAddress(typo)).toThrow(InvalidAddressError);
        expect(isValidServiceId(typo)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  const key = IdentityKey.fromSeed(new Uint8Array(32).fill(1)).publicKey;
  const cases: [string, string, new (...args: never[]) => InvalidAddressError][] = [
    ['empty', '   ', AddressFormatError],
    ['prefix only', 'ricochet:', AddressFormatError],
    ['wrong scheme', `http://${CAROL}.onion`, AddressFormatError],
    ['ricochet: and .onion together', `ricochet:${CAROL}.onion`, AddressFormatError],
    ['sub-domain', `www.${CAROL}.onion`, AddressFormatError],
    ['inner space', `ricochet: ${CAROL}`, AddressFormatError],
    ['port', `${CAROL}.onion:9878`, AddressFormatError],
    ['v2 address', 'expyuzz4wqqyqhjn.onion', AddressLengthError],
    ['55 characters', CAROL.slice(1), AddressLengthError],
    ['57 characters', CAROL + 'a', AddressLengthError],
    ['oversize input', 'a'.repeat(100_000), AddressLengthError],
    ['digit 0 (not base32)', '0' + CAROL.slice(1), AddressBase32Error],
    ['digit 1 (not base32)', CAROL.slice(0, 55) + '1', AddressBase32Error],
    ['version 2', rawId(key, 2), AddressVersionError],
    ['version 4', rawId(key, 4), AddressVersionError],
    ['bad checksum', rawId(key, 3, new Uint8Array([0, 0])), AddressChecksumError],
    [
      'identity point (small order)',
      rawId(Uint8Array.of(1, ...new Uint8Array(31))),
      AddressPublicKeyError,
    ],
    ['not on the curve', rawId(Uint8Array.of(2, ...new Uint8Array(31))), AddressPublicKeyError],
    [
      'y ≥ p (non-canonical)',
      rawId(new Uint8Array(32).fill(0xff).map((b, i) => (i === 31 ? 0x7f : b))),
      AddressPublicKeyError,
    ],
  ];
  for (const [label, input, errorClass] of cases) {
    it(`rejects ${label} with ${errorClass.name}`, () => {
      expect(() => parseRicochetAddress(input)).toThrow(errorClass);
      let caught: unknown;
      try {
        parseRicochetAddress(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidAddressError);
      expect((caught as Error).name).toBe(errorClass.name);
    });
  }

  it('rejects a point with a torsion component (prime-order point + order-8 point)', async () => {
    const { Point } = await import('@noble/ed25519');
    // An order-8 point: y = -sqrt… encoded by the well-known torsion-subgroup encoding.
    const torsion = Point.fromHex(
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    );
    expect(torsion.isSmallOrder()).toBe(true);
    const mixed = Point.fromBytes(key).add(torsion).toBytes();
    expect(() => parseRicochetAddress(rawId(mixed))).toThrow(AddressPublicKeyError);
    expect(() => serviceIdFromPublicKey(mixed)).toThrow(AddressPublicKeyError);
  });

  it('rejects non-strings with TypeError', () => {
    expect(() => parseRicochetAddress(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('formatting and helpers', () => {
  it('formats the Ricochet ID and onion hostname', () => {
    expect(formatRicochetId(CAROL)).toBe(`ricochet:${CAROL}`);
    expect(formatOnionHostname(CAROL)).toBe(`${CAROL}.onion`);
  });

  it('refuses to format a non-canonical or invalid id', () => {
    expect(() => formatRicochetId(CAROL.toUpperCase())).toThrow(InvalidAddressError);
    expect(() => formatOnionHostname(`${CAROL}.onion`)).toThrow(InvalidAddressError);
    expect(() => publicKeyFromServiceId(CAROL.slice(0, 55) + 'a')).toThrow(InvalidAddressError);
  });

  it('isValidServiceId wants the canonical form only', () => {
    expect(isValidServiceId(CAROL)).toBe(true);
    expect(isValidServiceId(CAROL.toUpperCase())).toBe(false);
    expect(isValidServiceId(`ricochet:${CAROL}`)).toBe(false);
    expect(isValidServiceId(5 as unknown as string)).toBe(false);
  });

  it('serviceIdFromPublicKey checks type and length', () => {
    expect(() => serviceIdFromPublicKey(new Uint8Array(31))).toThrow(RangeError);
    expect(() => serviceIdFromPublicKey([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});
