// Maps the core's typed errors to the stable `code` of an `error` event (docs/HEADLESS.md), so
// front ends and scripts branch on codes, never on message text. Unknown errors become `internal`
// with a generic message (their text may carry paths or peer data; it goes to the debug log only).

import type { CoreEvent } from '../api/core-api.js';
import { HeadlessError } from './headless-codec.js';

/** Error class name → event code. Subclasses are matched by their own `name`. */
export const ERROR_CODES: Readonly<Record<string, string>> = {
  InvalidNicknameError: 'invalid-nickname',
  InvalidMessageTextError: 'invalid-text',
  InvalidTextError: 'invalid-text',
  ContactExistsError: 'contact-exists',
  UnknownContactError: 'unknown-contact',
  SelfContactError: 'self-contact',
  ContactBookFullError: 'too-many-contacts',
  ContactBookError: 'invalid-address',
  UnknownRequestError: 'unknown-request',
  BlockListFullError: 'block-list-full',
  SendQueueFullError: 'queue-full',
  UnknownMessageError: 'unknown-message',
  UnsafeDownloadsDirError: 'unsafe-downloads-dir',
  DownloadNamesExhaustedError: 'no-free-file-name',
  DownloadError: 'download-failed',
  InvalidAddressError: 'invalid-address',
  PeerOfflineError: 'peer-offline',
  UnknownTransferError: 'unknown-transfer',
  FileTransferError: 'file-error',
  UnknownCommandError: 'unknown-command',
};

/** File-system failures a user can act on (saving the vault, writing a download). */
const STORAGE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an input/output error occurred',
};

/** `storage-failed` for an errno error from a file-system call; no path in the message. */
function storageEvent(error: Error): ErrorEvent | undefined {
  const { code, syscall } = error as NodeJS.ErrnoException;
  const problem = code === undefined ? undefined : STORAGE_PROBLEMS[code];
  if (problem === undefined || typeof syscall !== 'string') return undefined;
  return {
    type: 'error',
    code: 'storage-failed',
    message: `could not write to disk: ${problem} (${code}); nothing was lost from memory`,
  };
}

/** The `error` event for anything a command handler threw. */
export type ErrorEvent = Extract<CoreEvent, { type: 'error' }>;

export function errorEvent(error: unknown): ErrorEvent {
  if (error instanceof HeadlessError) {
    return { type: 'error', code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    const code = ERROR_CODES[error.name];
    if (code !== undefined) return { type: 'error', code, message: error.message };
    // H1's InvalidAddressError subclasses carry their own names; match on the prototype chain.
    for (let p: unknown = Object.getPrototypeOf(error); p !== null && p !== Error.prototype;) {
      const name = (p as { constructor?: { name?: unknown } }).constructor?.name;
      const inherited = typeof name === 'string' ? ERROR_CODES[name] : undefined;
      if (inherited !== undefined)
        return { type: 'error', code: inherited, message: error.message };
      p = Object.getPrototypeOf(p);
    }
    const storage = storageEvent(error);
    if (storage !== undefined) return storage;
  }
  return { type: 'error', code: 'internal', message: 'internal error' };
}
