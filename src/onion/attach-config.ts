// Configuration of attach mode (using a tor that is already running, e.g. the system tor, Tails or a
// Whonix gateway): control and SOCKS endpoints from options or the conventional TOR_CONTROL_* /
// TOR_SOCKS_* environment variables, and where tor should forward our onion's port. Hosts are IP
// literals or `localhost` only: a DNS name would be resolved outside Tor. Whether a control port
// without authentication may receive our key is decided here too (see ControlTrust).
import { isIP } from 'node:net';
import { TorAttachError } from './tor-errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Why a control port that offers only NULL authentication (anyone on this machine can speak to it,
 * or a squatter listens there) may still receive ADD_ONION with our identity key: the user said so
 * (`--tor-control-no-auth`), or it is the onion-grater filter of Tails or of a Whonix gateway.
 */
export type ControlTrust = 'user-opt-in' | 'tails' | 'whonix';

/** How an attached control port let us in: a secret it checked, or a trusted port without one. */
export type ControlAccess = 'authenticated' | ControlTrust;

export interface AttachOptions {
  readonly control?: HostPort | { readonly path: string };
  /** Absent: a control port with NULL authentication only is refused before any key is sent. */
  readonly unauthenticatedControl?: ControlTrust;
  readonly socks?: HostPort;
  readonly password?: string;
  readonly cookieFile?: string;
  /**
   * Where tor forwards our onion's virtual port (ADD_ONION `Port=9878,<target>`). On Whonix tor runs
   * on the gateway, so this is the workstation's address, not 127.0.0.1.
   */
  readonly onionTarget?: HostPort;
  /** Local listen address for inbound connections (default 127.0.0.1, port 0 = any free port). */
  readonly listen?: { readonly host?: string; readonly port?: number };
}

export interface ResolvedAttachConfig {
  readonly control: HostPort | { readonly path: string };
  readonly socks: HostPort;
  /** A getter, so that logging or serialising the config never prints the password. */
  readonly password: () => string | undefined;
  readonly cookieFile: string | undefined;
  readonly onionTarget: HostPort | undefined;
  readonly listen: { readonly host: string; readonly port: number };
  /** True when the SOCKS endpoint is a guess (no option, no TOR_SOCKS_* variable). */
  readonly socksGuessed: boolean;
  readonly unauthenticatedControl: ControlTrust | undefined;
}

export const DEFAULT_CONTROL: HostPort = { host: '127.0.0.1', port: 9051 };
export const DEFAULT_SOCKS: HostPort = { host: '127.0.0.1', port: 9050 };

export function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/u.test(text)) throw new TorAttachError(`${what} is not a port number`);
  const port = Number(text);
  if (port < 1 || port > 65_535) throw new TorAttachError(`${what} is out of range`);
  return port;
}

/**
 * True for an IPv4 or IPv6 literal (IPv6 optionally in brackets) or `localhost`. Any other name
 * would go to the system resolver, i.e. to the local network's DNS server, outside Tor.
 */
export function isIpLiteralOrLocalhost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = /^\[(.*)\]$/u.exec(host)?.[1];
  return bare !== undefined ? isIP(bare) === 6 : isIP(host) !== 0;
}

function checkHost(host: string, what: string): string {
  if (!isIpLiteralOrLocalhost(host)) {
    throw new TorAttachError(
      `${what} must be an IP address or localhost (a DNS name would be resolved outside Tor)`,
    );
  }
  return host.replace(/^\[|\]$/gu, '');
}

/** Parses `HOST:PORT` (IPv6 as `[::1]:PORT`), e.g. for `--onion-target`. */
export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/u.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new TorAttachError(`${what} must look like HOST:PORT`);
  }
  return { host: checkHost(match[1], what), port: parsePort(match[2], what) };
}

function fromEnv(
  env: Readonly<Record<string, string | undefined>>,
  hostVar: string,
  portVar: string,
  fallback: HostPort,
): HostPort | undefined {
  const host = env[hostVar];
  const port = env[portVar];
  if (host === undefined && port === undefined) return undefined;
  return {
    host: host !== undefined && host !== '' ? checkHost(host, hostVar) : fallback.host,
    port: port !== undefined && port !== '' ? parsePort(port, portVar) : fallback.port,
  };
}

/** Options win over the environment; the environment wins over the defaults. */
export function resolveAttachConfig(
  options: AttachOptions,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedAttachConfig {
  if (options.control !== undefined && !('path' in options.control)) {
    checkHost(options.control.host, 'tor control host');
  }
  if (options.socks !== undefined) checkHost(options.socks.host, 'tor SOCKS host');
  if (options.onionTarget !== undefined) checkHost(options.onionTarget.host, 'onion target host');
  const control =
    options.control ??
    fromEnv(env, 'TOR_CONTROL_HOST', 'TOR_CONTROL_PORT', DEFAULT_CONTROL) ??
    DEFAULT_CONTROL;
  const envSocks = fromEnv(env, 'TOR_SOCKS_HOST', 'TOR_SOCKS_PORT', DEFAULT_SOCKS);
  const socks = options.socks ?? envSocks ?? DEFAULT_SOCKS;
  const password = options.password ?? nonEmpty(env['TOR_CONTROL_PASSWD']);
  const cookieFile = options.cookieFile ?? nonEmpty(env['TOR_CONTROL_COOKIE_AUTH_FILE']);
  const listenPort = options.listen?.port ?? 0;
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65_535) {
    throw new TorAttachError('listen port is out of range');
  }
  return {
    control,
    socks,
    password: () => password,
    cookieFile,
    onionTarget: options.onionTarget,
    listen: {
      host: checkHost(options.listen?.host ?? '127.0.0.1', 'listen host'),
      port: listenPort,
    },
    socksGuessed: options.socks === undefined && envSocks === undefined,
    unauthenticatedControl: options.unauthenticatedControl,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
