// Typed wrappers for the control commands Sotto uses (torspec control-spec §3: GETINFO §3.9,
// GETCONF/SETCONF/RESETCONF §3.1–3.3, SETEVENTS §3.4, SIGNAL §3.7, TAKEOWNERSHIP §3.23,
// DROPOWNERSHIP §3.33, ADD_ONION §3.27, DEL_ONION §3.28; client authorization in
// client-auth-commands.ts). Every argument is validated first.
import type { ControlSendOptions, TorControlConnection } from './control-connection.js';
import { ControlArgumentError, MalformedControlFieldError } from './errors.js';
import { quoteString, unquoteString } from './quote.js';
import type { ControlReply } from './reply-parser.js';
import { SERVICE_ID_PATTERN } from '../../identity/service-id.js';
import { CLIENT_AUTH_V3_KEY_PATTERN } from './client-auth-commands.js';

export { protocolInfo, type ProtocolInfo } from './authenticate.js';

/** GETINFO keys: `version`, `status/bootstrap-phase`, `net/listeners/socks`, `onions/current`… */
const INFO_KEY = /^[A-Za-z0-9_][A-Za-z0-9_/.:@-]*$/;
/** Config option names (`SocksPort`, `__OwningControllerProcess`). */
const CONF_KEY = /^[A-Za-z0-9_]+$/;
/** §3.4 EventCode = 1*(ALPHA / "_") */
const EVENT_CODE = /^[A-Za-z_]+$/;
/** v3 onion service id: 56 base32 characters (lower case as tor prints it). */
/** base64 of a 64-byte expanded ed25519 secret key: 88 characters ending in "==". */
const ED25519_V3_BLOB = /^[A-Za-z0-9+/]{86}==$/;
const FLAG = /^[A-Za-z0-9]+$/;

function checkKey(key: string, pattern: RegExp, what: string): void {
  if (!pattern.test(key)) throw new ControlArgumentError(`invalid ${what}: not ${pattern.source}`);
}

/** `key=value` lines of a 250 reply (single-line values and `250+key=` data values). */
function keyValueLines(reply: ControlReply): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of reply.lines) {
    if (line.separator === ' ' && line.text === 'OK') continue;
    const equals = line.text.indexOf('=');
    if (equals <= 0) throw new MalformedControlFieldError('reply line is not key=value');
    const key = line.text.slice(0, equals);
    const value = line.data ?? line.text.slice(equals + 1);
    if (line.data !== undefined && equals !== line.text.length - 1) {
      throw new MalformedControlFieldError('data reply line has text after key=');
    }
    values.set(key, value);
  }
  return values;
}

/** GETINFO (§3.9): values by key; multi-line values come from `250+key=` data blocks. */
export async function getInfo(
  conn: TorControlConnection,
  keys: readonly string[],
  options?: ControlSendOptions,
): Promise<Map<string, string>> {
  if (keys.length === 0) throw new ControlArgumentError('GETINFO needs at least one key');
  for (const key of keys) checkKey(key, INFO_KEY, 'GETINFO key');
  const values = keyValueLines(await conn.send(`GETINFO ${keys.join(' ')}`, options));
  for (const key of keys) {
    if (!values.has(key)) throw new MalformedControlFieldError(`GETINFO reply lacks ${key}`);
  }
  return values;
}

/**
 * GETCONF (§3.3): every value of each option in order. An option at a default that is not a
 * string (`250 Key` without `=`) maps to an empty array.
 */
export async function getConf(
  conn: TorControlConnection,
  keys: readonly string[],
  options?: ControlSendOptions,
): Promise<Map<string, string[]>> {
  if (keys.length === 0) throw new ControlArgumentError('GETCONF needs at least one key');
  for (const key of keys) checkKey(key, CONF_KEY, 'GETCONF key');
  const reply = await conn.send(`GETCONF ${keys.join(' ')}`, options);
  const values = new Map<string, string[]>();
  for (const line of reply.lines) {
    const equals = line.text.indexOf('=');
    const key = equals === -1 ? line.text : line.text.slice(0, equals);
    const list = values.get(key) ?? [];
    values.set(key, list);
    if (equals === -1) continue;
    const raw = line.text.slice(equals + 1);
    list.push(raw.startsWith('"') ? unquoteString(raw) : raw);
  }
  return values;
}

