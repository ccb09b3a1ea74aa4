// Placeholder dispatch point for the terminal UI (`sotto` with no command) and `sotto demo`: the UI
// helper replaces this module with the real Ink front end over the messenger core.
import type { SottoArgs } from './args.js';

/** `sotto` (no command): the interactive UI. Not wired yet in this build. */
export function runInteractive(_args: SottoArgs): Promise<number> {
  process.stderr.write('sotto: the terminal UI is not wired yet; use `sotto headless --json`\n');
  return Promise.resolve(1);
}

/** `sotto demo`: the local two-user demo. Not wired yet in this build. */
export function runDemo(_args: SottoArgs): Promise<number> {
  process.stderr.write('sotto: the demo is not wired yet\n');
  return Promise.resolve(1);
}
