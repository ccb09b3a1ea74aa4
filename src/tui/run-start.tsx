// Start screens for the CLI, each rendered with Ink until answered: create a profile (protected
// or explicitly unprotected) and unlock one. Passphrase checking stays with the caller.
import { render } from 'ink';
import { useState, type ReactElement } from 'react';
import { passphraseStrength } from '../profile/passphrase-strength.js';
import { CreateProfile } from './components/CreateProfile.js';
import { Unlock } from './components/Unlock.js';
import { ThemeContext, colourFromEnv } from './theme.js';

export interface StartScreenOptions {
  readonly colour?: boolean;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
}

export type NewProfileChoice =
  | { readonly kind: 'protected'; readonly passphrase: string }
  | { readonly kind: 'unprotected' }
  | { readonly kind: 'quit' };

/** The strength hint shown while typing a new passphrase (src/profile/passphrase-strength.ts). */
export function defaultStrengthHint(passphrase: string): string {
  const strength = passphraseStrength(passphrase);
  return [strength.label, ...strength.warnings].join(' — ');
}

async function renderUntil<T>(
  element: (finish: (value: T) => void) => ReactElement,
  options: StartScreenOptions,
): Promise<T> {
  let finish: (value: T) => void = () => undefined;
  const answered = new Promise<T>((resolve) => {
    finish = resolve;
  });
  const instance = render(
    <ThemeContext.Provider value={{ colour: options.colour ?? colourFromEnv(process.env) }}>
      {element((value) => finish(value))}
    </ThemeContext.Provider>,
    {
      exitOnCtrlC: false,
      patchConsole: false,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      ...(options.stdout === undefined ? {} : { stdout: options.stdout }),
    },
  );
  try {
    return await answered;
  } finally {
    instance.unmount();
    instance.cleanup();
  }
}

/** Asks for a new profile's passphrase (twice) or an explicit choice of no passphrase. */
export function askNewProfile(
  options: StartScreenOptions & { readonly strengthHint?: (passphrase: string) => string } = {},
): Promise<NewProfileChoice> {
  return renderUntil<NewProfileChoice>(
    (finish) => (
      <CreateProfile
        strengthHint={options.strengthHint ?? defaultStrengthHint}
        onCreate={(passphrase) =>
          finish(passphrase === null ? { kind: 'unprotected' } : { kind: 'protected', passphrase })
        }
        onQuit={() => finish({ kind: 'quit' })}
      />
    ),
    options,
  );
}

interface UnlockLoopProps {
  readonly tryUnlock: (passphrase: string) => Promise<boolean>;
  readonly done: (result: 'unlocked' | 'quit') => void;
}

function UnlockLoop(props: Readonly<UnlockLoopProps>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const attempt = (passphrase: string) => {
    setBusy(true);
    setError(undefined);
    props.tryUnlock(passphrase).then(
      (ok) => {
        if (ok) props.done('unlocked');
        else {
          setBusy(false);
          setError('Wrong passphrase. Try again.');
        }
      },
      (failure: unknown) => {
        setBusy(false);
        setError(
          `Could not unlock: ${failure instanceof Error ? failure.message : String(failure)}`,
        );
      },
    );
  };
  return (
    <Unlock
      onUnlock={attempt}
      onQuit={() => props.done('quit')}
      busy={busy}
      {...(error === undefined ? {} : { error })}
    />
  );
}

/**
 * Asks for the passphrase until `tryUnlock` accepts it (it resolves false for a wrong one) or the
 * user quits.
 */
export function askUnlock(
  tryUnlock: (passphrase: string) => Promise<boolean>,
  options: StartScreenOptions = {},
): Promise<'unlocked' | 'quit'> {
  return renderUntil<'unlocked' | 'quit'>(
    (finish) => <UnlockLoop tryUnlock={tryUnlock} done={finish} />,
    options,
  );
}
