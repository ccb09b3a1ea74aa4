import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isSafeFileName,
  isValidMessageText,
  isValidNickname,
  isValidRequestText,
  MAX_FILE_CHUNK,
} from '../../src/protocol/limits.js';

describe('limits', () => {
  it('message text is 1..2000 UTF-16 code units', () => {
    expect(isValidMessageText('')).toBe(false);
    expect(isValidMessageText('a')).toBe(true);
    expect(isValidMessageText('a'.repeat(1996) + '🚀🚀')).toBe(true); // 2000 units, 1998 code points
    expect(isValidMessageText('a'.repeat(1997) + '🚀🚀')).toBe(false);
    expect(isValidRequestText('')).toBe(true);
    expect(isValidRequestText('x'.repeat(2001))).toBe(false);
  });

  it('nicknames: ≤ 30 units, no " < > &, no Cc/Cf, no non-characters', () => {
    expect(isValidNickname('Alice')).toBe(true);
    expect(isValidNickname('')).toBe(true);
    expect(isValidNickname('日本語 grüße')).toBe(true);
    expect(isValidNickname('a'.repeat(30))).toBe(true);
    expect(isValidNickname('a'.repeat(31))).toBe(false);
    for (const bad of [
      'a"b',
      'a<b',
      'a>b',
      'a&b',
      'a\u0000',
      'a\n',
      'a\u001b[31m',
      'a\u202e',
      'a\u200b',
      'a\ufffe',
      'a\ufdd0',
      'a\u{1ffff}',
      'a\ud800',
    ]) {
      expect(isValidNickname(bad)).toBe(false);
    }
  });

  it('file names: no separators, no .., no controls, bounded', () => {
    expect(isSafeFileName('report.pdf')).toBe(true);
    expect(isSafeFileName('.hidden')).toBe(true);
    for (const bad of [
      '',
      '.',
      '..',
      '../x',
      'a/b',
      'a\\b',
      'a..b',
      'a\u0000b',
      'a\nb',
      'x\u202egpj.exe',
      'n'.repeat(256),
    ]) {
      expect(isSafeFileName(bad)).toBe(false);
    }
    expect(MAX_FILE_CHUNK).toBe(64512);
  });

  it('property: a safe file name is a single path segment', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        if (isSafeFileName(name)) {
          expect(name.includes('/') || name.includes('\\') || name.includes('..')).toBe(false);
          expect([...name].some((c) => (c.codePointAt(0) as number) < 0x20 || c === '\u007f')).toBe(
            false,
          );
        }
      }),
    );
  });
});
