// Sans-IO parser and validator for the bridge lines users paste (tor(1) `Bridge [transport]
// IP:ORPort [fingerprint] [k=v ...]`, pt-spec arguments). Only printable ASCII survives, and nothing
// that tor's config parser would read as a comment, quote, escape or a second line.
import { isIPv4, isIPv6 } from 'node:net';
import { OnionError } from './onion-error.js';

export const BRIDGE_TRANSPORTS = ['obfs4', 'snowflake', 'meek_lite', 'webtunnel'] as const;
export type BridgeTransport = (typeof BRIDGE_TRANSPORTS)[number];

export const BRIDGE_LIMITS = {
  /** Characters of one line (the vault stores at most 2,048). */
  lineLength: 2_048,
  /** Bridges in one list (the vault stores at most 64). */
  bridges: 64,
  /** Characters of a whole pasted text, checked before splitting it. */
  textLength: 64 * 2_048,
} as const;

/** A validated bridge. `line` is its canonical form without the `Bridge ` keyword. */
export interface BridgeLine {
  readonly transport?: BridgeTransport;
  /** IPv4 address, or IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** 40 upper-case hex digits. */
  readonly fingerprint?: string;
  readonly args: readonly (readonly [string, string])[];
  readonly line: string;
}

export class BridgeLineError extends OnionError {
  readonly code: string = 'bridge-line';
  override name = 'BridgeLineError';
}
export class EmptyBridgeLineError extends BridgeLineError {
  override name = 'EmptyBridgeLineError';
}
export class BridgeLineTooLongError extends BridgeLineError {
  override name = 'BridgeLineTooLongError';
}
/** A control character (CR, LF, NUL, …), a non-ASCII character, or `#`, `"`, `\`. */
export class BridgeLineCharacterError extends BridgeLineError {
  override name = 'BridgeLineCharacterError';
}
export class UnsupportedTransportError extends BridgeLineError {
  override name = 'UnsupportedTransportError';
}
export class BridgeAddressError extends BridgeLineError {
  override name = 'BridgeAddressError';
}
export class BridgeFingerprintError extends BridgeLineError {
  override name = 'BridgeFingerprintError';
}
/** A malformed, duplicated, misplaced or invalid `k=v` argument. */
export class BridgeArgumentError extends BridgeLineError {
  override name = 'BridgeArgumentError';
}
export class MissingBridgeArgumentError extends BridgeLineError {
  override name = 'MissingBridgeArgumentError';
}
export class TooManyBridgesError extends BridgeLineError {
  override name = 'TooManyBridgesError';
}

const FINGERPRINT = /^[0-9A-Fa-f]{40}$/;
const TRANSPORT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ARG_KEY = /^[A-Za-z0-9_-]{1,64}$/;
// Printable ASCII without space, `"`, `#` and `\` (quote, comment and escape for tor's parser).
const ARG_VALUE = /^[!$-[\]-~]{1,1024}$/;
// obfs4 cert: base64 without padding of 52 bytes (node id + Curve25519 public key).
const OBFS4_CERT = /^[A-Za-z0-9+/]{70}$/;
const KNOWN_TRANSPORT_NAMES: ReadonlySet<string> = new Set(BRIDGE_TRANSPORTS);

function checkCharacters(line: string): void {
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === 0x09) continue; // tab separates like a space
    if (code < 0x20 || code > 0x7e) {
      throw new BridgeLineCharacterError(
        `bridge line contains ${describeCharacter(code)} at column ${i + 1}`,
      );
    }
    if (code === 0x22 || code === 0x23 || code === 0x5c) {
      throw new BridgeLineCharacterError(
        `bridge line contains ${String.fromCharCode(code)} at column ${i + 1}`,
      );
    }
  }
}

function describeCharacter(code: number): string {
  if (code === 0x0a) return 'a line feed';
  if (code === 0x0d) return 'a carriage return';
  if (code === 0x00) return 'a NUL byte';
  if (code < 0x20 || code === 0x7f) return `control character 0x${code.toString(16)}`;
  return 'a non-ASCII character';
}

