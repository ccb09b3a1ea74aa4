// Outbound connections to `<service id>.onion:<port>` through tor's SOCKS5 port (RFC 1928, RFC 1929
// username/password for circuit isolation, torspec socks-extensions.txt for tor's extended onion
// service reply codes 0xF0–0xF7). Only v3 onion addresses are dialled: we never resolve DNS.
import { createHmac } from 'node:crypto';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { SocksClient } from 'socks';
import { isValidServiceId } from '../identity/service-id.js';
import {
  InvalidOnionAddressError,
  OnionAddressRejectedError,
  OnionBadClientAuthError,
  OnionDescriptorInvalidError,
  OnionDescriptorNotFoundError,
  OnionIntroductionFailedError,
  OnionIntroductionTimeoutError,
  OnionMissingClientAuthError,
  OnionRendezvousFailedError,
  OnionUnreachableError,
  SocksConnectError,
  SocksTimeoutError,
} from './tor-errors.js';

export const DEFAULT_SOCKS_TIMEOUT_MS = 120_000;

export interface SocksConnectOptions {
  readonly socksHost: string;
  readonly socksPort: number;
  /**
   * Streams with different credentials never share a circuit (tor's IsolateSOCKSAuth). Callers pass
   * the output of `IsolationCredentials.for(key)`; the raw key never reaches tor.
   */
  readonly credentials: SocksCredentials;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface SocksCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Derives SOCKS5 credentials from an isolation key (for example a contact id) with a per-process
 * random salt, so tor sees neither the key nor a value that is stable across runs.
 */
export class IsolationCredentials {
  readonly #salt: Buffer;

  constructor(salt: Uint8Array) {
    if (salt.length < 16) throw new RangeError('isolation salt must be at least 16 bytes');
    this.#salt = Buffer.from(salt);
  }

