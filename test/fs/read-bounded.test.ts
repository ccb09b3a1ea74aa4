import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBounded } from '../../src/fs/read-bounded.js';

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
