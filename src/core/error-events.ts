// Turns what a command handler threw into an `error` event (docs/HEADLESS.md): the stable `code`
// comes from the error class itself (a renamed class keeps its code), so front ends and scripts
// branch on codes, never on message text. Unknown errors become `internal` with a generic message
// (their text may carry paths or peer data; it goes to the debug log only).

import { COMMAND_ERROR_CODES, type CommandErrorCode, type CoreEvent } from '../api/core-api.js';
import { ContactsError } from '../contacts/errors.js';
import { IdentityError } from '../identity/errors.js';
import { ProfileError } from '../profile/errors.js';
import { CoreError } from './errors.js';
import { HeadlessError } from './headless-codec.js';

/** A code a command error may carry to front ends (the others are reported as `internal`). */
const COMMAND_CODES: ReadonlySet<string> = new Set<CommandErrorCode>(COMMAND_ERROR_CODES);

/** The code an error of ours carries (contacts, core, identity, profile), if front ends see it. */
function commandCode(error: Error): string | undefined {
  const layered =
    error instanceof ContactsError ||
    error instanceof CoreError ||
    error instanceof IdentityError ||
    error instanceof ProfileError;
  return layered && COMMAND_CODES.has(error.code) ? error.code : undefined;
}

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
    const code = commandCode(error);
    if (code !== undefined) return { type: 'error', code, message: error.message };
    const storage = storageEvent(error);
    if (storage !== undefined) return storage;
  }
  return { type: 'error', code: 'internal', message: 'internal error' };
}
