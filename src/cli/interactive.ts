// `sotto` with no command: opens the profile (Ink start screens to create or unlock it, or the
// --passphrase-file / --passphrase-fd / --no-passphrase source without prompting), then runs the
// terminal UI over the messenger core until the user quits. `sotto demo` lives in demo.ts.
import type { SottoArgs, SottoOptions } from './args.js';
import { newIdentityState, openProfileSession, sessionOf, type ProfileSession } from './session.js';
import {
  asError,
  onTerminalGone,
  requireTerminal,
  runMessengerUi,
  terminationSignal,
} from './ui-runner.js';
import { WrongPassphraseError } from '../profile/errors.js';
import { defaultProfileDir, openProfileDir, profileHasVault } from '../profile/profile-dir.js';
import { createVault, openVault, type Vault } from '../profile/vault.js';
import { askNewProfile, askUnlock } from '../tui/run-start.js';

export { runDemo } from './demo.js';

/** Opens an existing vault: without asking if it is unprotected, else with the unlock screen. */
async function unlockVault(path: string): Promise<Vault | 'quit'> {
  try {
    return await openVault(path, null);
  } catch (error) {
    if (!(error instanceof WrongPassphraseError)) throw error;
  }
  let vault: Vault | undefined;
  let failure: Error | undefined;
  const answer = await askUnlock(async (passphrase) => {
    try {
      vault = await openVault(path, passphrase);
      failure = undefined;
      return true;
    } catch (error) {
      if (error instanceof WrongPassphraseError) return false;
      failure = asError(error);
      throw error; // shown on the unlock screen; the command exits with it if the user quits
    }
  });
  if (answer === 'unlocked' && vault !== undefined) return vault;
  vault?.close();
  if (failure !== undefined) throw failure;
  return 'quit';
}

/** Opens (or creates) the profile with the Ink start screens. `'quit'` if the user left. */
async function openWithStartScreens(options: SottoOptions): Promise<ProfileSession | 'quit'> {
  const profile = await openProfileDir(options.profileDir ?? defaultProfileDir());
  try {
    const exists = await profileHasVault(profile.paths);
    let vault: Vault | 'quit';
    if (exists) {
      vault = await unlockVault(profile.paths.vault);
    } else {
      const choice = await askNewProfile();
      vault =
        choice.kind === 'quit'
          ? 'quit'
          : await createVault(
              profile.paths.vault,
              choice.kind === 'protected' ? choice.passphrase : null,
              newIdentityState(),
            );
    }
    if (vault === 'quit') {
      await profile.close();
      return 'quit';
    }
    return await sessionOf(profile, vault, !exists);
  } catch (error) {
    await profile.close();
    throw error;
  }
}

/** `sotto` (no command): the interactive UI. Resolves with the exit code (0 after a quit). */
export async function runInteractive(args: SottoArgs): Promise<number> {
  requireTerminal();
  onTerminalGone(() => undefined); // the UI run below turns a hang-up into a clean quit
  const session =
    args.options.passphrase.kind === 'tty'
      ? await openWithStartScreens(args.options)
      : await openProfileSession(args.options);
  if (session === 'quit') return 0;
  const termination = terminationSignal();
  try {
    await runMessengerUi(session, args.options, { signal: termination.signal });
  } finally {
    termination.dispose();
    await session.close();
  }
  return 0;
}
