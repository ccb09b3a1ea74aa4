// The `sotto` command (bin/sotto.js): parses the arguments and runs a subcommand. Errors are one
// clear line on stderr, never a stack trace. Exit codes: 0 ok, 1 runtime error, 2 usage,
// 3 wrong passphrase / profile or vault error, 4 tor error, 5 headless output closed by the reader.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSottoArgs, USAGE, UsageError, type SottoArgs } from './args.js';
import { BridgesFileError, readBridgesFile } from './bridges-file.js';
import { formatDoctorCheck, runDoctorChecks } from './doctor.js';
import { runDemo, runInteractive } from './interactive.js';
import {
  applyOwnNickname,
  messengerOptionsFrom,
  openProfileSession,
  profileTorProviderOptions,
} from './session.js';
import { runHeadless } from '../core/headless.js';
import { Messenger } from '../core/messenger.js';
import { safeNickname } from '../core/vault-mapping.js';
import { IdentityKey } from '../identity/identity-key.js';
import { createTorProvider } from '../onion/real-tor-provider.js';
import { formatRicochetId } from '../identity/service-id.js';
import * as torErrors from '../onion/tor-errors.js';
import * as controlErrors from '../onion/control/errors.js';
import * as profileErrors from '../profile/errors.js';
import { importRicochetFile, RicochetImportError } from '../profile/import-ricochet.js';
import { PassphraseInputError } from '../profile/passphrase.js';
import { sanitizeForTerminal } from '../tui/sanitize.js';
import { emptyVaultState, VaultStateError, type VaultState } from '../profile/vault-state.js';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
export const EXIT_PROFILE = 3;
export const EXIT_TOR = 4;
/** Headless: the reader closed stdout (EPIPE); the session was still saved and closed cleanly. */
export const EXIT_OUTPUT_CLOSED = 5;

type ErrorClass = abstract new (...args: never[]) => Error;

function errorClasses(module: Readonly<Record<string, unknown>>): ErrorClass[] {
  return Object.values(module).filter(
    (v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof Error,
  );
}

const PROFILE_ERRORS: readonly ErrorClass[] = [
  ...errorClasses(profileErrors),
  PassphraseInputError,
  VaultStateError,
  RicochetImportError,
];
const TOR_ERRORS: readonly ErrorClass[] = [
  ...errorClasses(torErrors),
  ...errorClasses(controlErrors),
];

/** Longest error line printed (code points); file paths and tor messages fit easily. */
const MAX_ERROR_LINE = 1000;

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof BridgesFileError) return EXIT_USAGE;
  if (PROFILE_ERRORS.some((c) => error instanceof c)) return EXIT_PROFILE;
  if (TOR_ERRORS.some((c) => error instanceof c)) return EXIT_TOR;
  return EXIT_RUNTIME;
}

/**
 * The first line of an error's message, safe for the terminal: the TUI's sanitiser (single line)
 * drops escape sequences and C0/C1 controls and shows bidi/format characters as `⟨U+XXXX⟩`.
 */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return sanitizeForTerminal(text.split(/\r\n|[\n\r\u0085\u2028\u2029]/u)[0] ?? '', {
    maxLength: MAX_ERROR_LINE,
  });
}

/** Set by the single-file build (esbuild --define), where no package.json lies beside the code. */
declare const __SOTTO_VERSION__: string | undefined;

