// How the launched tor reaches the Tor network: direct, built-in bridges or the user's own bridges,
// optionally through a local proxy and a port-restricting firewall (tor(1) UseBridges, Bridge,
// ClientTransportPlugin, Socks4Proxy/Socks5Proxy/HTTPSProxy, ReachableAddresses). Sans-IO.
import { isIPv4, isIPv6 } from 'node:net';
import {
  BRIDGE_LIMITS,
  BRIDGE_TRANSPORTS,
  parseBridgeEntries,
  parseBridgeList,
  type BridgeLine,
  type BridgeTransport,
} from './bridges.js';
import { BUILTIN_BRIDGES } from './builtin-bridges.js';
import { OnionError } from './onion-error.js';

export type NetworkMode = 'direct' | 'builtin' | 'custom';
export type ProxyType = 'socks4' | 'socks5' | 'https';

export interface ProxySettings {
  readonly type: ProxyType;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

export interface NetworkSettings {
  readonly mode: NetworkMode;
  /** Which built-in set (mode 'builtin'). */
  readonly transport?: BridgeTransport;
  /** The user's bridge lines (mode 'custom'). */
  readonly customBridges?: readonly string[];
  readonly proxy?: ProxySettings;
  /** Only these remote ports are open (e.g. [80, 443]); absent: all ports. */
  readonly reachablePorts?: readonly number[];
}

export const DIRECT_NETWORK: NetworkSettings = { mode: 'direct' };

/** A settings field is wrong; `field` names it (e.g. `proxy.port`, `customBridges[2]`). */
export class NetworkSettingsError extends OnionError {
  readonly code: string = 'network-settings';
  override name = 'NetworkSettingsError';
  constructor(
    readonly field: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`network settings ${field}: ${problem}`, options);
  }
}

/** No binary for a pluggable transport; the message names the Debian package to install. */
export class TransportNotFoundError extends OnionError {
  readonly code: string = 'transport-not-found';
  override name = 'TransportNotFoundError';
  constructor(
    readonly transport: BridgeTransport,
    readonly packages: readonly string[],
  ) {
    super(
      `no ${transport} transport program found on PATH; install the Debian package ` +
        `${packages.join(' or ')} (apt install ${packages[0] ?? ''})`,
    );
  }
}

/** Programs that speak each transport, preferred first, and the Debian packages that ship them. */
export const TRANSPORT_PROGRAMS: Readonly<
  Record<
    BridgeTransport,
    { readonly programs: readonly string[]; readonly packages: readonly string[] }
  >
> = {
  obfs4: { programs: ['lyrebird', 'obfs4proxy'], packages: ['obfs4proxy', 'lyrebird'] },
  meek_lite: { programs: ['lyrebird', 'obfs4proxy'], packages: ['obfs4proxy', 'lyrebird'] },
  webtunnel: { programs: ['lyrebird'], packages: ['lyrebird'] },
  snowflake: { programs: ['snowflake-client'], packages: ['snowflake-client'] },
};

export const NETWORK_LIMITS = { reachablePorts: 64, credential: 255, host: 253 } as const;

// Printable ASCII without space, `"`, `#`, `\` (tor would read them as quote, comment, escape).
const CREDENTIAL = /^[!$-[\]-~]{1,255}$/;

function fail(field: string, problem: string): never {
  throw new NetworkSettingsError(field, problem);
}

function checkProxy(proxy: ProxySettings): void {
  if (!['socks4', 'socks5', 'https'].includes(proxy.type)) fail('proxy.type', 'unknown type');
  if (typeof proxy.host !== 'string' || proxy.host.length > NETWORK_LIMITS.host) {
    fail('proxy.host', 'expected an IP address');
  }
  // An IP address only: tor resolves a proxy host name with the system resolver when it reads
  // the option (seen in the open, and it fails offline: "HTTPSProxy failed to parse or resolve").
  if (!isIPv4(proxy.host) && !isIPv6(proxy.host)) {
    fail('proxy.host', "expected the proxy's IPv4 or IPv6 address (not a host name)");
  }
  if (!Number.isInteger(proxy.port) || proxy.port < 1 || proxy.port > 65535) {
    fail('proxy.port', 'expected 1-65535');
  }
  const { username, password } = proxy;
  if (proxy.type === 'socks4' && (username !== undefined || password !== undefined)) {
    fail('proxy', 'SOCKS4 proxies take no username or password');
  }
  if ((username === undefined) !== (password === undefined)) {
    fail('proxy', 'give both a username and a password, or neither');
  }
  if (username !== undefined && (typeof username !== 'string' || !CREDENTIAL.test(username))) {
    fail('proxy.username', 'expected 1-255 printable characters without spaces, ", # or \\');
  }
  if (password !== undefined && (typeof password !== 'string' || !CREDENTIAL.test(password))) {
    fail('proxy.password', 'expected 1-255 printable characters without spaces, ", # or \\');
  }
  if (proxy.type === 'https' && username?.includes(':') === true) {
    fail('proxy.username', 'an HTTPS proxy username cannot contain ":"');
  }
}

