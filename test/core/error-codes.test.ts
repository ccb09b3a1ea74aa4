// Every headless command error code (docs/HEADLESS.md) pinned to the error class that carries it:
// the code comes from the class, so renaming a class (or its `name`) cannot change the API, and an
// error class that front ends must not see stays `internal`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMAND_ERROR_CODES } from '../../src/api/core-api.js';
import {
  ContactBookError,
  ContactBookFullError,
  ContactExistsError,
  SelfContactError,
  UnknownContactError,
} from '../../src/contacts/contact-book.js';
import {
  BlockListFullError,
  IncomingRequestsError,
  UnknownRequestError,
} from '../../src/contacts/incoming-requests.js';
import {
  InvalidMessageTextError,
  InvalidNicknameError,
  InvalidTextError,
} from '../../src/contacts/text-rules.js';
import { UnknownCommandError } from '../../src/core/commands.js';
import {
  DownloadError,
  DownloadNamesExhaustedError,
  DownloadStateError,
  UnsafeDownloadsDirError,
} from '../../src/core/downloads.js';
import { errorEvent } from '../../src/core/error-events.js';
import { InvalidIdentityOnlineError } from '../../src/core/identity-onion.js';
import {
  FileTransferError,
  PeerOfflineError,
  UnknownTransferError,
} from '../../src/core/file-transfers.js';
import {
  SendQueueError,
  SendQueueFormatError,
  SendQueueFullError,
  UnknownMessageError,
} from '../../src/core/send-queue.js';
import { IdentityKeyWipedError, InvalidKeyBlobError } from '../../src/identity/identity-key.js';
import {
  AddressBase32Error,
  AddressChecksumError,
  AddressFormatError,
  AddressLengthError,
  AddressPublicKeyError,
  AddressVersionError,
  InvalidAddressError,
} from '../../src/identity/service-id.js';
import { HistoryLogUnreadableError, VaultClosedError } from '../../src/profile/errors.js';
import { ProtocolViolationError } from '../../src/protocol/errors.js';
import { MessageNotSavedError } from '../../src/core/history-writer.js';

type ErrorClass = new (message: string) => Error;

/** The headless code of each error class a command can throw (docs/HEADLESS.md). */
const PINNED: readonly (readonly [ErrorClass, string])[] = [
  [InvalidAddressError, 'invalid-address'],
  [AddressFormatError, 'invalid-address'],
  [AddressLengthError, 'invalid-address'],
  [AddressBase32Error, 'invalid-address'],
  [AddressVersionError, 'invalid-address'],
  [AddressChecksumError, 'invalid-address'],
  [AddressPublicKeyError, 'invalid-address'],
  [ContactBookError, 'invalid-address'],
  [InvalidNicknameError, 'invalid-nickname'],
  [InvalidTextError, 'invalid-text'],
  [InvalidMessageTextError, 'invalid-text'],
  [ContactExistsError, 'contact-exists'],
  [UnknownContactError, 'unknown-contact'],
  [SelfContactError, 'self-contact'],
  [ContactBookFullError, 'too-many-contacts'],
  [UnknownRequestError, 'unknown-request'],
  [BlockListFullError, 'block-list-full'],
  [SendQueueFullError, 'queue-full'],
  [UnknownMessageError, 'unknown-message'],
  [UnsafeDownloadsDirError, 'unsafe-downloads-dir'],
  [DownloadNamesExhaustedError, 'no-free-file-name'],
  [DownloadError, 'download-failed'],
  [DownloadStateError, 'download-failed'],
  [PeerOfflineError, 'peer-offline'],
  [UnknownTransferError, 'unknown-transfer'],
  [FileTransferError, 'file-error'],
  [UnknownCommandError, 'unknown-command'],
  [InvalidIdentityOnlineError, 'invalid-identity-online'],
  [HistoryLogUnreadableError, 'history-log-unreadable'],
  [MessageNotSavedError, 'message-not-saved'],
];

/** Errors a front end never sees the code of: they are `internal`. */
const INTERNAL: readonly ErrorClass[] = [
  IncomingRequestsError,
  SendQueueError,
  SendQueueFormatError,
  InvalidKeyBlobError,
  IdentityKeyWipedError,
  VaultClosedError,
  ProtocolViolationError,
];

describe('headless error codes come from the error classes', () => {
  it.each(PINNED.map(([cls, code]) => [cls.name, cls, code] as const))(
    '%s → its code',
    (_name, cls, code) => {
      const error = new cls('what went wrong');
      expect(errorEvent(error)).toEqual({ type: 'error', code, message: 'what went wrong' });
    },
  );

  it('keeps the code when the class (or its name) is renamed', () => {
    const error = new UnknownContactError('no such contact');
    error.name = 'RenamedError';
    expect(errorEvent(error).code).toBe('unknown-contact');
    class RenamedQueueFull extends SendQueueFullError {
      override name = 'SomethingElse';
    }
    expect(errorEvent(new RenamedQueueFull('full')).code).toBe('queue-full');
  });

  it('does not give a code to an unrelated error that merely has the same name', () => {
    class InvalidAddressError extends Error {
      override name = 'InvalidAddressError';
    }
    expect(errorEvent(new InvalidAddressError('x')).code).toBe('internal');
  });

  it.each(INTERNAL.map((cls) => [cls.name, cls] as const))('%s → internal', (_name, cls) => {
    expect(errorEvent(new cls('/home/me/secret path'))).toEqual({
      type: 'error',
      code: 'internal',
      message: 'internal error',
    });
  });

  it('lists exactly the codes docs/HEADLESS.md documents for command errors', () => {
    const doc = readFileSync(new URL('../../docs/HEADLESS.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Command error codes'), doc.indexOf('## Commands'));
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    const codeCells = rows.map((row) => row.split('|')[1] ?? '');
    const documented = codeCells.flatMap((cell) =>
      [...cell.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]),
    );
    expect(new Set(documented)).toEqual(new Set(COMMAND_ERROR_CODES));
    const pinned = new Set([...PINNED.map(([, code]) => code), 'storage-failed', 'internal']);
    expect(pinned).toEqual(new Set(COMMAND_ERROR_CODES));
  });
});