function version(): string {
  if (typeof __SOTTO_VERSION__ === 'string') return __SOTTO_VERSION__;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'sotto' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export async function main(argv: string[]): Promise<number> {
  let args: SottoArgs;
  try {
    args = parseSottoArgs(argv);
  } catch (error) {
    process.stderr.write(`sotto: ${oneLine(error)}\n`);
    return EXIT_USAGE;
  }
  try {
    await checkBridgesFile(args);
    switch (args.command.kind) {
      case 'help':
        process.stdout.write(USAGE);
        return EXIT_OK;
      case 'version':
        process.stdout.write(`sotto ${version()}\n`);
        return EXIT_OK;
      case 'id':
        return await printId(args);
      case 'import-ricochet':
        return await importRicochet(args, args.command.path);
      case 'headless':
        return await headless(args);
      case 'ui': // dispatch point: the terminal UI (src/cli/interactive.ts)
        return await runInteractive(args);
      case 'demo': // dispatch point: the two-user demo (src/cli/interactive.ts)
        return await runDemo(args);
      case 'doctor':
        return await doctor(args);
      case 'testnet':
        process.stderr.write('sotto: start the private network with `npm run testnet`\n');
        return EXIT_USAGE;
    }
  } catch (error) {
    process.stderr.write(`sotto: ${oneLine(error)}\n`);
    return exitCodeFor(error);
  }
}

/** `sotto doctor`: one ✓/✗ line per check; exit 1 when any check failed. */
async function doctor(args: SottoArgs): Promise<number> {
  const checks = await runDoctorChecks(args.options, {
    nodeVersion: process.version,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    systemRoot: '/',
  });
  for (const check of checks) {
    const line = sanitizeForTerminal(formatDoctorCheck(check), { maxLength: MAX_ERROR_LINE });
    process.stdout.write(`${line}\n`);
  }
  return checks.every((check) => check.ok) ? EXIT_OK : EXIT_RUNTIME;
}

async function printId(args: SottoArgs): Promise<number> {
  const session = await openProfileSession(args.options);
  try {
    const key = IdentityKey.fromExpandedKey(session.vault.state.identity.expandedKey);
    process.stdout.write(`${formatRicochetId(key.serviceId)}\n`);
    key.wipe();
    return EXIT_OK;
  } finally {
    await session.close();
  }
}

async function importRicochet(args: SottoArgs, path: string): Promise<number> {
  const imported = await importRicochetFile(path);
  const now = Date.now();
  // Nicknames are cleaned to the rules the contact book keeps, here and said, not on first load.
  const warnings = [...imported.warnings];
  const contacts = imported.contacts.map((c) => {
    const nickname = safeNickname(c.nickname, c.serviceId);
    if (nickname !== c.nickname)
      warnings.push(`users.${c.serviceId}: nickname cleaned to ${nickname}`);
    return { ...c, nickname };
  });
  const initial = (): VaultState => {
    const base = emptyVaultState({ expandedKey: imported.expandedKey.slice() });
    return {
      ...base,
      contacts: contacts
        .filter((c) => c.type === 'allowed')
        .map((c) => ({
          serviceId: c.serviceId,
          nickname: c.nickname,
          addedAt: now,
          historyEnabled: false,
          origin: 'imported-ricochet' as const,
        })),
      outgoingRequests: contacts
        .filter((c) => c.type === 'pending' || c.type === 'requesting' || c.type === 'rejected')
        .map((c) => ({
          serviceId: c.serviceId,
          nickname: c.nickname,
          message: '',
          createdAt: now,
          state: c.type === 'rejected' ? ('rejected' as const) : ('pending' as const),
        })),
      blocked: contacts
        .filter((c) => c.type === 'blocked')
        .map((c) => ({ serviceId: c.serviceId, nickname: c.nickname, blockedAt: now })),
    };
  };
  const session = await openProfileSession(args.options, 'create', initial);
  imported.expandedKey.fill(0);
  await session.close();
  for (const warning of warnings) process.stderr.write(`sotto: warning: ${warning}\n`);
  process.stdout.write(`${formatRicochetId(imported.serviceId)}\n`);
  return EXIT_OK;
}

/** A bad `--bridges` file is a usage error, told before any passphrase prompt or tor start. */
async function checkBridgesFile(args: SottoArgs): Promise<void> {
  const path = args.options.bridgesFile;
  if (path === undefined) return; // args.ts refuses --bridges with --tor-control
  if (args.command.kind !== 'ui' && args.command.kind !== 'headless') return;
  await readBridgesFile(path);
}

async function headless(args: SottoArgs): Promise<number> {
  const session = await openProfileSession(args.options);
  const tor = createTorProvider(await profileTorProviderOptions(args.options, session));
  const messenger = new Messenger({
    tor,
    vault: session.vault,
    queueJournal: session.queueJournal,
    downloadsDir: session.profile.paths.downloadsDir,
    ...messengerOptionsFrom(args.options),
  });
  await applyOwnNickname(messenger, args.options);
  const done = runHeadless(messenger, { input: process.stdin, output: process.stdout });
  const stop = (): void => void messenger.dispatch({ type: 'quit' });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  let code = EXIT_OK;
  try {
    await messenger.start();
  } catch (error) {
    process.stderr.write(`sotto: ${oneLine(error)}\n`);
    code = exitCodeFor(error);
    await messenger.close();
    process.stdin.destroy();
  }
  const end = await done;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  await session.close();
  if (end === 'output-closed') {
    process.stderr.write('sotto: the output was closed: session saved and closed\n');
    return EXIT_OUTPUT_CLOSED;
  }
  return code;
}