/** The bridges these settings use (none for direct); throws NetworkSettingsError if invalid. */
export function bridgesForNetworkSettings(settings: NetworkSettings): readonly BridgeLine[] {
  switch (settings.mode) {
    case 'direct':
      return [];
    case 'builtin': {
      const transport = settings.transport;
      if (transport === undefined || !BRIDGE_TRANSPORTS.includes(transport)) {
        fail('transport', `choose one of ${BRIDGE_TRANSPORTS.join(', ')}`);
      }
      const lines = BUILTIN_BRIDGES[transport];
      if (lines.length === 0) fail('transport', `there are no built-in ${transport} bridges`);
      return parseBridgeList(lines.join('\n')).bridges;
    }
    case 'custom': {
      const { bridges, problems } = parseBridgeEntries(settings.customBridges ?? []);
      const first = problems[0];
      if (first !== undefined) {
        throw new NetworkSettingsError(
          `customBridges[${first.lineNumber - 1}]`,
          first.error.message,
          { cause: first.error },
        );
      }
      if (bridges.length === 0) fail('customBridges', 'add at least one bridge line');
      return bridges;
    }
    default:
      return fail('mode', 'expected direct, builtin or custom');
  }
}

/** Validates settings as a whole; returns them unchanged or throws NetworkSettingsError. */
export function checkNetworkSettings(settings: NetworkSettings): NetworkSettings {
  bridgesForNetworkSettings(settings);
  if (settings.proxy !== undefined) checkProxy(settings.proxy);
  const ports = settings.reachablePorts;
  if (ports !== undefined) {
    if (ports.length === 0 || ports.length > NETWORK_LIMITS.reachablePorts) {
      fail('reachablePorts', `expected 1-${NETWORK_LIMITS.reachablePorts} ports`);
    }
    ports.forEach((port, i) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        fail(`reachablePorts[${i}]`, 'expected 1-65535');
      }
    });
  }
  return settings;
}

function hostPort(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

export interface NetworkTorConfig {
  /** torrc lines without secrets (safe for the torrc file). */
  readonly torrcLines: readonly string[];
  /**
   * Proxy credentials, to be set with SETCONF over the control connection before the network is
   * enabled, so they never reach the torrc file on disk.
   */
  readonly secretConf: readonly (readonly [string, string])[];
}

export interface TransportLookup {
  /** Absolute path of a program (e.g. from {@link findTransportPrograms}), or undefined. */
  findTransportBinary(program: string): string | undefined;
}

/**
 * The tor options for `settings`. Launch mode only: in attach mode the system tor's own bridges
 * and proxy settings are left alone. Throws NetworkSettingsError or TransportNotFoundError.
 */
export function torConfigForNetworkSettings(
  settings: NetworkSettings,
  lookup: TransportLookup,
): NetworkTorConfig {
  checkNetworkSettings(settings);
  const bridges = bridgesForNetworkSettings(settings);
  const torrcLines: string[] = [];
  const secretConf: [string, string][] = [];
  if (bridges.length > 0) {
    torrcLines.push('UseBridges 1');
    const transports = new Set<BridgeTransport>();
    for (const bridge of bridges) {
      torrcLines.push(`Bridge ${bridge.line}`);
      if (bridge.transport !== undefined) transports.add(bridge.transport);
    }
    for (const transport of transports) {
      const { programs, packages } = TRANSPORT_PROGRAMS[transport];
      const binary = programs
        .map((program) => lookup.findTransportBinary(program))
        .find((found) => found !== undefined);
      if (binary === undefined) throw new TransportNotFoundError(transport, packages);
      // tor's exec path is unquoted: refuse anything its parser would split or interpret.
      if (!/^\/[A-Za-z0-9._+/-]+$/.test(binary)) {
        fail('transport', `unusable transport program path ${JSON.stringify(binary)}`);
      }
      torrcLines.push(`ClientTransportPlugin ${transport} exec ${binary}`);
    }
  }
  const proxy = settings.proxy;
  if (proxy !== undefined) {
    const address = hostPort(proxy.host, proxy.port);
    if (proxy.type === 'socks4') torrcLines.push(`Socks4Proxy ${address}`);
    if (proxy.type === 'socks5') {
      torrcLines.push(`Socks5Proxy ${address}`);
      if (proxy.username !== undefined && proxy.password !== undefined) {
        secretConf.push(['Socks5ProxyUsername', proxy.username]);
        secretConf.push(['Socks5ProxyPassword', proxy.password]);
      }
    }
    if (proxy.type === 'https') {
      torrcLines.push(`HTTPSProxy ${address}`);
      if (proxy.username !== undefined && proxy.password !== undefined) {
        secretConf.push(['HTTPSProxyAuthenticator', `${proxy.username}:${proxy.password}`]);
      }
    }
  }
  if (settings.reachablePorts !== undefined) {
    const ports = [...new Set(settings.reachablePorts)].sort((a, b) => a - b);
    torrcLines.push(
      `ReachableAddresses ${ports.map((port) => `accept *:${port}`).join(', ')}, reject *:*`,
    );
  }
  return { torrcLines, secretConf };
}

/** Only the torrc lines (for callers that have no proxy credentials to apply). */
export function torrcLinesForNetworkSettings(
  settings: NetworkSettings,
  lookup: TransportLookup,
): string[] {
  const config = torConfigForNetworkSettings(settings, lookup);
  if (config.secretConf.length > 0) {
    fail('proxy', 'proxy credentials must be applied with torConfigForNetworkSettings');
  }
  return [...config.torrcLines];
}

type JsonObject = Record<string, unknown>;

function jsonObject(value: unknown, field: string, allowed: readonly string[]): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field, 'expected an object');
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(field === '' ? key : `${field}.${key}`, 'unknown field');
  }
  return value as JsonObject;
}

