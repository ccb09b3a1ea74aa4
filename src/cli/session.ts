// Opening what a `sotto` command needs: the profile directory (locked), the vault (passphrase from
// a file, a descriptor, the terminal, or none; a new profile is created on first use) and the
// TorProvider options (launch by default, attach with --tor-control or on Tails / Whonix, see
// tor-platform.ts; --torrc-extra, --testnet). A control port without authentication gets our key
// only when trusted: --tor-control-no-auth, or the filter of the detected Tails / Whonix.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SottoOptions } from './args.js';
import { networkTorConfig, readBridgesFile } from './bridges-file.js';
import { readBounded } from '../fs/read-bounded.js';
import type { MessengerCore } from '../api/core-api.js';
import type { MessengerOptions } from '../core/messenger.js';
import { IdentityKey } from '../identity/identity-key.js';
import { validateExtraTorrcLine } from '../onion/torrc.js';
import type { ControlTrust, HostPort } from '../onion/attach-config.js';
import type { NetworkSettings } from '../onion/network-settings.js';
import { detectTorPlatform, type TorPlatform } from '../onion/tor-platform.js';
import type { TorProviderOptions } from '../onion/real-tor-provider.js';
import {
  defaultProfileDir,
  openProfileDir,
  profileHasVault,
  type OpenProfileDir,
} from '../profile/profile-dir.js';
import {
  PassphraseInputError,
  promptPassphrase,
  readPassphraseFd,
  readPassphraseFile,
} from '../profile/passphrase.js';
import { createVault, damagedCopies, openVault, type Vault } from '../profile/vault.js';
import { shellQuote } from '../profile/errors.js';
import { QueueJournal } from '../profile/queue-journal.js';
import {
  emptyVaultState,
  wipeIdentity,
  type IdentityRecord,
  type VaultState,
} from '../profile/vault-state.js';
import { CliError } from './errors.js';

export interface ProfileSession {
  readonly profile: OpenProfileDir;
  readonly vault: Vault;
  /** The durable send-queue journal beside the vault (src/profile/queue-journal.ts). */
  readonly queueJournal: QueueJournal;
  readonly created: boolean;
  close(): Promise<void>;
}

/** How a new profile's first state is made (default: a freshly generated identity). */
export type InitialState = () => VaultState;

export function newIdentityState(): VaultState {
  const key = IdentityKey.generate();
  const seed = key.seed;
  const identity: IdentityRecord = {
    expandedKey: key.expandedKey(),
    ...(seed === undefined ? {} : { seed }),
  };
  key.wipe();
  return emptyVaultState(identity);
}

async function readPassphrase(options: SottoOptions, creating: boolean): Promise<string | null> {
  const source = options.passphrase;
  switch (source.kind) {
    case 'none':
      return null;
    case 'file':
      return readPassphraseFile(source.path);
    case 'fd':
      return readPassphraseFd(source.fd);
    case 'tty': {
      const first = await promptPassphrase(creating ? 'New passphrase: ' : 'Passphrase: ');
      if (!creating) return first;
      const again = await promptPassphrase('Repeat the passphrase: ');
      if (again !== first) throw new PassphraseInputError('the two passphrases differ');
      return first;
    }
  }
}

/**
 * The session of an open vault in a locked profile: opens the send-queue journal beside it (the
 * vault is closed if that fails). Closing it closes the journal, the vault and the profile.
 */
export async function sessionOf(
  profile: OpenProfileDir,
  vault: Vault,
  created: boolean,
): Promise<ProfileSession> {
  let queueJournal: QueueJournal;
  try {
    queueJournal = await QueueJournal.open(vault.path, vault.state.identity.expandedKey);
  } catch (error) {
    vault.close();
    throw error;
  }
  return {
    profile,
    vault,
    queueJournal,
    created,
    close: async () => {
      await queueJournal.close();
      vault.close();
      await profile.close();
    },
  };
}

/**
 * Locks and opens the profile. `mode: 'open-or-create'` creates a new profile (with `initial`)
 * when none exists; `'create'` refuses an existing one (import).
 */
