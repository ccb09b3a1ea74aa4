import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InvalidMessageTextError,
  InvalidNicknameError,
  isNonCharacter,
  validateMessageText,
  validateNickname,
} from '../../src/contacts/text-rules.js';

describe('validateNickname', () => {
  it('accepts ordinary and non-ASCII names up to 30 UTF-16 units', () => {
    expect(validateNickname('Alice')).toBe('Alice');
    expect(validateNickname('Zoë Ñandú 日本')).toBe('Zoë Ñandú 日本');
    expect(validateNickname('x'.repeat(30))).toHaveLength(30);
    expect(validateNickname('😀'.repeat(15))).toHaveLength(30);
  });
  it.each([
    ['', 'empty'],
    ['x'.repeat(31), 'too long'],
    ['😀'.repeat(15) + 'x', 'too long in units'],
    ['a"b', 'quote'],
    ['a<b', 'lt'],
    ['a>b', 'gt'],
    ['a&b', 'amp'],
    ['a\nb', 'Cc'],
    ['a\u0000b', 'NUL'],
    ['a\u202eb', 'bidi override (Cf)'],
    ['a\u200bb', 'zero width space (Cf)'],
    ['a\ufdd0b', 'non-character'],
    ['a\uffffb', 'non-character'],
    ['a\u{1fffe}', 'plane 1 non-character'],
    ['a\ud800b', 'lone surrogate'],
    ['   ', 'blank'],
  ])('rejects %j (%s)', (nick) => {
    expect(() => validateNickname(nick)).toThrow(InvalidNicknameError);
  });
  it('never throws anything but InvalidNicknameError on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        try {
          validateNickname(s);
          expect(s.length).toBeLessThanOrEqual(30);
          expect(/["<>&]/.test(s)).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidNicknameError);
        }
      }),
    );
  });
});

describe('validateMessageText', () => {
  it('accepts 1..2000 units', () => {
    expect(validateMessageText('a')).toBe('a');
    expect(validateMessageText('x'.repeat(2000))).toHaveLength(2000);
    expect(validateMessageText('line\nbreak')).toBe('line\nbreak');
  });
  it('rejects empty, 2001 units and lone surrogates', () => {
    expect(() => validateMessageText('')).toThrow(InvalidMessageTextError);
    expect(() => validateMessageText('x'.repeat(2001))).toThrow(InvalidMessageTextError);
    expect(() => validateMessageText('😀'.repeat(1000) + 'x')).toThrow(InvalidMessageTextError);
    expect(() => validateMessageText('a\udc00')).toThrow(InvalidMessageTextError);
  });
  it('allows empty with min 0 (request messages)', () => {
    expect(validateMessageText('', 2000, 0)).toBe('');
  });
});

describe('isNonCharacter', () => {
  it('knows the 66 non-characters', () => {
    let n = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) if (isNonCharacter(cp)) n++;
    expect(n).toBe(66);
  });
});
