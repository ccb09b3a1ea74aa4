import { describe, expect, it } from 'vitest';
import { errorEvent } from '../../src/core/error-events.js';
import { HeadlessError } from '../../src/core/headless-codec.js';
import { UnknownCommandError } from '../../src/core/commands.js';
import {
  FileTransferError,
  PeerOfflineError,
  UnknownTransferError,
} from '../../src/core/file-transfers.js';
import { InvalidNicknameError } from '../../src/contacts/text-rules.js';
import { ContactBook, UnknownContactError } from '../../src/contacts/contact-book.js';
import { SendQueue, SendQueueFullError } from '../../src/core/send-queue.js';
import { AddressChecksumError } from '../../src/identity/service-id.js';

describe('errorEvent', () => {
  it('maps the file-transfer and command errors to their codes', () => {
    const cases: [Error, string][] = [
      [new PeerOfflineError('the contact is not online'), 'peer-offline'],
      [new UnknownTransferError('no in transfer 3'), 'unknown-transfer'],
      [new FileTransferError('only regular files can be sent'), 'file-error'],
      [new UnknownCommandError('unknown command'), 'unknown-command'],
    ];
    for (const [error, code] of cases) {
      expect(errorEvent(error)).toEqual({ type: 'error', code, message: error.message });
    }
  });

  it('maps typed errors to stable codes', () => {
    expect(errorEvent(new InvalidNicknameError('bad'))).toEqual({
      type: 'error',
      code: 'invalid-nickname',
      message: 'bad',
    });
    expect(errorEvent(new UnknownContactError('x')).type).toBe('error');
    expect(errorEvent(new HeadlessError('bad-json', 'nope'))).toMatchObject({ code: 'bad-json' });
    const q = new SendQueue({ maxPending: 1 });
    q.enqueue('a', 0);
    let thrown: unknown;
    try {
      q.enqueue('b', 0);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SendQueueFullError);
    expect(errorEvent(thrown)).toMatchObject({ code: 'queue-full' });
    expect(() => new ContactBook().rename('ricochet:x', 'a')).toThrow(UnknownContactError);
  });

  it('matches subclasses by their ancestors, and hides unknown errors', () => {
    expect(errorEvent(new AddressChecksumError('checksum')).code).toBe('invalid-address');
    expect(errorEvent(new Error('/home/me/secret path'))).toEqual({
      type: 'error',
      code: 'internal',
      message: 'internal error',
    });
    expect(errorEvent('string')).toMatchObject({ code: 'internal' });
  });
});
