// Quoting per control-spec §2.1/§2.1.1: QuotedString round trip, injection refusal, keyword lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ControlArgumentError,
  MalformedControlFieldError,
} from '../../../src/onion/control/errors.js';
import { parseKeywordLine, quoteString, unquoteString } from '../../../src/onion/control/quote.js';

describe('quoteString', () => {
  it('escapes backslash and double quote only', () => {
    expect(quoteString('a"b\\c d')).toBe('"a\\"b\\\\c d"');
    expect(quoteString('')).toBe('""');
  });

  for (const injection of ['pw\r\nSIGNAL SHUTDOWN', 'pw\nSIGNAL HALT', 'pw\rX', 'pw\0', '"\r\n']) {
    it(`refuses ${JSON.stringify(injection)}`, () => {
      expect(() => quoteString(injection)).toThrow(ControlArgumentError);
    });
  }

  it('round-trips any single-line string', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !/[\r\n\0]/.test(s)),
        (value) => {
          expect(unquoteString(quoteString(value))).toBe(value);
        },
      ),
    );
  });

  it('round-trips strings dense in backslashes, quotes and digits', () => {
    const tricky = fc.constantFrom('\\', '"', '0', '3', '7', 'n', 't', 'r', ' ', '=', 'x');
    fc.assert(
      fc.property(fc.array(tricky, { maxLength: 40 }), (chars) => {
        const value = chars.join('');
        const quoted = quoteString(value);
        expect(unquoteString(quoted)).toBe(value);
        expect(parseKeywordLine(`K=${quoted}`).keywords.get('K')).toBe(value);
      }),
    );
  });

  it('refuses every string containing CR, LF or NUL', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('\r', '\n', '\0'),
        fc.string({ maxLength: 20 }),
        (before, bad, after) => {
          expect(() => quoteString(before + bad + after)).toThrow(ControlArgumentError);
        },
      ),
    );
  });
});

describe('unquoteString (CString escapes, §2.1.1)', () => {
  it('reads \\n \\t \\r and octal as C escapes', () => {
    expect(unquoteString('"a\\nb\\tc\\rd"')).toBe('a\nb\tc\rd');
    expect(unquoteString('"caf\\303\\251"')).toBe('café');
    expect(unquoteString('"\\0"')).toBe('\0');
    expect(unquoteString('"\\q\\"\\\\"')).toBe('q"\\');
  });

  it('refuses unterminated and trailing text', () => {
    expect(() => unquoteString('"abc')).toThrow(MalformedControlFieldError);
    expect(() => unquoteString('"abc\\')).toThrow(MalformedControlFieldError);
    expect(() => unquoteString('"a"b')).toThrow(MalformedControlFieldError);
    expect(() => unquoteString('abc')).toThrow(MalformedControlFieldError);
  });
});

describe('parseKeywordLine', () => {
  it('parses PROTOCOLINFO AUTH with a quoted path', () => {
    const line = parseKeywordLine(
      'METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/var/lib/tor dir/control_auth_cookie"',
    );
    expect(line.positional).toEqual([]);
    expect(line.keywords.get('METHODS')).toBe('COOKIE,SAFECOOKIE');
    expect(line.keywords.get('COOKIEFILE')).toBe('/var/lib/tor dir/control_auth_cookie');
  });

  it('parses positional words then keywords (BOOTSTRAP)', () => {
    const line = parseKeywordLine(
      'NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay"',
    );
    expect(line.positional).toEqual(['NOTICE', 'BOOTSTRAP']);
    expect(Object.fromEntries(line.keywords)).toEqual({
      PROGRESS: '5',
      TAG: 'conn',
      SUMMARY: 'Connecting to a relay',
    });
  });

  it('keeps the first of duplicate keys and empty values', () => {
    const line = parseKeywordLine('A=1 A=2 B= C=""');
    expect(Object.fromEntries(line.keywords)).toEqual({ A: '1', B: '', C: '' });
  });

  it('refuses text glued to a closing quote', () => {
    expect(() => parseKeywordLine('A="x"y')).toThrow(MalformedControlFieldError);
  });

  it('never throws anything but MalformedControlFieldError on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          parseKeywordLine(text);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedControlFieldError);
        }
      }),
    );
  });
});
