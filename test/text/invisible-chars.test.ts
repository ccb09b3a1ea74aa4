// Invisible characters that are not all Unicode "format" (Cf) characters — Hangul fillers, Khmer
// inherent vowels, Braille blank, variation selectors, tags… — are held to the same rules as the
// bidi controls everywhere: a peer's nickname or file name that holds one is refused by the
// protocol checks, the user's own nickname is refused by the core and the UI, and chat text shows
// each one as `⟨U+XXXX⟩`. The family below is written out from Unicode's DerivedCoreProperties
// (Default_Ignorable_Code_Point, Unicode 15.1/16) plus blank-drawing symbols, not from our code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidNicknameError, validateNickname } from '../../src/contacts/text-rules.js';
import { formatEvent } from '../../src/core/headless-codec.js';
import { isSafeFileName, isValidNickname } from '../../src/protocol/limits.js';
import { placeholderFor, sanitizeForTerminal } from '../../src/tui/sanitize.js';
import { nicknameProblem } from '../../src/tui/validate.js';

/** [first, last] code point ranges. */
const DEFAULT_IGNORABLE: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfff8],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];
/** Not default-ignorable, but drawn as blank by every terminal font that has them. */
const BLANK_SYMBOLS = [0x2800, 0x1d159];
/** The ones the hostile review named. */
const NAMED = [0x3164, 0x115f, 0x1160, 0xffa0, 0x2800, 0x17b4, 0x17b5];
/** White space that is not U+0020: pads or blanks a nickname. */
const SPACE_LOOKALIKES = [
  0x00a0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
  0x200a, 0x202f, 0x205f, 0x3000,
];

const FAMILY: readonly number[] = [
  ...DEFAULT_IGNORABLE.flatMap(([first, last]) =>
    Array.from({ length: last - first + 1 }, (_, i) => first + i),
  ),
  ...BLANK_SYMBOLS,
];
const familyMember = fc.constantFrom(...FAMILY);
const visibleWord = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);

