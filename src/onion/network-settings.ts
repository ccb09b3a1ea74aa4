// How the launched tor reaches the Tor network: direct, built-in bridges or the user's own bridges,
// optionally through a local proxy and a port-restricting firewall. The settings and their
// validation; network-torrc.ts renders them as tor options, network-settings-json.ts decodes them
// from stored JSON. Sans-IO.
import { isIPv4, isIPv6 } from 'node:net';
import {
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

export const NETWORK_LIMITS = { reachablePorts: 64, credential: 255, host: 253 } as const;

// Printable ASCII without space, `"`, `#`, `\` (tor would read them as quote, comment, escape).
const CREDENTIAL = /^[!$-[\]-~]{1,255}$/;

/** Throws NetworkSettingsError for `field`. */
export function failSetting(field: string, problem: string): never {
  throw new NetworkSettingsError(field, problem);
}

function checkProxy(proxy: ProxySettings): void {
  if (!['socks4', 'socks5', 'https'].includes(proxy.type))
    failSetting('proxy.type', 'unknown type');
  if (typeof proxy.host !== 'string' || proxy.host.length > NETWORK_LIMITS.host) {
    failSetting('proxy.host', 'expected an IP address');
  }
  // An IP address only: tor resolves a proxy host name with the system resolver when it reads
  // the option (seen in the open, and it fails offline: "HTTPSProxy failed to parse or resolve").
  if (!isIPv4(proxy.host) && !isIPv6(proxy.host)) {
    failSetting('proxy.host', "expected the proxy's IPv4 or IPv6 address (not a host name)");
  }
  if (!Number.isInteger(proxy.port) || proxy.port < 1 || proxy.port > 65535) {
    failSetting('proxy.port', 'expected 1-65535');
  }
  const { username, password } = proxy;
  if (proxy.type === 'socks4' && (username !== undefined || password !== undefined)) {
    failSetting('proxy', 'SOCKS4 proxies take no username or password');
  }
  if ((username === undefined) !== (password === undefined)) {
    failSetting('proxy', 'give both a username and a password, or neither');
  }
  if (username !== undefined && (typeof username !== 'string' || !CREDENTIAL.test(username))) {
    failSetting('proxy.username', 'expected 1-255 printable characters without spaces, ", # or \\');
  }
  if (password !== undefined && (typeof password !== 'string' || !CREDENTIAL.test(password))) {
    failSetting('proxy.password', 'expected 1-255 printable characters without spaces, ", # or \\');
  }
  if (proxy.type === 'https' && username?.includes(':') === true) {
    failSetting('proxy.username', 'an HTTPS proxy username cannot contain ":"');
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
        failSetting('transport', `choose one of ${BRIDGE_TRANSPORTS.join(', ')}`);
      }
      const lines = BUILTIN_BRIDGES[transport];
      if (lines.length === 0)
        failSetting('transport', `there are no built-in ${transport} bridges`);
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
      if (bridges.length === 0) failSetting('customBridges', 'add at least one bridge line');
      return bridges;
    }
    default:
      return failSetting('mode', 'expected direct, builtin or custom');
  }
}

/** Validates settings as a whole; returns them unchanged or throws NetworkSettingsError. */
export function checkNetworkSettings(settings: NetworkSettings): NetworkSettings {
  bridgesForNetworkSettings(settings);
  if (settings.proxy !== undefined) checkProxy(settings.proxy);
  const ports = settings.reachablePorts;
  if (ports !== undefined) {
    if (ports.length === 0 || ports.length > NETWORK_LIMITS.reachablePorts) {
      failSetting('reachablePorts', `expected 1-${NETWORK_LIMITS.reachablePorts} ports`);
    }
    ports.forEach((port, i) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        failSetting(`reachablePorts[${i}]`, 'expected 1-65535');
      }
    });
  }
  return settings;
}