export async function openProfileSession(
  options: SottoOptions,
  mode: 'open-or-create' | 'create' = 'open-or-create',
  initial: InitialState = newIdentityState,
): Promise<ProfileSession> {
  const profile = await openProfileDir(options.profileDir ?? defaultProfileDir());
  try {
    const exists = await profileHasVault(profile.paths);
    const creating = !exists;
    if (exists && mode === 'create') {
      const { VaultExistsError } = await import('../profile/errors.js');
      throw new VaultExistsError(profile.paths.vault);
    }
    const passphrase = await readPassphrase(options, creating);
    const vault = creating
      ? await createFromInitial(profile.paths.vault, passphrase, initial())
      : await openVault(profile.paths.vault, passphrase);
    await tellAboutDamagedCopies(profile.paths.vault);
    tellAboutHistory(vault);
    return await sessionOf(profile, vault, creating);
  } catch (error) {
    await profile.close();
    throw error;
  }
}

/**
 * `.damaged-*` copies (left by the `.prev` fallback) are never kept silently: at every unlock the
 * user hears how many there are and how to delete them. They may hold history deleted since; the
 * next deletion (remove contact, clear history, history off) removes them too.
 */
async function tellAboutDamagedCopies(vaultPath: string): Promise<void> {
  const copies = await damagedCopies(vaultPath);
  if (copies.length === 0) return;
  process.stderr.write(
    `sotto: warning: ${copies.length} damaged cop${copies.length === 1 ? 'y' : 'ies'} of the ` +
      `vault kept as evidence may hold deleted history; delete with: rm -- ` +
      `${copies.map(shellQuote).join(' ')}\n`,
  );
}

/**
 * A one-time conversion of the profile. Nothing is said here about damaged history logs: opening
 * reads none (docs/PROFILE.md "Loading on first use"); the core tells the user when a
 * conversation's log turns out unreadable (`history-log-unreadable`).
 */
function tellAboutHistory(vault: Vault): void {
  if (vault.migratedFrom !== undefined) {
    process.stderr.write(
      `sotto: profile converted from storage format ${vault.migratedFrom}: ` +
        `saved history is now kept in one encrypted log per conversation\n`,
    );
  }
}

/** createVault keeps its own copy of the identity bytes: the initial state's copy is zeroed. */
async function createFromInitial(
  path: string,
  passphrase: string | null,
  initial: VaultState,
): Promise<Vault> {
  try {
    return await createVault(path, passphrase, initial);
  } finally {
    wipeIdentity(initial.identity);
  }
}

/** Largest `--torrc-extra` file read (checked before reading: /dev/zero must not exhaust memory). */
export const MAX_TORRC_EXTRA_BYTES = 64 * 1024;

/** A torrc-extra file is larger than MAX_TORRC_EXTRA_BYTES (or is not a regular file). */
export class TorrcExtraFileError extends CliError {
  readonly code: string = 'torrc-extra-file';
  override name = 'TorrcExtraFileError';
}

async function readTorrcExtraFile(path: string): Promise<string> {
  if (!(await stat(path)).isFile()) throw new TorrcExtraFileError(`${path} is not a regular file`);
  const { bytes, truncated } = await readBounded(path, MAX_TORRC_EXTRA_BYTES);
  if (truncated) {
    throw new TorrcExtraFileError(`${path} is larger than ${MAX_TORRC_EXTRA_BYTES} bytes`);
  }
  return bytes.toString('utf8');
}

/** Extra torrc lines from a file: blank lines and comments skipped, every other line checked. */
async function torrcLinesFrom(path: string): Promise<string[]> {
  const text = await readTorrcExtraFile(path);
  return text
    .split(/\r?\n/u)
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => validateExtraTorrcLine(line));
}

/** The messenger options the command line decides: `--ricochet-compat` offers no extensions. */
export function messengerOptionsFrom(options: SottoOptions): Pick<MessengerOptions, 'features'> {
  return options.ricochetCompat === true ? { features: [] } : {};
}

/** `--nickname NAME` saves NAME as the nickname our requests carry (`set-nickname`). */
export async function applyOwnNickname(core: MessengerCore, options: SottoOptions): Promise<void> {
  if (options.ownNickname === undefined) return;
  await core.dispatch({ type: 'set-nickname', nickname: options.ownNickname });
}

/**
 * The tor options for an opened profile, with the vault's saved network settings (bridges, proxy,
 * firewall ports). The one path for the UI and headless alike, so the two cannot drift apart.
 */
