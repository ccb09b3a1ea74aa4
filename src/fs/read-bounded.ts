// The one way Sotto reads a file (or descriptor) whose size it does not trust: tor's control-port
// file and auth cookie, the profile lock, --torrc-extra, --bridges, --passphrase-file/-fd, a
// ricochet.json, the vault. At most `maxBytes + 1` bytes are ever allocated, whatever the file
// (or /dev/zero, a FIFO, a file growing meanwhile) holds; the buffer grows by doubling from a small
// start (or from the size stat reported), so a 512 MiB bound does not mean a 512 MiB allocation.
import { constants, read as readCallback } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';

export interface BoundedRead {
  /** The first bytes of the file, at most `maxBytes`. */
  readonly bytes: Buffer;
  /** The file holds more than `maxBytes` bytes. */
  readonly truncated: boolean;
  /** Zeroes every byte read (for secrets: passphrases, cookies, key files). */
  wipe(): void;
}

export interface BoundedReadOptions {
  /** Expected size (e.g. from fstat) to allocate once; still never more than `maxBytes + 1`. */
  readonly sizeHint?: number;
}

/** A descriptor from the caller (e.g. `--passphrase-fd`), read from its current position. */
export type ReadSource = FileHandle | number;

const FIRST_CHUNK = 16 * 1024;
const readFd = promisify(readCallback);

function readInto(source: ReadSource, buffer: Buffer, offset: number): Promise<number> {
  const length = buffer.length - offset;
  if (typeof source === 'number') {
    return readFd(source, buffer, offset, length, null).then((r) => r.bytesRead);
  }
  return source.read(buffer, offset, length, null).then((r) => r.bytesRead);
}

function checkBound(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('bad maxBytes');
}

/** Reads at most `maxBytes` from an open handle or descriptor (from its current position). */
export async function readBoundedFrom(
  source: ReadSource,
  maxBytes: number,
  options: BoundedReadOptions = {},
): Promise<BoundedRead> {
  checkBound(maxBytes);
  const cap = maxBytes + 1;
  const hint = options.sizeHint;
  const first = hint !== undefined && Number.isSafeInteger(hint) && hint >= 0 ? hint + 1 : 0;
  let buffer = Buffer.alloc(Math.min(cap, Math.max(first, Math.min(FIRST_CHUNK, cap))));
  let length = 0;
  try {
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length === cap) break;
        const bigger = Buffer.alloc(Math.min(cap, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer.fill(0);
        buffer = bigger;
      }
      const bytesRead = await readInto(source, buffer, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
  } catch (error) {
    buffer.fill(0);
    throw error;
  }
  const whole = buffer;
  return {
    bytes: whole.subarray(0, Math.min(length, maxBytes)),
    truncated: length > maxBytes,
    wipe: () => whole.fill(0),
  };
}

/** Reads at most `maxBytes` of `path`; `noFollow` refuses a symlink (ELOOP). */
export async function readBounded(
  path: string,
  maxBytes: number,
  options: BoundedReadOptions & { readonly noFollow?: boolean } = {},
): Promise<BoundedRead> {
  checkBound(maxBytes);
  const flags = constants.O_RDONLY | (options.noFollow === true ? constants.O_NOFOLLOW : 0);
  const handle = await open(path, flags);
  try {
    return await readBoundedFrom(handle, maxBytes, options);
  } finally {
    await handle.close();
  }
}

/**
 * The last `maxBytes` of the regular file `path` (fewer when it is shorter), read from the end so
 * a log of any size costs `maxBytes` at most. `truncated`: the file holds more before `bytes`.
 */
export async function readTail(
  path: string,
  maxBytes: number,
): Promise<{ readonly bytes: Buffer; readonly truncated: boolean }> {
  checkBound(maxBytes);
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(
        buffer,
        filled,
        length - filled,
        size - length + filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: buffer.subarray(0, filled), truncated: size > length };
  } finally {
    await handle.close();
  }
}
