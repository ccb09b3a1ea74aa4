// Runs the Ink UI (src/tui/run-ui.tsx) over a real Messenger for an opened profile: the UI
// subscribes first, then tor bootstraps (so the progress screen shows every step); a failed start
// becomes a `tor-problem` screen and, after the user quits, the error the command exits with.
import { UsageError, type SottoOptions } from './args.js';
import type { ProfileSession } from './session.js';
import { applyOwnNickname, messengerOptionsFrom, profileTorProviderOptions } from './session.js';
import type { CoreEvent, MessengerCore } from '../api/core-api.js';
import { Messenger } from '../core/messenger.js';
import { createTorProvider } from '../onion/real-tor-provider.js';
import * as torErrors from '../onion/tor-errors.js';
import { DEFAULT_UI_PREFS, openUiPrefs, type UiPrefs } from '../profile/ui-prefs.js';
import { runUi } from '../tui/run-ui.js';
import { colourFromEnv } from '../tui/theme.js';

export interface MessengerUiOptions {
  /** Quit the UI (and close the core) when this aborts: SIGTERM, SIGHUP, SIGINT. */
  readonly signal?: AbortSignal;
  /** Show the profile as unprotected whatever the vault says (the demo's throwaway profile). */
  readonly protectedProfile?: boolean;
  /** Terminal streams (default: the process's own). */
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
}

interface Prefs {
  readonly prefs: UiPrefs;
  readonly save: (patch: Partial<UiPrefs>) => void;
}

function openPrefs(profileDir: string): Prefs {
  try {
    const store = openUiPrefs(profileDir);
    return {
      prefs: store.get(),
      save: (patch) => {
        try {
          store.set(patch);
        } catch {
          // harmless preference: not saving it never disturbs the messenger
        }
      },
    };
  } catch {
    return { prefs: DEFAULT_UI_PREFS, save: () => undefined }; // a broken file never stops us
  }
}

/** The first line of an error's message (the CLI prints errors as one line). */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return text.split('\n')[0] || 'unknown error';
}

/** `error` itself if it is an Error, else an Error carrying it as the cause. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(firstLine(error), { cause: error });
}

/** What to tell the user for a start-up failure the UI shows on its Tor problem screen. */
export function startFailureAdvice(error: unknown): string {
  if (error instanceof torErrors.TorNotFoundError) {
    return 'Install tor (Debian/Ubuntu: sudo apt install tor) or pass --tor PATH, or use a running tor with --tor-control HOST:PORT.';
  }
  if (error instanceof torErrors.TorAttachError) {
    return 'Check --tor-control HOST:PORT and the control password/cookie, or let Sotto launch its own tor (drop --tor-control).';
  }
  if (
    error instanceof torErrors.OnionPublishTimeoutError ||
    error instanceof torErrors.OnionPublishFailedError
  ) {
    return 'Tor could not publish your onion service. Check the network or bridges and start Sotto again.';
  }
  return 'Quit with q; the same error is printed on the terminal. Start Sotto again once it is fixed.';
}

/**
 * A MessengerCore front for the UI: forwards to the Messenger, starts it when the UI first
 * subscribes, and can add events of its own (a start-up failure).
 */
class StartingCore implements MessengerCore {
  readonly #messenger: Messenger;
  readonly #listeners = new Set<(event: CoreEvent) => void>();
  readonly #startOnce: () => void;

  constructor(messenger: Messenger, start: () => void) {
    this.#messenger = messenger;
    let started = false;
    this.#startOnce = () => {
      if (started) return;
      started = true;
      start();
    };
  }

  dispatch(command: Parameters<MessengerCore['dispatch']>[0]): Promise<void> {
    return this.#messenger.dispatch(command);
  }

  onEvent(listener: (event: CoreEvent) => void): () => void {
    const off = this.#messenger.onEvent(listener);
    this.#listeners.add(listener);
    this.#startOnce();
    return () => {
      off();
      this.#listeners.delete(listener);
    };
  }

  /** An event that does not come from the Messenger (delivered to UI listeners only). */
  report(event: CoreEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  close(): Promise<void> {
    return this.#messenger.close();
  }
}

/**
 * Starts tor + the messenger for `session` and runs the UI until the user quits. Resolves after
 * the messenger closed (vault saved, tor stopped). Throws the start-up error if tor never came up.
 */
export async function runMessengerUi(
  session: ProfileSession,
  options: SottoOptions,
  ui: MessengerUiOptions = {},
): Promise<void> {
  const paths = session.profile.paths;
  const { prefs, save } = openPrefs(paths.dir);
  const tor = createTorProvider(await profileTorProviderOptions(options, session));
  const messenger = new Messenger({
    tor,
    vault: session.vault,
    queueJournal: session.queueJournal,
    downloadsDir: paths.downloadsDir,
    ...messengerOptionsFrom(options),
  });
  await applyOwnNickname(messenger, options);
  const stopping = new AbortController();
  let startError: Error | undefined;
  const core = new StartingCore(messenger, () => {
    messenger.start(stopping.signal).catch((error: unknown) => {
      if (stopping.signal.aborted) return;
      startError = asError(error);
      core.report({
        type: 'tor-problem',
        summary: firstLine(error),
        recommendation: startFailureAdvice(error),
      });
    });
  });
  const quit = (): void => {
    stopping.abort();
    void messenger.dispatch({ type: 'quit' }); // closes the core; its `quit` event ends the UI
  };
  ui.signal?.addEventListener('abort', quit, { once: true });
  onTerminalGone(quit);
  try {
    if (ui.signal?.aborted !== true) {
      await runUi(core, {
        protectedProfile: ui.protectedProfile ?? session.vault.protected,
        ownAddress: messenger.address,
        bell: prefs.bell,
        onBellChange: (bell) => save({ bell }),
        published: false,
        colour: prefs.colour && colourFromEnv(process.env),
        ...(ui.stdin === undefined ? {} : { stdin: ui.stdin }),
        ...(ui.stdout === undefined ? {} : { stdout: ui.stdout }),
      });
    }
  } finally {
    const out = ui.stdout ?? process.stdout;
    if (out.isTTY) out.write('\n'); // Ink leaves the cursor on its last line
    ui.signal?.removeEventListener('abort', quit);
    stopping.abort();
    await messenger.close();
  }
  if (startError !== undefined) throw startError;
}

/** An AbortSignal that aborts on SIGINT, SIGTERM or SIGHUP until `dispose` is called. */
export function terminationSignal(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const names = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (name: NodeJS.Signals): void => controller.abort(new Error(`${name} received`));
  for (const name of names) process.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of names) process.off(name, onSignal);
    },
  };
}

/** The UI needs a real terminal on stdin and stdout (raw keys, cursor control). */
export function requireTerminal(): void {
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    throw new UsageError(
      'the terminal UI needs an interactive terminal; for scripts use `sotto headless --json`',
    );
  }
}

/**
 * A hung-up terminal makes writes to stdout fail (EIO/EPIPE) and reads end: call `gone` instead of
 * crashing on the unhandled stream error, so the core still closes cleanly (vault saved).
 */
export function onTerminalGone(gone: () => void): void {
  for (const stream of [process.stdout, process.stdin, process.stderr]) {
    stream.on('error', () => gone());
  }
}