describe('the invisible family in nicknames (peer requests, own input, UI field)', () => {
  it('each one the review named is refused everywhere, alone or as padding', () => {
    for (const cp of NAMED) {
      const ch = String.fromCodePoint(cp);
      for (const nickname of [ch, ch.repeat(5), `Al${ch}ice`, `Alice${ch}`]) {
        expect(isValidNickname(nickname), cp.toString(16)).toBe(false);
        expect(() => validateNickname(nickname)).toThrow(InvalidNicknameError);
        expect(nicknameProblem(nickname)).not.toBeNull();
      }
    }
  });

  it('every member of the family, anywhere in a nickname, is refused (whole family)', () => {
    for (const cp of FAMILY) {
      const nickname = `a${String.fromCodePoint(cp)}${String.fromCodePoint(cp)}`;
      expect(isValidNickname(nickname), cp.toString(16)).toBe(false);
      expect(() => validateNickname(nickname)).toThrow(InvalidNicknameError);
    }
  });

  it('property: a family member inserted at any position of a valid nickname makes it invalid', () => {
    fc.assert(
      fc.property(visibleWord, visibleWord, familyMember, (left, right, cp) => {
        // one emoji-presentation selector right after a letter is the documented exception
        const ch = String.fromCodePoint(cp);
        const nickname =
          cp === 0xfe0e || cp === 0xfe0f ? `${left} ${ch}${right}` : left + ch + right;
        expect(isValidNickname(nickname)).toBe(false);
        expect(nicknameProblem(nickname)).not.toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('space lookalikes pad or blank a nickname and are refused; U+0020 is fine', () => {
    for (const cp of SPACE_LOOKALIKES) {
      const nickname = `Alice${String.fromCodePoint(cp)}Smith`;
      expect(isValidNickname(nickname), cp.toString(16)).toBe(false);
      expect(() => validateNickname(nickname)).toThrow(InvalidNicknameError);
      expect(nicknameProblem(nickname)).not.toBeNull();
    }
    expect(isValidNickname('Alice Smith')).toBe(true);
    expect(validateNickname('Alice Smith')).toBe('Alice Smith');
  });

  it('an emoji keeps its presentation selector; a second one, or one after a space, is refused', () => {
    expect(isValidNickname('Alice ❤️')).toBe(true);
    expect(validateNickname('Alice ❤️')).toBe('Alice ❤️');
    expect(isValidNickname('Alice ❤\uFE0F\uFE0F')).toBe(false);
    expect(isValidNickname('Alice \uFE0F')).toBe(false);
    expect(isValidNickname('\uFE0F')).toBe(false);
    expect(isValidNickname('a\uFE01')).toBe(false); // other selectors smuggle data
  });
});

describe('the invisible family in file names (peer offers)', () => {
  it('invoice.pdf + invisible padding + .exe is refused, for every member', () => {
    for (const cp of FAMILY) {
      const pad = String.fromCodePoint(cp).repeat(2);
      expect(isSafeFileName(`invoice.pdf${pad}.exe`), cp.toString(16)).toBe(false);
    }
  });

  it('property: a family member anywhere in a safe name makes it unsafe', () => {
    fc.assert(
      fc.property(visibleWord, visibleWord, familyMember, (stem, ext, cp) => {
        const ch = String.fromCodePoint(cp);
        const name =
          cp === 0xfe0e || cp === 0xfe0f ? `${stem} ${ch}.${ext}` : `${stem}${ch}.${ext}`;
        expect(isSafeFileName(`${stem}.${ext}`)).toBe(true);
        expect(isSafeFileName(name)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('real names with ordinary and CJK spaces still pass (the UI shows runs of spaces)', () => {
    expect(isSafeFileName('my report.pdf')).toBe(true);
    expect(isSafeFileName('会議\u3000資料.pdf')).toBe(true);
    expect(isSafeFileName('photo ❤️.jpg')).toBe(true);
  });
});

describe('the invisible family in chat text (accepted, drawn visibly)', () => {
  it('every member becomes its ⟨U+XXXX⟩ placeholder and nothing invisible remains', () => {
    for (const cp of FAMILY) {
      const ch = String.fromCodePoint(cp);
      const shown = sanitizeForTerminal(`a ${ch}b`);
      expect(shown, cp.toString(16)).toBe(`a ${placeholderFor(cp)}b`);
    }
  });

  it('property: sanitised text never holds a family member, except one selector after a glyph', () => {
    const mixed = fc.array(
      fc.oneof(
        fc.string({ unit: 'grapheme' }),
        familyMember.map((cp) => String.fromCodePoint(cp)),
      ),
      {
        maxLength: 12,
      },
    );
    fc.assert(
      fc.property(mixed, (parts) => {
        const shown = sanitizeForTerminal(parts.join(''), { multiline: true });
        let previous: string | undefined;
        for (const ch of shown) {
          const cp = ch.codePointAt(0) as number;
          if (FAMILY.includes(cp)) {
            expect(cp === 0xfe0e || cp === 0xfe0f, cp.toString(16)).toBe(true);
            expect(previous === undefined || /\s/u.test(previous)).toBe(false);
            expect(
              previous !== undefined && FAMILY.includes(previous.codePointAt(0) as number),
            ).toBe(false);
          }
          previous = ch;
        }
        expect(sanitizeForTerminal(shown, { multiline: true })).toBe(shown);
      }),
      { numRuns: 2000 },
    );
  });

  it('emoji draw as sent: one presentation selector after a glyph stays', () => {
    expect(sanitizeForTerminal('I ❤️ it')).toBe('I ❤️ it');
    expect(sanitizeForTerminal('❤\uFE0F\uFE0F')).toBe(`❤\uFE0F${placeholderFor(0xfe0f)}`);
  });

  it('headless output escapes every member (lossless for a JSON reader)', () => {
    for (const cp of [...NAMED, 0xe0100, 0x1d159]) {
      const text = `x${String.fromCodePoint(cp)}y`;
      const line = formatEvent({
        type: 'message',
        address: 'ricochet:kzr6oxqum7lmmkkimj56siht5wetimyl7dw4ypikl2byng3egkj4o7id',
        id: 1,
        text,
        timeDelta: 0,
      });
      expect(line.includes(String.fromCodePoint(cp)), cp.toString(16)).toBe(false);
      expect((JSON.parse(line) as { text: string }).text).toBe(text);
    }
  });
});
