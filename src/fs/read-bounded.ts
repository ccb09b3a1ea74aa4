// Reading a small file whose size we do not trust (tor's control-port file, a lock file, a torrc
// snippet): at most `maxBytes + 1` bytes are ever allocated, whatever the file (or /dev/zero) holds.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export interface BoundedRead {
  /** The first bytes of the file, at most `maxBytes`. */
  readonly bytes: Buffer;
  /** The file holds more than `maxBytes` bytes. */
  readonly truncated: boolean;
}

/** Reads at most `maxBytes` of `path`; `noFollow` refuses a symlink (ELOOP). */
export async function readBounded(
  path: string,
  maxBytes: number,
  options: { readonly noFollow?: boolean } = {},
): Promise<BoundedRead> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('bad maxBytes');
  const flags = constants.O_RDONLY | (options.noFollow === true ? constants.O_NOFOLLOW : 0);
  const handle = await open(path, flags);
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const truncated = length > maxBytes;
    return { bytes: buffer.subarray(0, Math.min(length, maxBytes)), truncated };
  } finally {
    await handle.close();
  }
}
