import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encodeIntroduction,
  IntroductionParser,
  parseIntroductionReply,
} from '../../src/protocol/introduction.js';
import {
  MalformedPacketError,
  ProtocolError,
  ProtocolViolationError,
  UnsupportedVersionError,
} from '../../src/protocol/errors.js';
import { hex, toHex } from './session-vectors.js';

describe('introduction', () => {
  it('client sends 49 4D 01 03 by default', () => {
    expect(toHex(encodeIntroduction())).toBe('494d0103');
    expect(toHex(encodeIntroduction([1, 3]))).toBe('494d020103');
    expect(() => encodeIntroduction([])).toThrow(RangeError);
    expect(() => encodeIntroduction([0xff])).toThrow(RangeError);
  });

  it('server picks 3 and returns the leftover bytes', () => {
    const result = new IntroductionParser().push(hex('494d0103 00040001'));
    expect(result).toMatchObject({ done: true, version: 3 });
    if (!result.done) throw new Error('not done');
    expect(toHex(result.reply)).toBe('03');
    expect(toHex(result.rest)).toBe('00040001');
  });

  it('works one byte at a time', () => {
    const parser = new IntroductionParser();
    const bytes = hex('494d03010203');
    for (let i = 0; i < bytes.length - 1; i++) {
      expect(parser.push(bytes.subarray(i, i + 1))).toEqual({ done: false });
    }
    const last = parser.push(bytes.subarray(bytes.length - 1));
    expect(last).toMatchObject({ done: true, version: 3 });
    expect(() => parser.push(hex('00'))).toThrow(ProtocolViolationError);
  });

  it('answers 0xFF when 3 is not offered', () => {
    const result = new IntroductionParser().push(hex('494d020102'));
    expect(result).toMatchObject({ done: true, version: null });
    if (result.done) expect(toHex(result.reply)).toBe('ff');
  });

  it('rejects bad magic and a version count of 0 or too many', () => {
    expect(() => new IntroductionParser().push(hex('474554'))).toThrow(MalformedPacketError);
    expect(() => new IntroductionParser().push(hex('4900'))).toThrow(MalformedPacketError);
    expect(() => new IntroductionParser().push(hex('494d00'))).toThrow(MalformedPacketError);
    expect(() => new IntroductionParser().push(hex('494d11'))).toThrow(MalformedPacketError);
  });

  it('client parses the answer', () => {
    expect(toHex(parseIntroductionReply(hex('0300040001')).rest)).toBe('00040001');
    expect(() => parseIntroductionReply(hex('ff'))).toThrow(UnsupportedVersionError);
    expect(() => parseIntroductionReply(hex('01'))).toThrow(UnsupportedVersionError);
  });

  it('property: garbage raises only ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          new IntroductionParser().push(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
