// Authentication on the Tor control port (torspec control-spec §3.5 AUTHENTICATE, §3.21
// PROTOCOLINFO, §3.24 AUTHCHALLENGE): picks SAFECOOKIE, then HASHEDPASSWORD (if a password is
// given), then NULL, then plain COOKIE — only with a cookie file the caller named, never one the
// control port announced (§3.24: else a fake control port reads any 32-byte file). Secrets never
// reach a log or an error message.
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { ControlSendOptions, TorControlConnection } from './control-connection.js';
import {
  AuthCookieError,
  MalformedControlFieldError,
  NoUsableAuthMethodError,
  SafeCookieServerHashError,
} from './errors.js';
import { parseKeywordLine, quoteString } from './quote.js';
import { readBoundedFrom } from '../../fs/read-bounded.js';

export interface ProtocolInfo {
  readonly protocolInfoVersion: number;
  /** AUTH METHODS, e.g. ['COOKIE', 'SAFECOOKIE', 'HASHEDPASSWORD'] or ['NULL']. */
  readonly authMethods: readonly string[];
  readonly cookieFile?: string;
  /** VERSION Tor="…" */
  readonly torVersion?: string;
}

export type AuthMethod = 'SAFECOOKIE' | 'HASHEDPASSWORD' | 'NULL' | 'COOKIE';

export interface AuthenticateOptions extends ControlSendOptions {
  readonly password?: string;
  /**
   * Cookie file to use instead of the COOKIEFILE tor announces. Plain COOKIE auth (which sends the
   * file's bytes) is used only with this file: a COOKIEFILE named by the port gets SAFECOOKIE only.
   */
  readonly cookieFile?: string;
}

export interface AuthenticateResult {
  readonly method: AuthMethod;
  readonly protocolInfo: ProtocolInfo;
}

const COOKIE_LENGTH = 32;
const NONCE_LENGTH = 32;
const SERVER_TO_CONTROLLER = new TextEncoder().encode(
  'Tor safe cookie authentication server-to-controller hash',
);
const CONTROLLER_TO_SERVER = new TextEncoder().encode(
  'Tor safe cookie authentication controller-to-server hash',
);

/** Sends `PROTOCOLINFO 1` and parses the reply (allowed once before authentication). */
export async function protocolInfo(
  conn: TorControlConnection,
  options: ControlSendOptions = {},
): Promise<ProtocolInfo> {
  const reply = await conn.send('PROTOCOLINFO 1', options);
  return parseProtocolInfo(reply.lines.map((line) => line.text));
}

/** Parses the lines of a PROTOCOLINFO reply (§3.21); unknown lines are tolerated (§1.1). */
export function parseProtocolInfo(lines: readonly string[]): ProtocolInfo {
  let protocolInfoVersion: number | undefined;
  let authMethods: string[] | undefined;
  let cookieFile: string | undefined;
  let torVersion: string | undefined;
  for (const text of lines) {
    const space = text.indexOf(' ');
    const keyword = space === -1 ? text : text.slice(0, space);
    const rest = space === -1 ? '' : text.slice(space + 1);
    if (keyword === 'PROTOCOLINFO') {
      const version = /^(\d{1,6})(?: |$)/.exec(rest);
      if (version === null) throw new MalformedControlFieldError('PROTOCOLINFO version missing');
      protocolInfoVersion = Number(version[1]);
    } else if (keyword === 'AUTH') {
      const fields = parseKeywordLine(rest).keywords;
      const methods = fields.get('METHODS');
      if (methods === undefined) throw new MalformedControlFieldError('AUTH METHODS missing');
      authMethods = methods.split(',').filter((method) => method !== '');
      cookieFile = fields.get('COOKIEFILE');
    } else if (keyword === 'VERSION') {
      torVersion = parseKeywordLine(rest).keywords.get('Tor');
    }
  }
  if (protocolInfoVersion === undefined || authMethods === undefined) {
    throw new MalformedControlFieldError('PROTOCOLINFO reply lacks PROTOCOLINFO or AUTH line');
  }
  return {
    protocolInfoVersion,
    authMethods,
    ...(cookieFile !== undefined ? { cookieFile } : {}),
    ...(torVersion !== undefined ? { torVersion } : {}),
  };
}

/**
 * Runs PROTOCOLINFO and authenticates with the best method tor offers and we can use. A refused
 * AUTHENTICATE surfaces as TorControlError (515 bad password/cookie); tor then closes the socket.
 */
