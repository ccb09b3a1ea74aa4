// The `sotto` command line (node:util parseArgs, strict): subcommands and global flags, parsed into
// a typed plan. Anything unknown or contradictory is a UsageError with one clear line. Secrets are
// never accepted on argv: passphrases and control passwords come from files or descriptors. Hosts
// are IP literals or `localhost`: a DNS name would be resolved outside Tor.
import { parseArgs } from 'node:util';
import { InvalidNicknameError, validateNickname } from '../contacts/text-rules.js';
import { isIpLiteralOrLocalhost } from '../onion/attach-config.js';
import { CliError } from './errors.js';

export class UsageError extends CliError {
  readonly code: string = 'usage';
  override name = 'UsageError';
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type PassphraseSource =
  | { readonly kind: 'tty' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'fd'; readonly fd: number }
  | { readonly kind: 'none' };

export type SottoCommand =
  | { readonly kind: 'ui' }
  | { readonly kind: 'headless'; readonly json: true }
  | { readonly kind: 'id' }
  | { readonly kind: 'import-ricochet'; readonly path: string }
  | { readonly kind: 'demo' }
  | { readonly kind: 'testnet' }
  | { readonly kind: 'doctor' }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

export interface SottoOptions {
  readonly profileDir?: string;
  readonly torPath?: string;
  readonly torControl?: HostPort;
  readonly torControlPasswordFile?: string;
  /** The user trusts a --tor-control port that asks for no authentication (gets the key). */
  readonly torControlNoAuth?: true;
  readonly torrcExtra?: string;
  readonly testnetDir?: string;
  readonly passphrase: PassphraseSource;
  readonly bridgesFile?: string;
  readonly onionListen?: HostPort;
  readonly onionTarget?: HostPort;
  /** Offer no Sotto extensions: behave exactly like Ricochet Refresh 3.0.41 on the wire. */
  readonly ricochetCompat?: true;
  /** `--nickname`: the nickname our contact requests carry, saved in the vault ('' clears it). */
  readonly ownNickname?: string;
}

export interface SottoArgs {
  readonly command: SottoCommand;
  readonly options: SottoOptions;
}

const OPTIONS = {
  profile: { type: 'string' },
  tor: { type: 'string' },
  'tor-control': { type: 'string' },
  'tor-control-password-file': { type: 'string' },
  'tor-control-no-auth': { type: 'boolean' },
  'torrc-extra': { type: 'string' },
  testnet: { type: 'string' },
  'passphrase-file': { type: 'string' },
  'passphrase-fd': { type: 'string' },
  'no-passphrase': { type: 'boolean' },
  bridges: { type: 'string' },
  'onion-listen': { type: 'string' },
  'onion-target': { type: 'string' },
  'ricochet-compat': { type: 'boolean' },
  nickname: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

const SECRET_FLAGS: Readonly<Record<string, string>> = {
  passphrase: 'use --passphrase-file PATH or --passphrase-fd N',
  password: 'use --passphrase-file PATH or --passphrase-fd N',
  'tor-control-password': 'use --tor-control-password-file PATH',
};

export const USAGE = `Usage: sotto [command] [options]

Commands:
  (none)                  start the terminal UI
  headless --json         JSON lines on stdin/stdout (see docs/HEADLESS.md)
  id                      print this profile's Ricochet ID
  import-ricochet PATH    create a profile from a Ricochet Refresh ricochet.json
  demo                    run the local two-user demo
  testnet                 start a private Tor test network
  doctor                  check tor, Node, terminal and profile folder (✓/✗ per item)

Options:
  --profile DIR                  profile directory (default $XDG_DATA_HOME/sotto)
  --tor PATH                     tor binary to launch
  --tor-control HOST:PORT        use a running tor's control port instead of launching one
  --tor-control-password-file F  file holding that control port's password
  --tor-control-no-auth          trust a --tor-control port that needs no password or cookie
                                 (it receives your identity key; Tails/Whonix need no flag)
  --torrc-extra FILE             extra torrc lines for the launched tor
  --testnet DIR                  join the private network started by 'sotto testnet'
  --passphrase-file PATH         read the passphrase from PATH (mode 0600, owned by you)
  --passphrase-fd N              read the passphrase from file descriptor N
  --no-passphrase                unprotected profile (anyone who reads the file reads it)
  --bridges FILE                 bridge lines, one per line
  --onion-listen HOST:PORT       where to listen for forwarded onion connections (Whonix)
  --onion-target HOST:PORT       target tor forwards the onion service to (Whonix)
  --ricochet-compat              no Sotto extensions: plain Ricochet Refresh 3.0.41 behaviour
                                 (stop-and-wait file transfer)
  --nickname NAME                the nickname your contact requests carry, saved in the
                                 profile ('' = none, the default); others on this machine
                                 can read argv: prefer the UI or headless set-nickname
  -h, --help                     this help
  -V, --version                  print the version
`;

/** HOST:PORT with HOST an IPv4 address, a [bracketed] IPv6 address or `localhost`. */
export function parseHostPort(flag: string, value: string): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || host === '' || !(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `--${flag} expects HOST:PORT (port 1-65535), got ${JSON.stringify(value)}`,
    );
  }
  if (!isIpLiteralOrLocalhost(host)) {
    throw new UsageError(
      `--${flag} needs an IP address or localhost, not a name (it would be resolved outside Tor)`,
    );
  }
  return { host, port };
}

function parseFd(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) {
    throw new UsageError(
      `--passphrase-fd expects a file descriptor number, got ${JSON.stringify(value)}`,
    );
  }
  const fd = Number(value);
  if (fd <= 2)
    throw new UsageError('--passphrase-fd must not be 0, 1 or 2 (use a separate descriptor)');
  return fd;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === '') throw new UsageError(`--${flag} needs a non-empty value`);
  return value;
}

