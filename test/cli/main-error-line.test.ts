// The one-line error text `sotto` prints on stderr (src/cli/main.ts oneLine): the TUI sanitiser's
// single-line rules, so C1 controls (8-bit CSI/OSC) and bidi overrides cannot reach the terminal.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { oneLine } from '../../src/cli/main.js';

describe('oneLine', () => {
  it('keeps only the first line and drops C0 escape sequences', () => {
    expect(oneLine(new Error('cannot open /tmp/a\u001b[2Jb\nsecond line'))).toBe(
      'cannot open /tmp/ab',
    );
    expect(oneLine('plain string')).toBe('plain string');
  });

  it('drops 8-bit C1 controls and sequences (CSI U+009B, OSC U+009D … ST)', () => {
    expect(oneLine(new Error('a\u009b2Jb'))).toBe('ab');
    expect(oneLine(new Error('x\u009d52;c;ZXZpbA==\u009cy'))).toBe('xy');
    expect(oneLine(new Error('p\u0085q'))).toBe('p');
  });

  it('shows bidi overrides and invisible format characters instead of obeying them', () => {
    const shown = oneLine(new Error('file \u202Egnp.exe'));
    expect(shown).not.toContain('\u202E');
    expect(shown).toBe('file ⟨U+202E⟩gnp.exe');
    expect(oneLine(new Error('a\u200Bb\u2066c'))).toBe('a⟨U+200B⟩b⟨U+2066⟩c');
  });

  it('property: the result never holds a control, format or line-break character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(oneLine(new Error(text))).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
      }),
    );
  });
});
