// Every entry point that reads a file or descriptor the user (or another local process) points us
// at goes through the one bounded reader (src/fs/read-bounded.ts): an endless source (/dev/zero)
// or an oversize file ends in that entry point's typed error, with memory bounded by its limit.
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BridgesFileError,
  BridgesFileTooLargeError,
  readBridgesFile,
} from '../../src/cli/bridges-file.js';
import { readBounded, readBoundedFrom } from '../../src/fs/read-bounded.js';
import { BRIDGE_LIMITS } from '../../src/onion/bridges.js';
import { readAuthCookie } from '../../src/onion/control/authenticate.js';
import { AuthCookieError } from '../../src/onion/control/errors.js';
import { VaultCorruptedError } from '../../src/profile/errors.js';
import {
  MAX_RICOCHET_JSON_BYTES,
  RicochetFileTooLargeError,
  RicochetImportError,
  importRicochetFile,
} from '../../src/profile/import-ricochet.js';
import {
  MAX_PASSPHRASE_BYTES,
  PassphraseFileError,
  PassphraseInputError,
  readPassphraseFd,
  readPassphraseFile,
} from '../../src/profile/passphrase.js';
import { openVault } from '../../src/profile/vault.js';

/** Off-heap bytes (Buffers) `run` (which asserts its own outcome) added, measured after it. */
async function bufferGrowth(run: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage().arrayBuffers;
  await run();
  return process.memoryUsage().arrayBuffers - before;
}

const MiB = 1024 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-bounded-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readBounded', () => {
  it('grows its buffer only as far as the file goes (a large bound is not a large allocation)', async () => {
    await writeFile(join(dir, 'small'), 'abc');
    const got = await readBounded(join(dir, 'small'), 512 * MiB);
    expect(got.bytes.toString()).toBe('abc');
    expect(got.bytes.buffer.byteLength).toBeLessThan(MiB);
  });

  it('reads a file larger than its first chunk whole and zeroes it on wipe()', async () => {
    const text = 'y'.repeat(100_000);
    await writeFile(join(dir, 'mid'), text);
    const got = await readBounded(join(dir, 'mid'), 200_000);
    expect(got.truncated).toBe(false);
    expect(got.bytes.toString()).toBe(text);
    got.wipe();
    expect(got.bytes.every((byte) => byte === 0)).toBe(true);
  });

  it('reads a descriptor from its current position, bounded', async () => {
    const fd = openSync('/dev/zero', 'r');
    try {
      const got = await readBoundedFrom(fd, 10_000);
      expect(got).toMatchObject({ truncated: true });
      expect(got.bytes.length).toBe(10_000);
    } finally {
      closeSync(fd);
    }
  });
});

describe('--bridges FILE', () => {
  it('/dev/zero is a BridgesFileTooLargeError, and memory stays within the bound', async () => {
    const grown = await bufferGrowth(async () => {
      await expect(readBridgesFile('/dev/zero')).rejects.toBeInstanceOf(BridgesFileTooLargeError);
    });
    expect(grown).toBeLessThan(16 * MiB);
  });

  it('an oversize file is a BridgesFileTooLargeError (a BridgesFileError)', async () => {
    const big = join(dir, 'bridges-big');
    await writeFile(big, `# ${'x'.repeat(BRIDGE_LIMITS.textLength)}\n`);
    const error = await readBridgesFile(big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgesFileTooLargeError);
    expect(error).toBeInstanceOf(BridgesFileError);
  });
});

describe('tor auth cookie', () => {
  it('/dev/zero and a 33-byte file are AuthCookieErrors', async () => {
    await expect(readAuthCookie('/dev/zero')).rejects.toBeInstanceOf(AuthCookieError);
    await writeFile(join(dir, 'cookie'), Buffer.alloc(33, 7));
    await expect(readAuthCookie(join(dir, 'cookie'))).rejects.toBeInstanceOf(AuthCookieError);
  });

  it('reads an exact 32-byte cookie', async () => {
    await writeFile(join(dir, 'cookie32'), Buffer.alloc(32, 9));
    expect(Buffer.from(await readAuthCookie(join(dir, 'cookie32')))).toEqual(Buffer.alloc(32, 9));
  });
});

describe('--passphrase-file and --passphrase-fd', () => {
  it('/dev/zero as a file is refused (not a regular file)', async () => {
    await expect(readPassphraseFile('/dev/zero')).rejects.toBeInstanceOf(PassphraseFileError);
  });

  it('an oversize passphrase file is a PassphraseFileError', async () => {
    const path = join(dir, 'pass-big');
    await writeFile(path, 'p'.repeat(MAX_PASSPHRASE_BYTES + 3), { mode: 0o600 });
    await chmod(path, 0o600);
    await expect(readPassphraseFile(path)).rejects.toBeInstanceOf(PassphraseFileError);
  });

  it('/dev/zero as a descriptor is a PassphraseInputError, and memory stays small', async () => {
    const fd = openSync('/dev/zero', 'r');
    try {
      const grown = await bufferGrowth(async () => {
        await expect(readPassphraseFd(fd)).rejects.toBeInstanceOf(PassphraseInputError);
      });
      expect(grown).toBeLessThan(MiB);
    } finally {
      closeSync(fd);
    }
  });

  it('a passphrase file within the bound still reads (one trailing newline dropped)', async () => {
    const path = join(dir, 'pass-ok');
    await writeFile(path, 'correct horse\n', { mode: 0o600 });
    await chmod(path, 0o600);
    expect(await readPassphraseFile(path)).toBe('correct horse');
  });
});

describe('ricochet.json import', () => {
  it('/dev/zero is a RicochetImportError (not a regular file)', async () => {
    await expect(importRicochetFile('/dev/zero')).rejects.toBeInstanceOf(RicochetImportError);
  });

  it('an oversize file is a RicochetFileTooLargeError', async () => {
    const path = join(dir, 'ricochet.json');
    await writeFile(path, ' '.repeat(MAX_RICOCHET_JSON_BYTES + 1));
    await expect(importRicochetFile(path)).rejects.toBeInstanceOf(RicochetFileTooLargeError);
  });
});

describe('vault', () => {
  it('/dev/zero is a VaultCorruptedError (not a regular file), never a read', async () => {
    const grown = await bufferGrowth(async () => {
      await expect(openVault('/dev/zero', null)).rejects.toBeInstanceOf(VaultCorruptedError);
    });
    expect(grown).toBeLessThan(MiB);
  });
});