function jsonString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length > max)
    fail(field, `expected at most ${max} characters`);
  return value;
}

function jsonPort(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    fail(field, 'expected 1-65535');
  }
  return value;
}

/**
 * Settings from stored JSON (the vault's `settings.network`): unknown fields refused, every
 * string and list bounded before use, then {@link checkNetworkSettings}. Throws NetworkSettingsError.
 */
export function networkSettingsFromJson(value: unknown): NetworkSettings {
  const o = jsonObject(value, '', [
    'mode',
    'transport',
    'customBridges',
    'proxy',
    'reachablePorts',
  ]);
  const mode = o['mode'];
  if (mode !== 'direct' && mode !== 'builtin' && mode !== 'custom') {
    fail('mode', 'expected direct, builtin or custom');
  }
  const settings: {
    mode: NetworkMode;
    transport?: BridgeTransport;
    customBridges?: string[];
    proxy?: ProxySettings;
    reachablePorts?: number[];
  } = { mode };
  if (o['transport'] !== undefined) {
    const transport = o['transport'];
    if (
      typeof transport !== 'string' ||
      !(BRIDGE_TRANSPORTS as readonly string[]).includes(transport)
    ) {
      fail('transport', `expected one of ${BRIDGE_TRANSPORTS.join(', ')}`);
    }
    settings.transport = transport as BridgeTransport;
  }
  if (o['customBridges'] !== undefined) {
    const lines = o['customBridges'];
    if (!Array.isArray(lines) || lines.length > BRIDGE_LIMITS.bridges) {
      fail('customBridges', `expected at most ${BRIDGE_LIMITS.bridges} lines`);
    }
    settings.customBridges = lines.map((line, i) =>
      jsonString(line, `customBridges[${i}]`, BRIDGE_LIMITS.lineLength),
    );
  }
  if (o['proxy'] !== undefined) {
    const p = jsonObject(o['proxy'], 'proxy', ['type', 'host', 'port', 'username', 'password']);
    const type = p['type'];
    if (type !== 'socks4' && type !== 'socks5' && type !== 'https') {
      fail('proxy.type', 'expected socks4, socks5 or https');
    }
    settings.proxy = {
      type,
      host: jsonString(p['host'], 'proxy.host', NETWORK_LIMITS.host),
      port: jsonPort(p['port'], 'proxy.port'),
      ...(p['username'] === undefined
        ? {}
        : { username: jsonString(p['username'], 'proxy.username', NETWORK_LIMITS.credential) }),
      ...(p['password'] === undefined
        ? {}
        : { password: jsonString(p['password'], 'proxy.password', NETWORK_LIMITS.credential) }),
    };
  }
  if (o['reachablePorts'] !== undefined) {
    const ports = o['reachablePorts'];
    if (!Array.isArray(ports) || ports.length > NETWORK_LIMITS.reachablePorts) {
      fail('reachablePorts', `expected at most ${NETWORK_LIMITS.reachablePorts} ports`);
    }
    settings.reachablePorts = ports.map((port, i) => jsonPort(port, `reachablePorts[${i}]`));
  }
  return checkNetworkSettings(settings);
}
