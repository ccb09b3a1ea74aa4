import { readdir, readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UI_PREFS, openUiPrefs } from '../../src/profile/ui-prefs.js';
import { tempDir } from './helpers.js';

describe('UI preferences', () => {
  it('live in the profile directory, 0600, and persist', async () => {
    const dir = await tempDir();
    const prefs = openUiPrefs(dir);
    expect(prefs.get()).toEqual(DEFAULT_UI_PREFS);
    expect(prefs.set({ bell: false, theme: 'monochrome' })).toEqual({
      bell: false,
      colour: true,
      theme: 'monochrome',
    });
    expect(await readdir(dir)).toEqual(['ui-prefs.json']);
    expect((await stat(prefs.path)).mode & 0o777).toBe(0o600);
    expect(openUiPrefs(dir).get().theme).toBe('monochrome');
    expect(Object.keys(JSON.parse(await readFile(prefs.path, 'utf8')) as object).sort()).toEqual([
      'bell',
      'colour',
      'theme',
    ]);
  });

  it('refuses values outside the schema', async () => {
    const prefs = openUiPrefs(await tempDir());
    expect(() => prefs.set({ theme: 'neon' as never })).toThrow();
    expect(prefs.get()).toEqual(DEFAULT_UI_PREFS);
  });
});
