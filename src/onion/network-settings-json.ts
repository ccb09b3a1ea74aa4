// NetworkSettings from stored JSON (the vault's `settings.network`): unknown fields refused, every
// string and list bounded before use, then the same validation as settings made in the UI.
import { BRIDGE_LIMITS, BRIDGE_TRANSPORTS, type BridgeTransport } from './bridges.js';
import {
  checkNetworkSettings,
  failSetting as fail,
  NETWORK_LIMITS,
  type NetworkMode,
  type NetworkSettings,
  type ProxySettings,
} from './network-settings.js';

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