export function profileTorProviderOptions(
  options: SottoOptions,
  session: ProfileSession,
): Promise<TorProviderOptions> {
  return torProviderOptions(
    options,
    session.profile.paths.torDataDir,
    session.vault.state.settings.network,
  );
}

/** Whonix: the workstation's own listener, which the gateway's filter forwards the onion to. */
export const WHONIX_ONION_LISTEN = { host: '0.0.0.0', port: 9878 } as const;

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host.startsWith('127.');

/**
 * Whether a `--tor-control` endpoint is the detected system's filter. Tails: 127.0.0.1:951, a
 * privileged port no ordinary user can squat. Whonix-Workstation: tor is on another machine (the
 * gateway), so any non-loopback address; a local squatter can only bind loopback or our own IP.
 */
export function platformTrust(
  platform: TorPlatform | undefined,
  control: HostPort,
): ControlTrust | undefined {
  if (platform?.kind === 'tails') {
    return isLoopback(control.host) && control.port === platform.control.port ? 'tails' : undefined;
  }
  if (platform?.kind === 'whonix') return isLoopback(control.host) ? undefined : 'whonix';
  return undefined;
}

/**
 * `storedNetwork` is the vault's `settings.network`; `--bridges FILE` replaces it for this run.
 * Attach mode ignores both: the system tor's own bridges and proxy are left alone. On a detected
 * Tails or Whonix-Workstation, with none of the launch flags, Sotto attaches to that system's tor.
 */
export async function torProviderOptions(
  options: SottoOptions,
  torDataDir: string,
  storedNetwork?: NetworkSettings,
  detect: () => Promise<TorPlatform | undefined> = () => detectTorPlatform(),
): Promise<TorProviderOptions> {
  const listen = options.onionListen;
  const launchFlags =
    options.torPath ?? options.torrcExtra ?? options.testnetDir ?? options.bridgesFile;
  const platform = launchFlags === undefined ? await detect() : undefined;
  if (options.torControl === undefined && platform !== undefined) {
    return {
      mode: 'attach',
      env: process.env,
      control: platform.control,
      socks: platform.socks,
      unauthenticatedControl: platform.kind,
      ...(options.onionTarget === undefined ? {} : { onionTarget: options.onionTarget }),
      ...(listen !== undefined
        ? { listen }
        : platform.kind === 'whonix'
          ? { listen: WHONIX_ONION_LISTEN }
          : {}),
    };
  }
  if (options.torControl !== undefined) {
    // Same rules as a passphrase file: regular, ours, 0600/0400, at most 4 KiB, read bounded.
    const password =
      options.torControlPasswordFile === undefined
        ? undefined
        : await readPassphraseFile(options.torControlPasswordFile);
    const trust =
      options.torControlNoAuth === true
        ? 'user-opt-in'
        : platformTrust(platform, options.torControl);
    return {
      mode: 'attach',
      env: process.env,
      control: options.torControl,
      ...(trust === undefined ? {} : { unauthenticatedControl: trust }),
      ...(password === undefined ? {} : { password }),
      ...(options.onionTarget === undefined ? {} : { onionTarget: options.onionTarget }),
      ...(listen === undefined ? {} : { listen }),
    };
  }
  const extra: string[] = [];
  if (options.torrcExtra !== undefined) extra.push(...(await torrcLinesFrom(options.torrcExtra)));
  if (options.testnetDir !== undefined) {
    extra.push(...(await torrcLinesFrom(join(options.testnetDir, 'client-torrc-extra'))));
  }
  // Validated bridge lines plus the ClientTransportPlugin lines their transports need; proxy
  // credentials go through SETCONF (secretConf), never into the torrc file.
  const settings =
    options.bridgesFile !== undefined ? await readBridgesFile(options.bridgesFile) : storedNetwork;
  const network = settings === undefined ? undefined : await networkTorConfig(settings);
  if (network !== undefined) extra.push(...network.torrcLines);
  return {
    mode: 'launch',
    dataDir: torDataDir,
    ...(options.torPath === undefined ? {} : { torPath: options.torPath }),
    ...(extra.length === 0 ? {} : { extraTorrcLines: extra }),
    ...(network === undefined || network.secretConf.length === 0
      ? {}
      : { secretConf: network.secretConf }),
    ...(listen === undefined ? {} : { listen }),
  };
}
