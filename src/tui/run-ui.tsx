// Entry point the CLI calls: renders the App over a MessengerCore with Ink and resolves when
// the user quits (or the core says quit). Closing the core is the caller's job.
import { render } from 'ink';
import type { MessengerCore } from '../api/core-api.js';
import { App } from './components/App.js';
import { colourFromEnv } from './theme.js';

export interface RunUiOptions {
  readonly protectedProfile: boolean;
  readonly ownAddress: string | null;
  /** Ring the terminal bell on new messages and requests (toggle at run time with `n`). */
  readonly bell: boolean;
  /** Called when the user toggles the bell, to save the choice. */
  readonly onBellChange?: (bell: boolean) => void;
  /** Tor is already bootstrapped and the onion service published (no progress screen). */
  readonly published?: boolean;
  /** Overrides NO_COLOR detection (default: colour unless NO_COLOR is set). */
  readonly colour?: boolean;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
}

export async function runUi(core: MessengerCore, options: RunUiOptions): Promise<void> {
  let quit: () => void = () => undefined;
  const quitted = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const instance = render(
    <App
      core={core}
      protectedProfile={options.protectedProfile}
      ownAddress={options.ownAddress}
      bell={options.bell}
      published={options.published ?? false}
      colour={options.colour ?? colourFromEnv(process.env)}
      onQuit={() => quit()}
      {...(options.onBellChange === undefined ? {} : { onBellChange: options.onBellChange })}
    />,
    {
      exitOnCtrlC: false,
      patchConsole: false,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      ...(options.stdout === undefined ? {} : { stdout: options.stdout }),
    },
  );
  try {
    await Promise.race([quitted, instance.waitUntilExit()]);
  } finally {
    instance.unmount();
    instance.cleanup();
  }
}
