// Honk-RPC v0.1.0 over BSON 1.1: a hand-assembled message from the spec's formats, byte-at-a-time
// decoding, the 4096-byte limit enforced from the length prefix, strict section shapes, and
// fast-check properties (round trip; random or mutated bytes only ever raise a GoslingError).
import { Binary, Double, Int32, Long, serialize } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BsonParseError,
  DecoderPoisonedError,
  GoslingError,
  MessageParseError,
  MessageTooBigError,
  MessageVersionError,
  ResponseStateError,
  SectionIdUnknownError,
  SectionParseError,
} from '../../src/gosling/errors.js';
import { HonkDecoder } from '../../src/gosling/honk-decoder.js';
import {
  encodeHonkMessage,
  MAX_MESSAGE_SIZE,
  type HonkMessage,
  type Section,
} from '../../src/gosling/honk-message.js';

// { honk_rpc: int32 0x000100, sections: [ { id: int32 0, code: int32 -2 } ] }, assembled by hand
// from BSON 1.1 (int32 = 0x10, array = 0x04, document = 0x03, keys are cstrings, little-endian).
const ERROR_MESSAGE_HEX = [
  '3c000000', // total length 60
  '10',
  '686f6e6b5f72706300',
  '00010000', // int32 "honk_rpc" = 256 (0.1.0)
  '04',
  '73656374696f6e7300', // array "sections"
  '1f000000', // array length 31
  '03',
  '3000', // document "0"
  '17000000', // section length 23
  '10',
  '696400',
  '00000000', // int32 "id" = 0 (error)
  '10',
  '636f646500',
  'feffffff', // int32 "code" = -2 (message_too_big)
  '00', // end of section
  '00', // end of array
  '00', // end of message
].join('');

function decodeAll(bytes: Uint8Array, chunk = bytes.length): HonkMessage[] {
  const decoder = new HonkDecoder();
  const out: HonkMessage[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    decoder.push(bytes.subarray(i, i + chunk));
    for (let m = decoder.next(); m; m = decoder.next()) out.push(m);
  }
  return out;
}

function decodeDoc(doc: Record<string, unknown>): HonkMessage[] {
  return decodeAll(serialize(doc));
}

const message = (sections: unknown[]) => ({ honk_rpc: new Int32(0x100), sections });

