// A file name can never hide its real ending: the hostile review's `'invoice.pdf' + 200 spaces +
// '.sh'` showed as `invoice.pdf …` in the offer dialog. Offers are emitted as the core emits them,
// the user presses the real keys (t, Enter) and the rendered frames are checked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileNameForDisplay, showWhitespace } from '../../src/tui/file-name-display.js';
import { sanitizeForTerminal } from '../../src/tui/sanitize.js';
import { FakeCore } from './support/fake-core.js';
import { ricochetIdFor } from './support/ids.js';
import { renderApp } from './support/render-app.js';
import { KEY, frameWhere, press, settle } from './support/ui.js';

const ME = ricochetIdFor(1);
const ALICE = ricochetIdFor(2);

async function offer(name: string, width = 80) {
  const core = new FakeCore();
  const r = renderApp({ core, ownAddress: ME, width, height: 30 });
  await settle();
  core.emit(
    { type: 'published', address: ME },
    {
      type: 'contacts',
      contacts: [
        { address: ALICE, nickname: 'alice', status: 'online', historyEnabled: true, unread: 0 },
      ],
    },
    { type: 'file-offer', address: ALICE, fileId: 7, name, size: 4096 },
  );
  await frameWhere(r, (f) => expect(f).toContain('1 file offer(s)'));
  await press(r, 't');
  const list = await frameWhere(r, (f) => expect(f).toContain('File transfers'));
  await press(r, KEY.enter);
  const dialog = await frameWhere(r, (f) => expect(f).toContain('File offer'));
  r.unmount();
  return { list, dialog };
}

/** The frame's text with the dialog border and line breaks gone (a long name may wrap). */
function flat(frame: string): string {
  return frame
    .split('\n')
    .map((line) => line.replace(/^[│ ]+|[│ ]+$/gu, ''))
    .join('');
}

describe('file names in the offer dialog and the transfer list (rendered)', () => {
  it("'invoice.pdf' + 200 spaces + '.sh' shows its real ending, the padding counted", async () => {
    const { list, dialog } = await offer(`invoice.pdf${' '.repeat(200)}.sh`);
    expect(dialog).toContain('Name: invoice.pdf⟨200 spaces⟩.sh');
    expect(list).toContain('↓ invoice.pdf⟨200 spaces⟩.sh (4.0 KiB) from alice');
  });

  it('a very long name is cut in the middle: the extension stays visible', async () => {
    const { list, dialog } = await offer(`${'A'.repeat(240)}.exe`);
    expect(list).toMatch(/↓ A+…AAAAAA\.exe \(4\.0 KiB\)/u);
    expect(flat(dialog)).toMatch(/Name: A+…AAAAAA\.exe/u);
  });

  it('invisible padding (Braille blank, ideographic spaces) is shown, not hidden', async () => {
    const braille = await offer('invoice.pdf\u2800\u2800.exe');
    expect(braille.dialog).toContain('invoice.pdf⟨U+2800⟩⟨U+2800⟩.exe');
    const ideographic = await offer(`invoice.pdf${'\u3000'.repeat(50)}.exe`);
    expect(ideographic.dialog).toContain('invoice.pdf⟨50 × U+3000⟩.exe');
    expect(ideographic.list).toContain('invoice.pdf⟨50 × U+3000⟩.exe');
  });

  it('ordinary names are shown as they are', async () => {
    const { list, dialog } = await offer('Quarterly report 2026.pdf');
    expect(dialog).toContain('Name: Quarterly report 2026.pdf');
    expect(list).toContain('↓ Quarterly report 2026.pdf (4.0 KiB) from alice');
  });

  it('in a narrow terminal the list still shows the ending of a padded name', async () => {
    const { list } = await offer(`invoice.pdf${' '.repeat(200)}.sh`, 60);
    expect(list).toContain('.sh');
  });
});

describe('fileNameForDisplay', () => {
  it('marks whitespace at the ends and in runs, keeps single inner spaces', () => {
    expect(showWhitespace(' a b  c ')).toBe('⟨1 space⟩a b⟨2 spaces⟩c⟨1 space⟩');
    expect(showWhitespace('a \u3000b')).toBe('a⟨2 blanks⟩b');
    expect(showWhitespace('会議\u3000資料.pdf')).toBe('会議\u3000資料.pdf');
  });

  it('property: the last extension always ends the shown name, whatever pads it', () => {
    const padding = fc.array(fc.constantFrom(' ', '\u00a0', '\u2003', '\u3000', '\t', '\u2800'), {
      maxLength: 300,
    });
    const stem = fc.string({ unit: 'grapheme', maxLength: 200 });
    const extension = fc.stringMatching(/^\.[a-z0-9]{1,8}$/);
    const max = fc.integer({ min: 24, max: 120 });
    fc.assert(
      fc.property(stem, padding, extension, max, (s, pad, ext, room) => {
        const name = `${s.replace(/\./g, '_')}${pad.join('')}x${ext}`;
        const shown = fileNameForDisplay(sanitizeForTerminal(name), room);
        expect(shown.endsWith(ext)).toBe(true);
        expect(shown).not.toMatch(/\s{2}/u);
        expect([...shown].length).toBeLessThanOrEqual(room + 16);
      }),
      { numRuns: 1000 },
    );
  });
});
