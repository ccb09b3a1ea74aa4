// The tor options for NetworkSettings (tor(1) UseBridges, Bridge, ClientTransportPlugin,
// Socks4Proxy/Socks5Proxy/HTTPSProxy, ReachableAddresses): torrc lines without secrets, and the
// proxy credentials apart, to be set over the control connection. Sans-IO.
import { isIPv6 } from 'node:net';
import type { BridgeTransport } from './bridges.js';
import {
  bridgesForNetworkSettings,
  checkNetworkSettings,
  failSetting as fail,
  type NetworkSettings,
} from './network-settings.js';
import { OnionError } from './onion-error.js';

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
