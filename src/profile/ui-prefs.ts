// Harmless UI preferences (bell, colour, theme) kept in the profile directory with `conf`, as a
// plain JSON file (ui-prefs.json, 0600). NOTHING secret or identifying goes here — no contacts,
// nicknames, addresses or history: those live only in the encrypted vault.
import Conf from 'conf';

export type ThemeName = 'default' | 'high-contrast' | 'monochrome';

export interface UiPrefs {
  readonly bell: boolean;
  readonly colour: boolean;
  readonly theme: ThemeName;
}

export const DEFAULT_UI_PREFS: UiPrefs = { bell: true, colour: true, theme: 'default' };

export const THEMES: readonly ThemeName[] = ['default', 'high-contrast', 'monochrome'];

export interface UiPrefsStore {
  get(): UiPrefs;
  set(patch: Partial<UiPrefs>): UiPrefs;
  /** Path of the JSON file (inside the profile directory). */
  readonly path: string;
}

/**
 * Open the per-profile preference store in `profileDir` (already created 0700 by profile-dir).
 * An invalid file is reset to defaults rather than crashing the UI.
 */
export function openUiPrefs(profileDir: string): UiPrefsStore {
  const conf = new Conf<UiPrefs>({
    cwd: profileDir,
    configName: 'ui-prefs',
    configFileMode: 0o600,
    clearInvalidConfig: true,
    watch: false,
    defaults: DEFAULT_UI_PREFS,
    schema: {
      bell: { type: 'boolean' },
      colour: { type: 'boolean' },
      theme: { type: 'string', enum: [...THEMES] },
    },
    rootSchema: { additionalProperties: false },
  });
  const read = (): UiPrefs => ({
    bell: conf.get('bell'),
    colour: conf.get('colour'),
    theme: conf.get('theme'),
  });
  return {
    path: conf.path,
    get: read,
    set: (patch) => {
      const next = { ...read(), ...patch };
      conf.set(next);
      return read();
    },
  };
}