  for(isolationKey: string): SocksCredentials {
    const tag = createHmac('sha256', this.#salt).update(isolationKey, 'utf8').digest('hex');
    // RFC 1929 caps each field at 255 bytes; 32 hex characters are plenty to be distinct.
    return { username: `sotto-${tag.slice(0, 32)}`, password: tag.slice(32, 64) };
  }
}

/** SOCKS5 reply codes (RFC 1928 §6) and tor's extensions (socks-extensions.txt). */
export const SocksReply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
  onionDescriptorNotFound: 0xf0,
  onionDescriptorInvalid: 0xf1,
  onionIntroductionFailed: 0xf2,
  onionRendezvousFailed: 0xf3,
  onionMissingClientAuth: 0xf4,
  onionWrongClientAuth: 0xf5,
  onionInvalidAddress: 0xf6,
  onionIntroductionTimedOut: 0xf7,
} as const;

/** Maps a SOCKS5 REP byte (other than success) to the typed error for that cause. */
export function socksReplyError(replyCode: number, target: string): SocksConnectError {
  const hex = `0x${replyCode.toString(16).padStart(2, '0')}`;
  switch (replyCode) {
    case SocksReply.hostUnreachable:
      return new OnionUnreachableError(`${target} is unreachable (SOCKS ${hex})`, replyCode);
    case SocksReply.onionDescriptorNotFound:
      return new OnionDescriptorNotFoundError(
        `no descriptor found for ${target}: it is offline or does not exist (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionDescriptorInvalid:
      return new OnionDescriptorInvalidError(
        `invalid descriptor for ${target} (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionIntroductionFailed:
      return new OnionIntroductionFailedError(
        `introduction to ${target} failed (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionRendezvousFailed:
      return new OnionRendezvousFailedError(
        `rendezvous with ${target} failed (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionMissingClientAuth:
      return new OnionMissingClientAuthError(
        `${target} requires client authorization (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionWrongClientAuth:
      return new OnionBadClientAuthError(
        `${target} refused our client authorization (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionInvalidAddress:
      return new OnionAddressRejectedError(
        `tor rejected the address ${target} (SOCKS ${hex})`,
        replyCode,
      );
    case SocksReply.onionIntroductionTimedOut:
      return new OnionIntroductionTimeoutError(
        `introduction to ${target} timed out (SOCKS ${hex})`,
        replyCode,
      );
    default:
      return new SocksConnectError(
        `SOCKS connection to ${target} failed (SOCKS ${hex})`,
        replyCode,
      );
  }
}

/**
 * Sans-IO observer of the proxy's side of a SOCKS5 handshake (method choice, optional RFC 1929
 * status, then the CONNECT reply): extracts the REP byte, which the `socks` package only reports
 * as text. Returns undefined until the REP byte has been seen.
 */
export class Socks5ReplyObserver {
  #seen = 0;
  #method = -1;
  #replyCode: number | undefined;

  get replyCode(): number | undefined {
    return this.#replyCode;
  }

  push(chunk: Uint8Array): number | undefined {
    for (const byte of chunk) {
      if (this.#replyCode !== undefined) break;
      const index = this.#seen++;
      if (index === 1) this.#method = byte;
      // Layout: [VER METHOD] ([VER STATUS] if METHOD = 0x02) [VER REP ...].
      const repIndex = this.#method === 0x02 ? 5 : 3;
      if (index === repIndex && this.#method >= 0) this.#replyCode = byte;
    }
    return this.#replyCode;
  }
}

/** Validates a v3 onion service id (56 base32 characters with a valid checksum and version). */
export function onionHostname(serviceId: string): string {
  const id = serviceId.endsWith('.onion') ? serviceId.slice(0, -'.onion'.length) : serviceId;
  if (!isValidServiceId(id)) {
    throw new InvalidOnionAddressError('not a valid v3 onion address; refusing to dial it');
  }
  return `${id}.onion`;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`invalid port ${port}`);
  }
}

/** Opens a stream to `<serviceId>.onion:port` through tor's SOCKS5 port. */
export async function socksConnect(
  serviceId: string,
  port: number,
  options: SocksConnectOptions,
): Promise<Duplex> {
  const host = onionHostname(serviceId);
  checkPort(port);
  checkPort(options.socksPort);
  const target = `${host}:${port}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOCKS_TIMEOUT_MS;
  const { signal } = options;
  signal?.throwIfAborted();

  const socket = new net.Socket();
  const observer = new Socks5ReplyObserver();
  const onData = (chunk: Buffer): void => {
    if (observer.push(chunk) !== undefined) socket.off('data', onData);
  };

  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
    socket.destroy();
  };
  const timer = setTimeout(
    () =>
      fail(new SocksTimeoutError(`SOCKS connection to ${target} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = (): void =>
    fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        socket.off('connect', onConnect);
        reject(error);
      };
      const onClose = (): void => reject(new Error('socket closed'));
      const onConnect = (): void => {
        socket.off('error', onError);
        socket.off('close', onClose);
        resolve();
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.connect({ host: options.socksHost, port: options.socksPort });
    }).catch((error: unknown) => {
      throw (
        failure ??
        new SocksConnectError(
          `could not reach tor's SOCKS port ${options.socksHost}:${options.socksPort}`,
          undefined,
          { cause: error },
        )
      );
    });

    socket.on('data', onData);
    const { socket: established } = await SocksClient.createConnection({
      proxy: {
        host: options.socksHost,
        port: options.socksPort,
        type: 5,
        userId: options.credentials.username,
        password: options.credentials.password,
      },
      command: 'connect',
      destination: { host, port },
      existing_socket: socket,
      // Our own timer covers the whole dial; this only keeps `socks` from firing first.
      timeout: timeoutMs + 1_000,
    }).catch((error: unknown) => {
      if (failure !== undefined) throw failure;
      const code = observer.replyCode;
      if (code !== undefined && code !== SocksReply.succeeded) throw socksReplyError(code, target);
      throw new SocksConnectError(`SOCKS handshake for ${target} failed`, code, { cause: error });
    });
    if (failure !== undefined) {
      established.destroy();
      throw failure;
    }
    return established;
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
    socket.off('data', onData);
    signal?.removeEventListener('abort', onAbort);
  }
}
