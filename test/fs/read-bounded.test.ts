import { appendFile, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBounded, readTail } from '../../src/fs/read-bounded.js';

describe('readBounded', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-read-bounded-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a file within the bound whole', async () => {
    await writeFile(join(dir, 'small'), 'PORT=127.0.0.1:9051\n');
    const got = await readBounded(join(dir, 'small'), 64);
    expect(got.truncated).toBe(false);
    expect(got.bytes.toString()).toBe('PORT=127.0.0.1:9051\n');
  });

  it('reads exactly the bound without calling it truncated', async () => {
    await writeFile(join(dir, 'exact'), 'x'.repeat(64));
    expect(await readBounded(join(dir, 'exact'), 64)).toMatchObject({ truncated: false });
  });

  it('stops at the bound on an endless file (/dev/zero) and says it was truncated', async () => {
    const got = await readBounded('/dev/zero', 4096);
    expect(got.truncated).toBe(true);
    expect(got.bytes.length).toBe(4096);
  });

  it('refuses a symlink when asked not to follow', async () => {
    await writeFile(join(dir, 'target'), '123');
    await symlink(join(dir, 'target'), join(dir, 'link'));
    await expect(readBounded(join(dir, 'link'), 64, { noFollow: true })).rejects.toMatchObject({
      code: 'ELOOP',
    });
    expect((await readBounded(join(dir, 'link'), 64)).bytes.toString()).toBe('123');
  });
});

describe('readTail', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-read-tail-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads only the end of a huge file (a 4 GiB sparse log costs the bound, not the file)', async () => {
    const path = join(dir, 'huge.log');
    await writeFile(path, '');
    await truncate(path, 4 * 1024 ** 3);
    await appendFile(path, 'first\nBootstrapped 5%\nlast line\n');
    const got = await readTail(path, 1024);
    expect(got.truncated).toBe(true);
    expect(got.bytes.length).toBe(1024);
    expect(got.bytes.toString().endsWith('Bootstrapped 5%\nlast line\n')).toBe(true);
  });

  it('reads a short file whole and says so', async () => {
    await writeFile(join(dir, 'short.log'), 'a\nb\n');
    const got = await readTail(join(dir, 'short.log'), 1024);
    expect(got).toMatchObject({ truncated: false });
    expect(got.bytes.toString()).toBe('a\nb\n');
  });

  it('gives an empty tail for a device that reports no size (/dev/zero)', async () => {
    expect((await readTail('/dev/zero', 1024)).bytes.length).toBe(0);
  });
});
