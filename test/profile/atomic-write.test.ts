import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStrayTempFiles, writeFileAtomic } from '../../src/profile/atomic-write.js';
import { tempDir } from './helpers.js';

describe('writeFileAtomic', () => {
  it('writes 0600 files and keeps the replaced version as .prev', async () => {
    const dir = await tempDir();
    const target = join(dir, 'vault.sotto');
    await writeFileAtomic(target, Buffer.from('one'));
    expect(await readdir(dir)).toEqual(['vault.sotto']);
    await writeFileAtomic(target, Buffer.from('two'));
    await writeFileAtomic(target, Buffer.from('three'));
    expect(await readFile(target, 'utf8')).toBe('three');
    expect(await readFile(`${target}.prev`, 'utf8')).toBe('two');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect((await stat(`${target}.prev`)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['vault.sotto', 'vault.sotto.prev']);
  });

  it('is 0600 even when the old file had a looser mode', async () => {
    const dir = await tempDir();
    const target = join(dir, 'f');
    await writeFile(target, 'old', { mode: 0o644 });
    await writeFileAtomic(target, Buffer.from('new'));
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('without keepPrevious leaves no .prev', async () => {
    const dir = await tempDir();
    const target = join(dir, 'f');
    await writeFileAtomic(target, Buffer.from('a'), { keepPrevious: false });
    await writeFileAtomic(target, Buffer.from('b'), { keepPrevious: false });
    expect(await readdir(dir)).toEqual(['f']);
  });

  it('a failed write leaves the target and no temp file', async () => {
    const dir = await tempDir();
    const target = join(dir, 'f');
    await writeFileAtomic(target, Buffer.from('good'));
    // A directory in the way: the temp file is written, then linking/renaming over it fails.
    const blocked = join(dir, 'sub');
    await mkdir(blocked);
    await expect(writeFileAtomic(blocked, Buffer.from('y'))).rejects.toThrow();
    expect(await readFile(target, 'utf8')).toBe('good');
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('removeStrayTempFiles removes only this target’s temp files', async () => {
    const dir = await tempDir();
    const target = join(dir, 'vault.sotto');
    await writeFile(join(dir, 'vault.sotto.tmp-12-abcd'), 'partial');
    await writeFile(join(dir, 'other.tmp-12-abcd'), 'x');
    expect(await removeStrayTempFiles(target)).toEqual(['vault.sotto.tmp-12-abcd']);
    expect(await readdir(dir)).toEqual(['other.tmp-12-abcd']);
  });
});