function parseAddress(token: string): { host: string; port: number; text: string } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(token);
  const port = Number(match?.[3]);
  const v6 = match?.[1];
  const v4 = match?.[2];
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new BridgeAddressError(
      `expected IPv4:PORT or [IPv6]:PORT (port 1-65535), got ${JSON.stringify(token)}`,
    );
  }
  if (v6 !== undefined) {
    if (!isIPv6(v6)) throw new BridgeAddressError(`not an IPv6 address: ${v6}`);
    return { host: v6.toLowerCase(), port, text: `[${v6.toLowerCase()}]:${port}` };
  }
  if (v4 === undefined || !isIPv4(v4)) {
    throw new BridgeAddressError(`not an IPv4 address: ${JSON.stringify(v4)}`);
  }
  return { host: v4, port, text: `${v4}:${port}` };
}

function parseArg(token: string): [string, string] {
  const equals = token.indexOf('=');
  const key = token.slice(0, equals);
  const value = token.slice(equals + 1);
  if (equals <= 0 || !ARG_KEY.test(key)) {
    throw new BridgeArgumentError(`malformed argument ${JSON.stringify(token.slice(0, 80))}`);
  }
  if (!ARG_VALUE.test(value)) {
    throw new BridgeArgumentError(`argument ${key} has an empty or malformed value`);
  }
  return [key, value];
}

function requireArg(args: ReadonlyMap<string, string>, key: string, transport: string): string {
  const value = args.get(key);
  if (value === undefined) {
    throw new MissingBridgeArgumentError(`${transport} bridge lines need ${key}=`);
  }
  return value;
}

function checkUrl(value: string, key: string, transport: string, schemes: string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new BridgeArgumentError(`${transport} ${key}= is not a URL`, { cause: error });
  }
  if (!schemes.includes(url.protocol) || url.hostname === '') {
    throw new BridgeArgumentError(`${transport} ${key}= must be an ${schemes.join(' or ')} URL`);
  }
}

function checkTransportArgs(
  transport: BridgeTransport,
  args: ReadonlyMap<string, string>,
  fingerprint: string | undefined,
): void {
  switch (transport) {
    case 'obfs4': {
      if (fingerprint === undefined) {
        throw new BridgeFingerprintError('obfs4 bridge lines need the bridge fingerprint');
      }
      for (const key of args.keys()) {
        if (key !== 'cert' && key !== 'iat-mode') {
          throw new BridgeArgumentError(`obfs4 takes cert= and iat-mode=, not ${key}=`);
        }
      }
      if (!OBFS4_CERT.test(requireArg(args, 'cert', transport))) {
        throw new BridgeArgumentError('obfs4 cert= must be 70 base64 characters (52 bytes)');
      }
      if (!/^[012]$/.test(requireArg(args, 'iat-mode', transport))) {
        throw new BridgeArgumentError('obfs4 iat-mode= must be 0, 1 or 2');
      }
      return;
    }
    case 'snowflake': {
      checkUrl(requireArg(args, 'url', transport), 'url', transport, ['https:']);
      const embedded = args.get('fingerprint');
      if (embedded !== undefined && !FINGERPRINT.test(embedded)) {
        throw new BridgeArgumentError('snowflake fingerprint= must be 40 hex digits');
      }
      const ice = args.get('ice');
      if (ice !== undefined && !ice.split(',').every((server) => /^stuns?:[^,]+$/.test(server))) {
        throw new BridgeArgumentError(
          'snowflake ice= must be a comma-separated list of stun: URLs',
        );
      }
      return;
    }
    case 'meek_lite':
      checkUrl(requireArg(args, 'url', transport), 'url', transport, ['https:']);
      return;
    case 'webtunnel':
      if (fingerprint === undefined) {
        throw new BridgeFingerprintError('webtunnel bridge lines need the bridge fingerprint');
      }
      checkUrl(requireArg(args, 'url', transport), 'url', transport, ['https:']);
      return;
  }
}