export async function authenticate(
  conn: TorControlConnection,
  options: AuthenticateOptions = {},
): Promise<AuthenticateResult> {
  const send: ControlSendOptions = {
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  const info = await protocolInfo(conn, send);
  const offered = new Set(info.authMethods);
  const cookiePath = options.cookieFile ?? info.cookieFile;
  let cookieProblem: unknown;

  const wantsCookie = offered.has('SAFECOOKIE') || offered.has('COOKIE');
  let cookie: Uint8Array | undefined;
  if (wantsCookie && cookiePath !== undefined) {
    try {
      cookie = await readAuthCookie(cookiePath);
    } catch (error) {
      cookieProblem = error;
    }
  }
  try {
    if (cookie !== undefined && offered.has('SAFECOOKIE')) {
      await authenticateSafeCookie(conn, cookie, send);
      return { method: 'SAFECOOKIE', protocolInfo: info };
    }
    if (options.password !== undefined && offered.has('HASHEDPASSWORD')) {
      await conn.send(`AUTHENTICATE ${quoteString(options.password, 'password')}`, send);
      return { method: 'HASHEDPASSWORD', protocolInfo: info };
    }
    if (offered.has('NULL')) {
      await conn.send('AUTHENTICATE', send);
      return { method: 'NULL', protocolInfo: info };
    }
    if (cookie !== undefined && offered.has('COOKIE') && options.cookieFile !== undefined) {
      await conn.send(`AUTHENTICATE ${bytesToHex(cookie)}`, send);
      return { method: 'COOKIE', protocolInfo: info };
    }
  } finally {
    cookie?.fill(0);
  }
  const needsPassword = offered.has('HASHEDPASSWORD') && options.password === undefined;
  throw new NoUsableAuthMethodError(
    info.authMethods,
    needsPassword
      ? `tor control port needs a password (offered: ${info.authMethods.join(',')})`
      : `no usable tor control auth method (offered: ${info.authMethods.join(',')})`,
    cookieProblem !== undefined ? { cause: cookieProblem } : undefined,
  );
}

/** AUTHCHALLENGE SAFECOOKIE (§3.24): proves both sides know the cookie without sending it. */
async function authenticateSafeCookie(
  conn: TorControlConnection,
  cookie: Uint8Array,
  send: ControlSendOptions,
): Promise<void> {
  const clientNonce = new Uint8Array(randomBytes(NONCE_LENGTH));
  const reply = await conn.send(`AUTHCHALLENGE SAFECOOKIE ${bytesToHex(clientNonce)}`, send);
  const text = reply.lines[reply.lines.length - 1]?.text ?? '';
  if (!text.startsWith('AUTHCHALLENGE ')) {
    throw new MalformedControlFieldError('AUTHCHALLENGE reply missing');
  }
  const fields = parseKeywordLine(text.slice('AUTHCHALLENGE '.length)).keywords;
  const serverHash = decodeHex32(fields.get('SERVERHASH'), 'SERVERHASH');
  const serverNonce = decodeHex32(fields.get('SERVERNONCE'), 'SERVERNONCE');
  const message = concat(cookie, clientNonce, serverNonce);
  const expected = hmac(sha256, SERVER_TO_CONTROLLER, message);
  if (!constantTimeEqual(expected, serverHash)) {
    throw new SafeCookieServerHashError(
      'tor control SAFECOOKIE server hash does not verify: the peer does not know the cookie',
    );
  }
  const clientHash = hmac(sha256, CONTROLLER_TO_SERVER, message);
  message.fill(0);
  await conn.send(`AUTHENTICATE ${bytesToHex(clientHash)}`, send);
}

/** Reads the auth cookie, refusing anything but exactly 32 bytes (checked before reading). */
export async function readAuthCookie(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new AuthCookieError('cannot open the tor auth cookie file', { cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size !== COOKIE_LENGTH) {
      throw new AuthCookieError(`tor auth cookie file is not exactly ${COOKIE_LENGTH} bytes`);
    }
    const read = await readBoundedFrom(handle, COOKIE_LENGTH, { sizeHint: COOKIE_LENGTH });
    if (read.truncated || read.bytes.length !== COOKIE_LENGTH) {
      read.wipe();
      throw new AuthCookieError(`tor auth cookie file is not exactly ${COOKIE_LENGTH} bytes`);
    }
    const cookie = new Uint8Array(read.bytes);
    read.wipe();
    return cookie;
  } catch (error) {
    if (error instanceof AuthCookieError) throw error;
    throw new AuthCookieError('cannot read the tor auth cookie file', { cause: error });
  } finally {
    await handle.close();
  }
}

function decodeHex32(value: string | undefined, what: string): Uint8Array {
  if (value === undefined || !/^[0-9A-Fa-f]{64}$/.test(value)) {
    throw new MalformedControlFieldError(`AUTHCHALLENGE ${what} is not 32 bytes of hex`);
  }
  return hexToBytes(value);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Compares equal-length byte strings without an early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