export type ConfEntries =
  ReadonlyMap<string, string | null> | readonly (readonly [string, string | null])[];

function confArguments(entries: ConfEntries): string {
  const list = [...entries];
  if (list.length === 0) throw new ControlArgumentError('no configuration entries given');
  return list
    .map(([key, value]) => {
      checkKey(key, CONF_KEY, 'config option');
      return value === null ? key : `${key}=${quoteString(value, `value of ${key}`)}`;
    })
    .join(' ');
}

/** SETCONF (§3.1), all-or-nothing. `null` sets an option to 0/empty; values are quoted. */
export async function setConf(
  conn: TorControlConnection,
  entries: ConfEntries,
  options?: ControlSendOptions,
): Promise<void> {
  await conn.send(`SETCONF ${confArguments(entries)}`, options);
}

/** RESETCONF (§3.2): back to the default (`null`) or to the default then the given value. */
export async function resetConf(
  conn: TorControlConnection,
  entries: ConfEntries,
  options?: ControlSendOptions,
): Promise<void> {
  await conn.send(`RESETCONF ${confArguments(entries)}`, options);
}

/** SETEVENTS (§3.4): replaces the event set; an empty list turns all events off. */
export async function setEvents(
  conn: TorControlConnection,
  events: readonly string[],
  options?: ControlSendOptions,
): Promise<void> {
  for (const event of events) checkKey(event, EVENT_CODE, 'event code');
  await conn.send(events.length === 0 ? 'SETEVENTS' : `SETEVENTS ${events.join(' ')}`, options);
}

export type TorSignal =
  | 'RELOAD'
  | 'HUP'
  | 'SHUTDOWN'
  | 'DUMP'
  | 'DEBUG'
  | 'HALT'
  | 'CLEARDNSCACHE'
  | 'NEWNYM'
  | 'HEARTBEAT'
  | 'DORMANT'
  | 'ACTIVE';

const SIGNALS: ReadonlySet<string> = new Set<TorSignal>([
  'RELOAD',
  'HUP',
  'SHUTDOWN',
  'DUMP',
  'DEBUG',
  'HALT',
  'CLEARDNSCACHE',
  'NEWNYM',
  'HEARTBEAT',
  'DORMANT',
  'ACTIVE',
]);

/** SIGNAL (§3.7). Note SHUTDOWN/HALT make tor close this connection after its reply. */
export async function signal(
  conn: TorControlConnection,
  name: TorSignal,
  options?: ControlSendOptions,
): Promise<void> {
  if (!SIGNALS.has(name)) throw new ControlArgumentError('unknown tor signal');
  await conn.send(`SIGNAL ${name}`, options);
}

/** TAKEOWNERSHIP (§3.23): tor exits when this control connection closes. */
export async function takeOwnership(
  conn: TorControlConnection,
  options?: ControlSendOptions,
): Promise<void> {
  await conn.send('TAKEOWNERSHIP', options);
}

/** DROPOWNERSHIP (§3.33, tor ≥ 0.4.0): undoes TAKEOWNERSHIP. */
export async function dropOwnership(
  conn: TorControlConnection,
  options?: ControlSendOptions,
): Promise<void> {
  await conn.send('DROPOWNERSHIP', options);
}

/** Where tor forwards a virtual port: a local port, `host:port` (IPv4, [IPv6], localhost), or unix. */
export type OnionTarget = number | string;

export interface AddOnionPort {
  readonly virtualPort: number;
  /** Omitted: forward to 127.0.0.1:<virtualPort>. */
  readonly target?: OnionTarget;
}

export interface AddOnionRequest {
  /** An existing 64-byte expanded ed25519 key (base64), or 'NEW' to let tor generate one. */
  readonly key: { readonly type: 'ED25519-V3'; readonly blob: string } | 'NEW';
  readonly ports: readonly AddOnionPort[];
  /** e.g. 'DiscardPK', 'Detach', 'MaxStreamsCloseCircuit'. */
  readonly flags?: readonly string[];
  readonly maxStreams?: number;
  /**
   * v3 client authorization (tor ≥ 0.4.6): only clients holding one of these keys can read the
   * descriptor. Each is a `ClientAuthV3=` value (client-auth-commands.ts `clientAuthV3Key`); the
   * `V3Auth` flag is added with them.
   */
  readonly clientAuthV3?: readonly string[];
}

