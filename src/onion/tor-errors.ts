// Typed errors of the Tor runtime (launcher, attach, onion service, SOCKS dialer). Each class names
// one cause; wrappers carry the original error as `cause`. Messages never contain secrets.
import { OnionError } from './onion-error.js';

export class TorNotFoundError extends OnionError {
  readonly code: string = 'tor-not-found';
  override name = 'TorNotFoundError';
  constructor(readonly searched: string) {
    super(
      `tor was not found (${searched}). Install it with \`apt-get install tor\` ` +
        'or give its location with `--tor PATH`.',
    );
  }
}

export class TorStartError extends OnionError {
  readonly code: string = 'tor-start';
  override name = 'TorStartError';
  constructor(
    message: string,
    readonly logTail: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(logTail.length > 0 ? `${message}\n${logTail.join('\n')}` : message, options);
  }
}

export class TorNotRunningError extends OnionError {
  readonly code: string = 'tor-not-running';
  override name = 'TorNotRunningError';
}

export class TorrcLineError extends OnionError {
  readonly code: string = 'torrc-line';
  override name = 'TorrcLineError';
}

export class TorAttachError extends OnionError {
  readonly code: string = 'tor-attach';
  override name = 'TorAttachError';
}

/**
 * The control port asks for no authentication, and nothing says it is a known filter (Tails,
 * Whonix) or that the user trusts it: our identity key is not sent there.
 */
export class UnauthenticatedControlPortError extends TorAttachError {
  override readonly code: string = 'tor-control-unauthenticated';
  override name = 'UnauthenticatedControlPortError';
  constructor() {
    super(
      'the tor control port asks for no password or cookie, so any local program could be ' +
        'listening there; Sotto does not send it your identity key. Give the cookie file ' +
        '(TOR_CONTROL_COOKIE_AUTH_FILE) or --tor-control-password-file, or if this port is ' +
        'yours add --tor-control-no-auth',
    );
  }
}

export class OnionPublishTimeoutError extends OnionError {
  readonly code: string = 'onion-publish-timeout';
  override name = 'OnionPublishTimeoutError';
  constructor(
    readonly serviceId: string,
    timeoutMs: number,
  ) {
    super(`no descriptor of ${serviceId}.onion was uploaded within ${timeoutMs} ms`);
  }
}

export class OnionPublishFailedError extends OnionError {
  readonly code: string = 'onion-publish-failed';
  override name = 'OnionPublishFailedError';
  constructor(
    readonly serviceId: string,
    readonly reasons: readonly string[],
  ) {
    super(`publishing ${serviceId}.onion failed: ${reasons.join(', ') || 'unknown reason'}`);
  }
}

export class InvalidOnionAddressError extends OnionError {
  readonly code: string = 'invalid-onion-address';
  override name = 'InvalidOnionAddressError';
}

/** A SOCKS5 failure. `replyCode` is the SOCKS5 REP byte when the proxy sent one. */
export class SocksConnectError extends OnionError {
  readonly code: string = 'socks-connect';
  override name = 'SocksConnectError';
  constructor(
    message: string,
    readonly replyCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class SocksTimeoutError extends SocksConnectError {
  override name = 'SocksTimeoutError';
}

/** SOCKS5 0x04: host unreachable (tor: the onion could not be reached). */
export class OnionUnreachableError extends SocksConnectError {
  override name = 'OnionUnreachableError';
}

/** Tor extended error 0xF0: no descriptor could be fetched (offline or never published). */
export class OnionDescriptorNotFoundError extends SocksConnectError {
  override name = 'OnionDescriptorNotFoundError';
}

/** 0xF1: the fetched descriptor could not be parsed or verified. */
export class OnionDescriptorInvalidError extends SocksConnectError {
  override name = 'OnionDescriptorInvalidError';
}

/** 0xF2: all introduction points failed. */
export class OnionIntroductionFailedError extends SocksConnectError {
  override name = 'OnionIntroductionFailedError';
}

/** 0xF3: the rendezvous circuit failed. */
export class OnionRendezvousFailedError extends SocksConnectError {
  override name = 'OnionRendezvousFailedError';
}

/** 0xF4: the service requires client authorization we do not have. */
export class OnionMissingClientAuthError extends SocksConnectError {
  override name = 'OnionMissingClientAuthError';
}

/** 0xF5: our client authorization was refused. */
export class OnionBadClientAuthError extends SocksConnectError {
  override name = 'OnionBadClientAuthError';
}

/** 0xF6: tor considers the address invalid (bad checksum, version). */
export class OnionAddressRejectedError extends SocksConnectError {
  override name = 'OnionAddressRejectedError';
}

/** 0xF7: introduction timed out. */
export class OnionIntroductionTimeoutError extends SocksConnectError {
  override name = 'OnionIntroductionTimeoutError';
}

/** What a filtered or too old tor refused: the identity onion keeps working without it. */
export type TorFeature = 'client-auth-v3' | 'onion-client-auth';

/**
 * The control port refused a command Sotto needs for a feature (control-spec §4: 510 unrecognized
 * or filtered, as onion-grater on Tails and Whonix answers; 511 unimplemented; 513 unrecognized
 * argument, a tor older than 0.4.6 given `ClientAuthV3=`; 552 unrecognized key type for
 * ONION_CLIENT_AUTH_ADD). The caller stays on the identity onion and says so. `cause` is the
 * TorControlError.
 */
export class UnsupportedByTorError extends OnionError {
  readonly code: string = 'unsupported-by-tor';
  override name = 'UnsupportedByTorError';
  constructor(
    readonly feature: TorFeature,
    /** The control command tor refused (its keyword only: arguments may hold a secret). */
    readonly commandKeyword: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(
      `the tor control port refused ${commandKeyword} (${status}): ${
        feature === 'client-auth-v3'
          ? 'onion services with client authorization'
          : 'client authorization for onions'
      } are not available through this tor`,
      options,
    );
  }
}

/** An argument no tor would accept: a port outside 1–65535, an x25519 key that is not 32 bytes. */
export class InvalidOnionArgumentError extends OnionError {
  readonly code: string = 'invalid-onion-argument';
  override name = 'InvalidOnionArgumentError';
}
