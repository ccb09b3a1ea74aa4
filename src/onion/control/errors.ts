// Typed errors of Sotto's Tor control-port client (torspec control-spec). One class per cause;
// wrappers carry the original error as `cause`. Messages never contain passwords or cookies.
import { OnionError } from '../onion-error.js';

/** Base class: the bytes tor sent do not follow control-spec §2.3 (or exceed our limits). */
export class ControlProtocolError extends OnionError {
  readonly code: string = 'control-protocol';
  override name = 'ControlProtocolError';
}

/** One reply line (or data line) grew past the configured line-length cap. */
export class ControlLineTooLongError extends ControlProtocolError {
  override name = 'ControlLineTooLongError';
  constructor(readonly limit: number) {
    super(`tor control reply line longer than ${limit} bytes`);
  }
}

/** One reply grew past the configured byte cap or line-count cap. */
export class ControlReplyTooLargeError extends ControlProtocolError {
  override name = 'ControlReplyTooLargeError';
  constructor(
    readonly limit: number,
    readonly unit: 'bytes' | 'lines',
  ) {
    super(`tor control reply larger than ${limit} ${unit}`);
  }
}

/** A reply line that is not `NNN-`, `NNN+` or `NNN `, or a reply mixing status codes. */
export class MalformedControlReplyError extends ControlProtocolError {
  override name = 'MalformedControlReplyError';
}

/** A reply field (keyword line, quoted string, PROTOCOLINFO, GETINFO…) that we cannot parse. */
export class MalformedControlFieldError extends ControlProtocolError {
  override name = 'MalformedControlFieldError';
}

/** An argument we were asked to send would break the command line (CR, LF, NUL, bad keyword). */
export class ControlArgumentError extends OnionError {
  readonly code: string = 'control-argument';
  override name = 'ControlArgumentError';
}

/** Tor answered a command with a 4xx/5xx status (e.g. 510 filtered, 514/515 auth, 552 unknown). */
export class TorControlError extends OnionError {
  readonly code: string = 'tor-control';
  override name = 'TorControlError';
  constructor(
    /** The 3-digit status code of the final reply line. */
    readonly status: number,
    /** The reply text (all lines joined with '\n'). */
    readonly replyText: string,
    /** The command keyword that failed (never its arguments: they may hold a secret). */
    readonly commandKeyword: string,
  ) {
    super(`tor control ${commandKeyword} failed: ${status} ${replyText}`);
  }
}

/** A command did not get its reply within its timeout; the connection was closed. */
export class ControlTimeoutError extends OnionError {
  readonly code: string = 'control-timeout';
  override name = 'ControlTimeoutError';
  constructor(
    readonly commandKeyword: string,
    readonly timeoutMs: number,
  ) {
    super(`tor control ${commandKeyword} got no reply within ${timeoutMs} ms`);
  }
}

/** A command or connect was aborted through its AbortSignal; the connection was closed. */
export class ControlAbortedError extends OnionError {
  readonly code: string = 'control-aborted';
  override name = 'ControlAbortedError';
}

/** The control connection closed (by tor, by us, or after an error) before the reply came. */
export class ControlConnectionClosedError extends OnionError {
  readonly code: string = 'control-connection-closed';
  override name = 'ControlConnectionClosedError';
}

/** Connecting to the control port failed (refused, timed out, no such socket). */
export class ControlConnectError extends OnionError {
  readonly code: string = 'control-connect';
  override name = 'ControlConnectError';
}

/** No authentication method offered by tor can be used with what we were given. */
export class NoUsableAuthMethodError extends OnionError {
  readonly code: string = 'no-usable-auth-method';
  override name = 'NoUsableAuthMethodError';
  constructor(
    readonly offered: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The auth cookie file is missing, unreadable or not exactly 32 bytes. */
export class AuthCookieError extends OnionError {
  readonly code: string = 'auth-cookie';
  override name = 'AuthCookieError';
}

/** SAFECOOKIE: tor's SERVERHASH did not verify — whoever answered does not know the cookie. */
export class SafeCookieServerHashError extends OnionError {
  readonly code: string = 'safecookie-server-hash';
  override name = 'SafeCookieServerHashError';
}