export interface AddOnionResult {
  readonly serviceId: string;
  /** Only for key 'NEW' without the DiscardPK flag. This is a secret: never log it. */
  readonly privateKey?: { readonly type: string; readonly blob: string };
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ControlArgumentError(`${what} must be an integer port 1–65535`);
  }
}

function formatTarget(target: OnionTarget): string {
  if (typeof target === 'number') {
    checkPort(target, 'ADD_ONION target port');
    return String(target);
  }
  if (/^unix:\/[^\s,"\\\0]+$/.test(target)) return target;
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|localhost):(\d{1,5})$/.exec(target);
  if (match === null) {
    throw new ControlArgumentError('ADD_ONION target must be a port, host:port or unix:/path');
  }
  checkPort(Number(match[2]), 'ADD_ONION target port');
  return target;
}

/** ADD_ONION (§3.27). Without the Detach flag the onion lives as long as this connection. */
export async function addOnion(
  conn: TorControlConnection,
  request: AddOnionRequest,
  options?: ControlSendOptions,
): Promise<AddOnionResult> {
  let keyArgument: string;
  if (request.key === 'NEW') {
    keyArgument = 'NEW:ED25519-V3';
  } else {
    if (request.key.type !== 'ED25519-V3' || !ED25519_V3_BLOB.test(request.key.blob)) {
      throw new ControlArgumentError('ADD_ONION key must be a base64 64-byte ED25519-V3 key');
    }
    keyArgument = `ED25519-V3:${request.key.blob}`;
  }
  if (request.ports.length === 0) throw new ControlArgumentError('ADD_ONION needs a port');
  const parts = [keyArgument];
  // Tor (0.4.9) answers `512 No auth type specified` to ClientAuthV3= without the V3Auth flag.
  const clientAuth = (request.clientAuthV3 ?? []).length > 0;
  const flags = [...(request.flags ?? [])];
  if (clientAuth && !flags.includes('V3Auth')) flags.push('V3Auth');
  for (const flag of flags) checkKey(flag, FLAG, 'ADD_ONION flag');
  if (flags.length > 0) parts.push(`Flags=${flags.join(',')}`);
  if (request.maxStreams !== undefined) {
    if (
      !Number.isInteger(request.maxStreams) ||
      request.maxStreams < 0 ||
      request.maxStreams > 65535
    ) {
      throw new ControlArgumentError('ADD_ONION MaxStreams must be an integer 0–65535');
    }
    parts.push(`MaxStreams=${request.maxStreams}`);
  }
  for (const port of request.ports) {
    checkPort(port.virtualPort, 'ADD_ONION virtual port');
    parts.push(
      port.target === undefined
        ? `Port=${port.virtualPort}`
        : `Port=${port.virtualPort},${formatTarget(port.target)}`,
    );
  }
  for (const key of request.clientAuthV3 ?? []) {
    checkKey(key, CLIENT_AUTH_V3_KEY_PATTERN, 'ClientAuthV3 key');
    parts.push(`ClientAuthV3=${key}`);
  }
  const values = keyValueLines(await conn.send(`ADD_ONION ${parts.join(' ')}`, options));
  const serviceId = values.get('ServiceID');
  if (serviceId === undefined || !SERVICE_ID_PATTERN.test(serviceId)) {
    throw new MalformedControlFieldError('ADD_ONION reply lacks a valid ServiceID');
  }
  const privateKey = values.get('PrivateKey');
  if (privateKey === undefined) return { serviceId };
  const colon = privateKey.indexOf(':');
  if (colon <= 0) throw new MalformedControlFieldError('ADD_ONION PrivateKey is not TYPE:blob');
  return {
    serviceId,
    privateKey: { type: privateKey.slice(0, colon), blob: privateKey.slice(colon + 1) },
  };
}

/** DEL_ONION (§3.28): removes an onion this connection (or a detached one) added. */
export async function delOnion(
  conn: TorControlConnection,
  serviceId: string,
  options?: ControlSendOptions,
): Promise<void> {
  checkKey(serviceId, SERVICE_ID_PATTERN, 'onion service id');
  await conn.send(`DEL_ONION ${serviceId}`, options);
}