/** Parses one bridge line, with or without a leading `Bridge ` keyword. */
export function parseBridgeLine(input: string): BridgeLine {
  if (input.length > BRIDGE_LIMITS.lineLength) {
    throw new BridgeLineTooLongError(
      `bridge line is longer than ${BRIDGE_LIMITS.lineLength} characters`,
    );
  }
  checkCharacters(input);
  const tokens = input.split(/[ \t]+/).filter((token) => token !== '');
  if (tokens[0]?.toLowerCase() === 'bridge') tokens.shift();
  const first = tokens[0];
  if (first === undefined) throw new EmptyBridgeLineError('bridge line is empty');
  let transport: BridgeTransport | undefined;
  if (!/^[[0-9]/.test(first)) {
    if (!TRANSPORT_NAME.test(first)) {
      throw new UnsupportedTransportError(`not a transport name: ${JSON.stringify(first)}`);
    }
    if (!KNOWN_TRANSPORT_NAMES.has(first)) {
      throw new UnsupportedTransportError(
        `unsupported transport ${first}; Sotto supports ${BRIDGE_TRANSPORTS.join(', ')}`,
      );
    }
    transport = first as BridgeTransport;
    tokens.shift();
  }
  const addressToken = tokens.shift();
  if (addressToken === undefined) throw new BridgeAddressError('bridge line has no address');
  const address = parseAddress(addressToken);
  let fingerprint: string | undefined;
  const next = tokens[0];
  if (next !== undefined && !next.includes('=')) {
    if (!FINGERPRINT.test(next)) {
      throw new BridgeFingerprintError(
        `expected a 40-hex-digit fingerprint, got ${JSON.stringify(next.slice(0, 80))}`,
      );
    }
    fingerprint = next.toUpperCase();
    tokens.shift();
  }
  const args = new Map<string, string>();
  for (const token of tokens) {
    if (!token.includes('=')) {
      throw new BridgeArgumentError(`unexpected ${JSON.stringify(token.slice(0, 80))}`);
    }
    const [key, value] = parseArg(token);
    if (args.has(key)) throw new BridgeArgumentError(`argument ${key} appears twice`);
    args.set(key, value);
  }
  if (transport === undefined) {
    if (args.size > 0) throw new BridgeArgumentError('a plain bridge takes no arguments');
  } else {
    checkTransportArgs(transport, args, fingerprint);
  }
  const line = [
    ...(transport === undefined ? [] : [transport]),
    address.text,
    ...(fingerprint === undefined ? [] : [fingerprint]),
    ...[...args].map(([key, value]) => `${key}=${value}`),
  ].join(' ');
  return {
    ...(transport === undefined ? {} : { transport }),
    host: address.host,
    port: address.port,
    ...(fingerprint === undefined ? {} : { fingerprint }),
    args: [...args],
    line,
  };
}

export interface BridgeLineProblem {
  /** 1-based line number in the pasted text. */
  readonly lineNumber: number;
  readonly error: BridgeLineError;
}

export interface BridgeListResult {
  readonly bridges: readonly BridgeLine[];
  /** One entry per refused line (empty when all are good). */
  readonly problems: readonly BridgeLineProblem[];
}

/**
 * Validates pasted text with one bridge per line (blank lines and `#` comment lines skipped),
 * reporting every bad line, for the settings dialog and `--bridges FILE`.
 */
export function parseBridgeList(text: string): BridgeListResult {
  if (text.length > BRIDGE_LIMITS.textLength) {
    return {
      bridges: [],
      problems: [
        {
          lineNumber: 1,
          error: new BridgeLineTooLongError(
            `bridge list is longer than ${BRIDGE_LIMITS.textLength} characters`,
          ),
        },
      ],
    };
  }
  const lines = text.split(/\r?\n/).map((raw) => raw.trim());
  return collect(lines.map((line) => (line === '' || line.startsWith('#') ? undefined : line)));
}

/**
 * Validates a list of bridge lines, one per entry (the stored `customBridges`): an entry is never
 * split, so an embedded line break is refused as a character error of that entry.
 */
export function parseBridgeEntries(entries: readonly string[]): BridgeListResult {
  if (entries.length > BRIDGE_LIMITS.bridges) {
    return {
      bridges: [],
      problems: [
        {
          lineNumber: BRIDGE_LIMITS.bridges + 1,
          error: new TooManyBridgesError(`more than ${BRIDGE_LIMITS.bridges} bridges`),
        },
      ],
    };
  }
  return collect(entries);
}

/** Parses each defined entry; `undefined` entries (blank or comment lines) are skipped. */
function collect(entries: readonly (string | undefined)[]): BridgeListResult {
  const bridges: BridgeLine[] = [];
  const problems: BridgeLineProblem[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (entry === undefined) return;
    try {
      const bridge = parseBridgeLine(entry);
      if (seen.has(bridge.line)) return;
      seen.add(bridge.line);
      if (bridges.length >= BRIDGE_LIMITS.bridges) {
        throw new TooManyBridgesError(`more than ${BRIDGE_LIMITS.bridges} bridges`);
      }
      bridges.push(bridge);
    } catch (error) {
      if (!(error instanceof BridgeLineError)) throw error;
      problems.push({ lineNumber: index + 1, error });
    }
  });
  return { bridges, problems };
}
