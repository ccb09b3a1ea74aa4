// The file a user sends (notes "File transfer", im.ricochet.file-transfer offer): the name the
// peer is offered, the regular file opened without ever blocking, and its SHA3-512 hash read in
// 1 MiB blocks (the offer carries it; the receiver verifies the whole file against it).
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { isSafeFileName, MAX_FILE_NAME_LENGTH } from '../protocol/limits.js';
import { FileTransferError } from './file-errors.js';

/** The name offered for `path`: its base name, unsafe characters replaced, else 'file'. */
export function offeredFileName(path: string): string {
  let name = basename(path);
  if (!isSafeFileName(name)) name = name.replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(0, 200);
  if (!isSafeFileName(name) || name.length > MAX_FILE_NAME_LENGTH) name = 'file';
  return name;
}

/** SHA3-512 of the first `size` bytes of `file`; a file that shrank meanwhile is an error. */
export async function hashFile(file: FileHandle, size: number): Promise<Uint8Array> {
  const hasher = createHash('sha3-512'); // native: ~20x the pure-JS hash
  const buffer = Buffer.alloc(1 << 20);
  for (let offset = 0; offset < size;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
    if (bytesRead === 0) throw new FileTransferError('the file shrank while hashing');
    hasher.update(buffer.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return new Uint8Array(hasher.digest());
}

/**
 * Opens a file to send without ever blocking: a FIFO, device or socket would make open()/read()
 * wait forever (stalling every later command), so the path is stat'ed first and only a regular
 * file is opened, O_NONBLOCK in case it was swapped meanwhile; the handle must be that same file.
 * Symlinks are followed (the user named the path), so no O_NOFOLLOW.
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  const before = await stat(path).catch((cause: unknown) => {
    throw new FileTransferError('cannot open the file to send', { cause });
  });
  if (!before.isFile()) throw new FileTransferError('only regular files can be sent');
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(
    (cause: unknown) => {
      throw new FileTransferError('cannot open the file to send', { cause });
    },
  );
  const after = await file.stat().catch(async (cause: unknown) => {
    await file.close();
    throw new FileTransferError('cannot open the file to send', { cause });
  });
  if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
    await file.close();
    throw new FileTransferError('the file changed while it was opened');
  }
  return file;
}
