// Typed errors of the encrypted profile (vault, profile directory, lock, passphrase input,
// Ricochet import). Callers branch on the class, never on the message text.

/** The base of every error raised by src/profile/: each class carries a stable `code`. */
export abstract class ProfileError extends Error {
  /** Stable machine-readable cause, e.g. `wrong-passphrase`; a renamed class keeps it. */
  abstract readonly code: string;
}

export type VaultCorruptionReason =
  | 'truncated'
  | 'bad-magic'
  | 'bad-header'
  | 'kdf-params-out-of-bounds'
  | 'too-large'
  | 'tag-mismatch'
  | 'bad-state';

/**
 * The authentication tag did not verify. With a passphrase-derived key this cannot tell a wrong
 * passphrase from a damaged file, and the message says so honestly.
 */
export class WrongPassphraseError extends ProfileError {
  readonly code: string = 'wrong-passphrase';
  override name = 'WrongPassphraseError';
  constructor(options?: ErrorOptions) {
    super('wrong passphrase or corrupted file', options);
  }
}

/** The file is not a complete, well-formed Sotto vault (or its decrypted state is invalid). */
export class VaultCorruptedError extends ProfileError {
  readonly code: string = 'vault-corrupted';
  override name = 'VaultCorruptedError';
  readonly reason: VaultCorruptionReason;
  /** True when `<vault>.prev` exists, so the caller can offer to open the previous version. */
  readonly previousVersionAvailable: boolean;
  constructor(
    reason: VaultCorruptionReason,
    detail: string,
    previousVersionAvailable = false,
    options?: ErrorOptions,
  ) {
    super(`vault is corrupted (${reason}): ${detail}`, options);
    this.reason = reason;
    this.previousVersionAvailable = previousVersionAvailable;
  }
}

/** The vault was written by a format version this build does not understand. */
export class VaultVersionError extends ProfileError {
  readonly code: string = 'vault-version';
  override name = 'VaultVersionError';
  readonly version: number;
  constructor(version: number, what = 'vault format') {
    super(`unsupported ${what} version ${version}`);
    this.version = version;
  }
}

/** No vault file exists at the path. */
export class VaultNotFoundError extends ProfileError {
  readonly code: string = 'vault-not-found';
  override name = 'VaultNotFoundError';
  readonly previousVersionAvailable: boolean;
  constructor(path: string, previousVersionAvailable: boolean, options?: ErrorOptions) {
    super(`no vault at ${path}`, options);
    this.previousVersionAvailable = previousVersionAvailable;
  }
}

/** A vault already exists where a new one was to be created. */
export class VaultExistsError extends ProfileError {
  readonly code: string = 'vault-exists';
  override name = 'VaultExistsError';
  constructor(path: string) {
    super(`a vault already exists at ${path}`);
  }
}

/** Another live Sotto process holds the profile lock. */
export class VaultLockedError extends ProfileError {
  readonly code: string = 'vault-locked';
  override name = 'VaultLockedError';
  readonly pid: number | null;
  constructor(lockPath: string, pid: number | null) {
    super(
      pid === null
        ? `profile is locked (${lockPath})`
        : `profile is in use by another Sotto process (pid ${pid}); lock file ${lockPath}`,
    );
    this.pid = pid;
  }
}

/** The vault object was used after close(). */
export class VaultClosedError extends ProfileError {
  readonly code: string = 'vault-closed';
  override name = 'VaultClosedError';
  constructor() {
    super('vault is closed');
  }
}

/** The profile directory is unsafe (permissions, owner, not a directory). */
export class ProfileDirError extends ProfileError {
  readonly code: string = 'profile-dir';
  override name = 'ProfileDirError';
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/** Quote a path for a shell command shown in an error message (`chmod 700 '…'`). */
export function shellQuote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

export type SealedLogCorruptionReason =
  'bad-magic' | 'truncated' | 'wrong-log' | 'bad-length' | 'too-large' | 'tag-mismatch';

/**
 * A sealed log (history, queue journal) is damaged before its last record, belongs to another
 * log, or is larger than allowed. A torn last record is not an error (it is dropped and reported).
 */
export class SealedLogCorruptedError extends ProfileError {
  readonly code: string = 'log-corrupted';
  override name = 'SealedLogCorruptedError';
  readonly reason: SealedLogCorruptionReason;
  constructor(reason: SealedLogCorruptionReason, detail: string, options?: ErrorOptions) {
    super(`log is corrupted (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}

/** The log was used after close(). */
export class SealedLogClosedError extends ProfileError {
  readonly code: string = 'log-closed';
  override name = 'SealedLogClosedError';
  constructor() {
    super('log is closed');
  }
}

/**
 * A conversation's history log could not be opened at load nor at its first use. Its file and key
 * are kept as they are (never replaced, never removed but by the user's own deletion); new
 * changes of that conversation are not saved while it stays unreadable.
 */
export class HistoryLogUnreadableError extends ProfileError {
  readonly code: string = 'history-log-unreadable';
  override name = 'HistoryLogUnreadableError';
  constructor(
    message = 'the saved history of this conversation could not be read; it is kept as it is, ' +
      'and new messages are not added to it',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
