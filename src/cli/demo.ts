// `sotto demo`: a newcomer's end-to-end run on a machine with no Tor network. Starts a private Tor
// network on loopback (tor/testnet.ts), an in-process echo bot (src/demo/echo-bot.ts) with its
// own tor, and the UI on a throwaway profile that already has the bot as a contact. Everything it
// started (tors, bot, temp directory with both unprotected profiles) is removed when it ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, type SottoArgs, type SottoOptions } from './args.js';
import { newIdentityState, openProfileSession, torProviderOptions } from './session.js';
import {
  firstLine,
  onTerminalGone,
  requireTerminal,
  runMessengerUi,
  terminationSignal,
} from './ui-runner.js';
import { Messenger } from '../core/messenger.js';
import { EchoBot } from '../demo/echo-bot.js';
import { IdentityKey } from '../identity/identity-key.js';
import { createTorProvider } from '../onion/real-tor-provider.js';
import type { ContactRecord, VaultState } from '../profile/vault-state.js';
import { startTestNetwork, type TestNetwork } from '../../tor/testnet.js';
import { CliError } from './errors.js';

export const BOT_NICKNAME = 'echo-bot';
const USER_NICKNAME_AT_BOT = 'demo user';

function say(line: string): void {
  if (!process.stderr.writable) return;
  process.stderr.write(`sotto demo: ${line}\n`, () => undefined); // a closed terminal is no crash
}

function serviceIdOf(state: VaultState): string {
  const key = IdentityKey.fromExpandedKey(state.identity.expandedKey);
  const id = key.serviceId;
  key.wipe();
  return id;
}

function withContact(
  state: VaultState,
  serviceId: string,
  nickname: string,
  origin: NonNullable<ContactRecord['origin']>,
): VaultState {
  const contact: ContactRecord = {
    serviceId,
    nickname,
    addedAt: Date.now(),
    historyEnabled: false,
    origin,
  };
  return { ...state, contacts: [...state.contacts, contact] };
}

/** Two fresh identities that already accepted each other. */
export function pairedDemoStates(): { readonly user: VaultState; readonly bot: VaultState } {
  const user = newIdentityState();
  const bot = newIdentityState();
  return {
    user: withContact(user, serviceIdOf(bot), BOT_NICKNAME, 'request-sent'),
    bot: {
      ...withContact(bot, serviceIdOf(user), USER_NICKNAME_AT_BOT, 'request-accepted'),
      settings: { ...bot.settings, ownNickname: BOT_NICKNAME },
    },
  };
}

class DemoInterruptedError extends CliError {
  readonly code: string = 'demo-interrupted';
  override name = 'DemoInterruptedError';
}

const DEMO_IGNORES: readonly (keyof SottoOptions)[] = [
  'profileDir',
  'torControl',
  'torControlPasswordFile',
  'torrcExtra',
  'testnetDir',
  'bridgesFile',
  'onionListen',
  'onionTarget',
  'ownNickname',
];

/** The demo makes its own profiles and network: refuse flags it would silently ignore. */
function checkDemoOptions(options: SottoOptions): void {
  const given = DEMO_IGNORES.filter((key) => options[key] !== undefined);
  if (given.length > 0 || options.passphrase.kind !== 'tty') {
    throw new UsageError(
      'demo uses throwaway profiles on its own private network; of the options only --tor PATH applies',
    );
  }
}

/** `sotto demo`. Resolves with the exit code. */
export async function runDemo(args: SottoArgs): Promise<number> {
  checkDemoOptions(args.options);
  requireTerminal();
  // After a SIGHUP the terminal is gone: failed writes must not crash the clean-up.
  onTerminalGone(() => undefined);
  const termination = terminationSignal();
  const { signal } = termination;
  const cleanups: (() => Promise<void>)[] = [];
  const root = await mkdtemp(join(tmpdir(), 'sotto-demo-')); // 0700
  cleanups.push(() => rm(root, { recursive: true, force: true, maxRetries: 5 }));
  try {
    const started = Date.now();
    say('starting a private Tor network on 127.0.0.1 (nothing leaves this machine)…');
    const network: TestNetwork = await startTestNetwork({
      dir: join(root, 'network'),
      signal,
      timeoutMs: 180_000,
      ...(args.options.torPath === undefined ? {} : { torPath: args.options.torPath }),
    });
    cleanups.push(() => network.stop());
    say(
      `network ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${network.nodes.length} tor nodes)`,
    );
    const torrcFile = join(root, 'client-torrc-extra');
    await network.writeClientTorrc(torrcFile);
    const common: SottoOptions = {
      passphrase: { kind: 'none' },
      torrcExtra: torrcFile,
      ...(args.options.torPath === undefined ? {} : { torPath: args.options.torPath }),
    };
    const states = pairedDemoStates();

    say('starting the echo bot (its own tor, an onion service on the private network)…');
    const botOptions: SottoOptions = { ...common, profileDir: join(root, 'bot') };
    const botSession = await openProfileSession(botOptions, 'create', () => states.bot);
    cleanups.push(() => botSession.close());
    const botPaths = botSession.profile.paths;
    const bot = new Messenger({
      tor: createTorProvider(await torProviderOptions(botOptions, botPaths.torDataDir)),
      vault: botSession.vault,
      downloadsDir: botPaths.downloadsDir,
    });
    cleanups.push(() => bot.close());
    const echo = new EchoBot(bot);
    cleanups.push(() => Promise.resolve(echo.stop()));
    let botError: unknown;
    bot.start(signal).catch((error: unknown) => {
      botError = error;
    });

    if (signal.aborted) throw new DemoInterruptedError('interrupted');
    say('opening the UI with a throwaway, unprotected profile; echo-bot is your contact');
    const userOptions: SottoOptions = { ...common, profileDir: join(root, 'you') };
    const userSession = await openProfileSession(userOptions, 'create', () => states.user);
    cleanups.push(() => userSession.close());
    await runMessengerUi(userSession, userOptions, { signal, protectedProfile: false });
    if (botError !== undefined && !signal.aborted) {
      say(`the echo bot could not start: ${firstLine(botError)}`);
    }
    return 0;
  } catch (error) {
    if (signal.aborted)
      throw new DemoInterruptedError('interrupted; stopped everything it started');
    throw error;
  } finally {
    termination.dispose();
    say('stopping the bot, the tors and the private network; removing the throwaway profiles…');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