/** `--nickname`: '' (none) or a nickname Ricochet accepts (docs/PROTOCOL.md "Strictness"). */
function parseOwnNickname(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return value;
  try {
    return validateNickname(value);
  } catch (error) {
    if (!(error instanceof InvalidNicknameError)) throw error;
    throw new UsageError(`--nickname: ${error.message}`, { cause: error });
  }
}

function describeParseError(error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const message = (error as Error).message;
    const flag = /'(-[^']*)'/.exec(message)?.[1] ?? '';
    const name = flag.replace(/^--?/, '').split('=')[0] ?? '';
    const hint = SECRET_FLAGS[name];
    if (hint !== undefined) {
      return new UsageError(
        `${flag} is not accepted: secrets never go on the command line; ${hint}`,
        {
          cause: error,
        },
      );
    }
    return new UsageError(`unknown option ${flag} (see sotto --help)`, {
      cause: error,
    });
  }
  const message = (error as Error).message.split('\n')[0] ?? 'invalid arguments';
  return new UsageError(message, { cause: error });
}

/** Parse `process.argv.slice(2)`. Throws only UsageError. */
export function parseSottoArgs(argv: readonly string[]): SottoArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw describeParseError(error);
  }
  const { values, positionals, tokens } = parsed;
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} given more than once`);
    seen.add(token.name);
  }
  const options = buildOptions(values);
  if (values.help === true) return { command: { kind: 'help' }, options };
  if (values.version === true) return { command: { kind: 'version' }, options };
  const command = buildCommand(positionals, values.json === true);
  return { command, options };
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function buildCommand(positionals: readonly string[], json: boolean): SottoCommand {
  const [name, ...rest] = positionals;
  const noExtra = (): void => {
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  };
  if (json && name !== 'headless')
    throw new UsageError('--json is only valid with: sotto headless --json');
  switch (name) {
    case undefined:
      return { kind: 'ui' };
    case 'headless':
      noExtra();
      if (!json) throw new UsageError('headless needs --json (the only headless format)');
      return { kind: 'headless', json: true };
    case 'id':
    case 'demo':
    case 'doctor':
    case 'testnet':
      noExtra();
      return { kind: name };
    case 'import-ricochet': {
      const [path, ...more] = rest;
      if (path === undefined || path === '')
        throw new UsageError('import-ricochet needs the path of ricochet.json');
      if (more.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(more[0])}`);
      return { kind: 'import-ricochet', path };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)} (see sotto --help)`);
  }
}

function buildOptions(values: Values): SottoOptions {
  const passphraseFlags = [
    values['passphrase-file'] !== undefined,
    values['passphrase-fd'] !== undefined,
    values['no-passphrase'] === true,
  ].filter(Boolean).length;
  if (passphraseFlags > 1) {
    throw new UsageError('choose one of --passphrase-file, --passphrase-fd, --no-passphrase');
  }
  if (values['tor-control'] !== undefined && values.tor !== undefined) {
    throw new UsageError('--tor launches tor, --tor-control attaches to one: choose one');
  }
  if (values.testnet !== undefined && values['tor-control'] !== undefined) {
    throw new UsageError('--testnet launches our own tor on the test network; drop --tor-control');
  }
  if (values.bridges !== undefined && values['tor-control'] !== undefined) {
    // Attach mode never changes the system tor's configuration: the bridges would be ignored.
    throw new UsageError(
      "--bridges applies to the tor Sotto launches; configure your system tor's bridges instead of using --tor-control",
    );
  }
  if (values['tor-control-password-file'] !== undefined && values['tor-control'] === undefined) {
    throw new UsageError('--tor-control-password-file needs --tor-control HOST:PORT');
  }
  if (values['tor-control-no-auth'] === true && values['tor-control'] === undefined) {
    throw new UsageError('--tor-control-no-auth needs --tor-control HOST:PORT');
  }
  const passphrase: PassphraseSource =
    values['passphrase-file'] !== undefined
      ? { kind: 'file', path: nonEmpty('passphrase-file', values['passphrase-file'])! }
      : values['passphrase-fd'] !== undefined
        ? { kind: 'fd', fd: parseFd(values['passphrase-fd']) }
        : values['no-passphrase'] === true
          ? { kind: 'none' }
          : { kind: 'tty' };
  const hostPort = (
    flag: 'tor-control' | 'onion-listen' | 'onion-target',
  ): HostPort | undefined => {
    const v = values[flag];
    return v === undefined ? undefined : parseHostPort(flag, v);
  };
  const entries: [keyof SottoOptions, unknown][] = [
    ['profileDir', nonEmpty('profile', values.profile)],
    ['torPath', nonEmpty('tor', values.tor)],
    ['torControl', hostPort('tor-control')],
    [
      'torControlPasswordFile',
      nonEmpty('tor-control-password-file', values['tor-control-password-file']),
    ],
    ['torControlNoAuth', values['tor-control-no-auth'] === true ? true : undefined],
    ['torrcExtra', nonEmpty('torrc-extra', values['torrc-extra'])],
    ['testnetDir', nonEmpty('testnet', values.testnet)],
    ['bridgesFile', nonEmpty('bridges', values.bridges)],
    ['onionListen', hostPort('onion-listen')],
    ['onionTarget', hostPort('onion-target')],
    ['ricochetCompat', values['ricochet-compat'] === true ? true : undefined],
    ['ownNickname', parseOwnNickname(values.nickname)],
  ];
  const options: Record<string, unknown> = { passphrase };
  for (const [key, value] of entries) if (value !== undefined) options[key] = value;
  return options as unknown as SottoOptions;
}
