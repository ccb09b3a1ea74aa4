// Proves sanitizeForTerminal neutralises every class of terminal attack a peer string can carry.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_MAX_LENGTH,
  MAX_COMBINING,
  isNonCharacter,
  sanitizeForTerminal,
} from '../../src/tui/sanitize.js';

const multi = { multiline: true } as const;

/** True when `text` holds a character no sanitised output may contain. */
function hasForbidden(text: string, multiline: boolean): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp === 0x0a && multiline) continue;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true;
    if (cp >= 0xd800 && cp <= 0xdfff) return true;
    if (isNonCharacter(cp)) return true;
    if (cp === 0x2028 || cp === 0x2029) return true;
    if (/\p{Cf}/u.test(ch)) return true;
  }
  return false;
}

describe('sanitizeForTerminal', () => {
  it('leaves ordinary text, including non-Latin scripts and emoji, unchanged', () => {
    const text = 'Hello, мир! שלום 你好 😀 café';
    expect(sanitizeForTerminal(text)).toBe(text);
  });

  it('removes C0 controls and DEL', () => {
    expect(sanitizeForTerminal('a\x00b\x07c\x08d\x7fe\x0cf\x1fg')).toBe('abcdefg');
  });

  it('keeps \\n only in multiline text and turns tabs into spaces', () => {
    expect(sanitizeForTerminal('one\ntwo\tx', multi)).toBe('one\ntwo    x');
    expect(sanitizeForTerminal('one\ntwo\tx')).toBe('one two x');
    expect(sanitizeForTerminal('a\r\nb\rc', multi)).toBe('a\nb\nc');
    expect(sanitizeForTerminal('a\u2028b\u2029c', multi)).toBe('a\nb\nc');
    expect(sanitizeForTerminal('overwrite\rfake')).toBe('overwrite fake');
  });

  it('removes C1 controls', () => {
    expect(sanitizeForTerminal('a\u0085b\u008ec\u0084d')).toBe('abcd');
  });

  it('removes CSI sequences (clear screen, colours, cursor moves)', () => {
    expect(sanitizeForTerminal('a\x1b[2Jb\x1b[31;1mred\x1b[0m\x1b[10;10H')).toBe('abred');
    expect(sanitizeForTerminal('x\x1b[?1049hy')).toBe('xy');
  });

  it('removes OSC 8 hyperlinks but keeps the visible text', () => {
    expect(sanitizeForTerminal('\x1b]8;;http://evil\x07click\x1b]8;;\x07')).toBe('click');
    expect(sanitizeForTerminal('\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\')).toBe('click');
  });

  it('removes OSC 52 clipboard writes and OSC 0/2 title changes', () => {
    expect(sanitizeForTerminal('a\x1b]52;c;cm0gLXJmIH4=\x07b')).toBe('ab');
    expect(sanitizeForTerminal('a\x1b]0;pwned\x07b\x1b]2;x\x1b\\c')).toBe('abc');
  });

  it('removes DCS, SOS, PM and APC strings', () => {
    expect(sanitizeForTerminal('a\x1bP+q544e\x1b\\b')).toBe('ab');
    expect(sanitizeForTerminal('a\x1bXsos\x1b\\b\x1b^pm\x1b\\c\x1b_apc\x1b\\d')).toBe('abcd');
  });

  it('removes 8-bit CSI, OSC, DCS and APC', () => {
    expect(sanitizeForTerminal('a\u009b2Jb')).toBe('ab');
    expect(sanitizeForTerminal('a\u009d52;c;AAAA\u009cb')).toBe('ab');
    expect(sanitizeForTerminal('a\u009d8;;http://evil\u0007b')).toBe('ab');
    expect(sanitizeForTerminal('a\u0090q\u009cb\u009fx\u009cc')).toBe('abc');
  });

  it('drops only the introducer of an unterminated string, showing its body as text', () => {
    expect(sanitizeForTerminal('hi \x1b]52;c;secret')).toBe('hi 52;c;secret');
    expect(sanitizeForTerminal('x\x1b')).toBe('x');
  });

  it('removes other ESC sequences (charset switches, DECSC, RIS)', () => {
    expect(sanitizeForTerminal('a\x1b(0b\x1b7c\x1bcd')).toBe('abcd');
  });

  it('shows bidi controls as visible placeholders', () => {
    expect(sanitizeForTerminal('\u202Egnp.exe')).toBe('⟨U+202E⟩gnp.exe');
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069]) {
      expect(sanitizeForTerminal(String.fromCodePoint(cp))).toMatch(/^⟨U\+20[26][0-9A-F]⟩$/);
    }
    expect(sanitizeForTerminal('\u200e\u200f\u061c')).toBe('⟨U+200E⟩⟨U+200F⟩⟨U+061C⟩');
  });

  it('shows zero-width characters and tag characters as visible placeholders', () => {
    expect(sanitizeForTerminal('a\u200bb\u200cc\u200dd\u2060e\ufefff')).toBe(
      'a⟨U+200B⟩b⟨U+200C⟩c⟨U+200D⟩d⟨U+2060⟩e⟨U+FEFF⟩f',
    );
    expect(sanitizeForTerminal('x\u{e0041}')).toBe('x⟨U+E0041⟩');
  });

  it('replaces non-characters and lone surrogates with U+FFFD', () => {
    expect(sanitizeForTerminal('a\ufffeb\uffffc\ufdd0d\u{1fffe}')).toBe(
      'a\ufffdb\ufffdc\ufffdd\ufffd',
    );
    expect(sanitizeForTerminal('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
  });

  it('limits runs of combining marks', () => {
    const zalgo = 'e' + '\u0301'.repeat(50);
    expect(sanitizeForTerminal(zalgo)).toBe('e' + '\u0301'.repeat(MAX_COMBINING));
  });

  it('caps the length, ending in an ellipsis', () => {
    expect(sanitizeForTerminal('abcdef', { maxLength: 4 })).toBe('abc…');
    expect([...sanitizeForTerminal('x'.repeat(10_000))]).toHaveLength(DEFAULT_MAX_LENGTH);
    expect(sanitizeForTerminal('abc', { maxLength: 0 })).toBe('');
  });

  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'binary-ascii', maxLength: 200 }),
    fc
      .array(
        fc.constantFrom(
          '\x1b',
          '[',
          ']',
          '\\',
          '\x07',
          '\u009b',
          '\u009c',
          '\u009d',
          'P',
          '8;;',
          '\u202e',
          '\u200d',
          '\r',
          '\n',
          '\t',
          '\ud800',
          '\u0301',
          'a',
          '1',
          ';',
        ),
        { maxLength: 80 },
      )
      .map((parts) => parts.join('')),
  );

  it('never outputs a forbidden character (property)', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, multiline) => {
        expect(hasForbidden(sanitizeForTerminal(text, { multiline }), multiline)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent (property)', () => {
    fc.assert(
      fc.property(
        anyText,
        fc.boolean(),
        fc.integer({ min: 0, max: 300 }),
        (text, multiline, maxLength) => {
          const once = sanitizeForTerminal(text, { multiline, maxLength });
          expect(sanitizeForTerminal(once, { multiline, maxLength })).toBe(once);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