describe('Honk-RPC message codec', () => {
  it('encodes an error section exactly as the hand-assembled BSON and decodes it back', () => {
    const bytes = encodeHonkMessage({ sections: [{ kind: 'error', code: -2 }] });
    expect(Buffer.from(bytes).toString('hex')).toBe(ERROR_MESSAGE_HEX);
    expect(decodeAll(Buffer.from(ERROR_MESSAGE_HEX, 'hex'))).toEqual([
      { sections: [{ kind: 'error', code: -2 }] },
    ]);
  });

  it('decodes the same messages byte at a time as in one chunk', () => {
    const one = encodeHonkMessage({
      sections: [
        { kind: 'request', cookie: 7n, namespace: 'ns', function: 'f', version: 0, arguments: {} },
      ],
    });
    const two = encodeHonkMessage({
      sections: [{ kind: 'response', cookie: 7n, state: 'complete', result: 'ok' }],
    });
    const stream = Buffer.concat([one, two]);
    const whole = decodeAll(stream);
    expect(whole).toHaveLength(2);
    expect(decodeAll(stream, 1)).toEqual(whole);
  });

  it('refuses an oversize message from its 4-byte prefix alone, then stays poisoned', () => {
    const decoder = new HonkDecoder();
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, MAX_MESSAGE_SIZE + 1, true);
    decoder.push(prefix);
    expect(() => decoder.next()).toThrow(MessageTooBigError);
    expect(decoder.poisoned).toBe(true);
    expect(() => decoder.push(new Uint8Array([0]))).toThrow(DecoderPoisonedError);
    expect(() => decoder.next()).toThrow(DecoderPoisonedError);
  });

  it('accepts a message of exactly the limit and refuses one byte more', () => {
    const base = serialize(message([{ id: new Int32(0), code: new Int32(5), message: '' }]));
    const pad = MAX_MESSAGE_SIZE - base.length;
    const exact = serialize(
      message([{ id: new Int32(0), code: new Int32(5), message: 'x'.repeat(pad) }]),
    );
    expect(exact.length).toBe(MAX_MESSAGE_SIZE);
    expect(decodeAll(exact)).toHaveLength(1);
    const over = serialize(
      message([{ id: new Int32(0), code: new Int32(5), message: 'x'.repeat(pad + 1) }]),
    );
    expect(() => decodeAll(over)).toThrow(MessageTooBigError);
    expect(() =>
      encodeHonkMessage({ sections: [{ kind: 'error', code: 5, message: 'x'.repeat(pad + 1) }] }),
    ).toThrow(MessageTooBigError);
  });

  it('refuses garbage: tiny or negative lengths and broken BSON bodies', () => {
    expect(() => decodeAll(new Uint8Array([4, 0, 0, 0]))).toThrow(BsonParseError);
    expect(() => decodeAll(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(BsonParseError);
    expect(() => decodeAll(new Uint8Array([6, 0, 0, 0, 0x42, 0]))).toThrow(BsonParseError);
    const bytes = Buffer.from(ERROR_MESSAGE_HEX, 'hex');
    bytes[bytes.length - 1] = 1; // no terminating NUL
    expect(() => decodeAll(bytes)).toThrow(BsonParseError);
  });

  it('validates the message shape with typed errors', () => {
    const section = { id: new Int32(0), code: new Int32(1) };
    expect(() => decodeDoc({ sections: [section] })).toThrow(MessageParseError);
    expect(() => decodeDoc({ honk_rpc: new Double(256), sections: [section] })).toThrow(
      MessageParseError,
    );
    expect(() => decodeDoc({ honk_rpc: new Int32(0x200), sections: [section] })).toThrow(
      MessageVersionError,
    );
    expect(() => decodeDoc({ honk_rpc: new Int32(0x10100), sections: [section] })).toThrow(
      MessageVersionError,
    );
    expect(() => decodeDoc(message([]))).toThrow(MessageParseError);
    expect(() => decodeDoc({ honk_rpc: new Int32(0x100), sections: section })).toThrow(
      MessageParseError,
    );
    expect(() => decodeDoc(message(['x']))).toThrow(SectionParseError);
    expect(() => decodeDoc(message([{ id: new Int32(3) }]))).toThrow(SectionIdUnknownError);
    expect(() => decodeDoc(message([{ id: Long.fromNumber(0), code: new Int32(1) }]))).toThrow(
      SectionParseError,
    );
    expect(() => decodeDoc(message([{ id: new Int32(0) }]))).toThrow(SectionParseError);
    expect(() => decodeDoc(message([{ id: new Int32(1), function: '' }]))).toThrow(
      SectionParseError,
    );
    expect(() =>
      decodeDoc(
        message([{ id: new Int32(1), function: 'f', arguments: new Binary(new Uint8Array(1)) }]),
      ),
    ).toThrow(SectionParseError);
    const response = { id: new Int32(2), cookie: Long.fromNumber(1) };
    expect(() =>
      decodeDoc(message([{ ...response, cookie: new Int32(1), state: new Int32(1) }])),
    ).toThrow(SectionParseError);
    expect(() => decodeDoc(message([{ id: new Int32(2), state: new Int32(1) }]))).toThrow(
      SectionParseError,
    );
    expect(() => decodeDoc(message([{ ...response, state: new Int32(2) }]))).toThrow(
      ResponseStateError,
    );
    expect(() => decodeDoc(message([{ ...response, state: new Int32(0), result: 'x' }]))).toThrow(
      ResponseStateError,
    );
  });

  it('ignores fields the spec does not define (Honk-RPC: unexpected fields MUST be ignored)', () => {
    const [decoded] = decodeDoc({
      ...message([{ id: new Int32(1), function: 'f', extra: 'x', cookie: Long.fromNumber(3) }]),
      other: true,
    });
    expect(decoded?.sections).toEqual([
      { kind: 'request', cookie: 3n, namespace: '', function: 'f', version: 0, arguments: {} },
    ]);
  });
});

const name = fc.string({ maxLength: 20 });
const cookie = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const sectionArb: fc.Arbitrary<Section> = fc.oneof(
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  fc.record({
    kind: fc.constant('request' as const),
    cookie,
    namespace: name,
    function: name.filter((s) => s.length > 0),
    version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    arguments: fc.dictionary(
      name.filter((k) => !k.includes('\0') && !k.startsWith('$')),
      name,
    ),
  }),
  fc.record({
    kind: fc.constant('response' as const),
    cookie,
    state: fc.constant('complete' as const),
    result: name,
  }),
);

describe('Honk-RPC codec properties', () => {
  it('round-trips any message, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(sectionArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 64 }),
        (sections, chunk) => {
          const bytes = encodeHonkMessage({ sections });
          expect(decodeAll(bytes, chunk)).toEqual([{ sections }]);
        },
      ),
    );
  });

  it('raises nothing but a GoslingError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeAll(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(GoslingError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('raises nothing but a GoslingError on mutated valid messages', () => {
    const valid = Buffer.from(ERROR_MESSAGE_HEX, 'hex');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const bytes = Uint8Array.from(valid);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            decodeAll(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(GoslingError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
