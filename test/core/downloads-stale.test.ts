// Crash leftovers in the downloads directory (src/core/downloads.ts removeStalePartials): only a
// 0600 `<name>.sotto-part` with its empty placeholder `<name>` is ours and removed; anything else
// stays, in particular a user's finished `x.part` next to an empty `x`.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PART_SUFFIX,
  removeStalePartials,
  sanitizeFileName,
  startDownload,
} from '../../src/core/downloads.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ours(name: string, data: string): Promise<void> {
  await writeFile(join(dir, name), data, { mode: 0o600 });
  await chmod(join(dir, name), 0o600);
}

describe('removeStalePartials', () => {
  it('removes our .sotto-part + empty placeholder pairs and nothing else', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-stale-'));
    await writeFile(join(dir, 'report.pdf'), '');
    await ours('report.pdf.sotto-part', 'half a file');
    await writeFile(join(dir, 'kept.txt'), 'a finished download');
    await ours('kept.txt.sotto-part', 'not ours: its final file is not empty');
    await ours('lonely.sotto-part', 'no placeholder: not ours');
    await mkdir(join(dir, 'folder.sotto-part'));
    await writeFile(join(dir, 'folder'), '');
    await ours('.sotto-part', 'odd name');
    await writeFile(join(dir, 'shared'), '');
    await writeFile(join(dir, 'shared.sotto-part'), 'mode 0644: not created by us', {
      mode: 0o644,
    });
    await chmod(join(dir, 'shared.sotto-part'), 0o644);
    expect(await removeStalePartials(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(
      [
        '.sotto-part',
        'folder',
        'folder.sotto-part',
        'kept.txt',
        'kept.txt.sotto-part',
        'lonely.sotto-part',
        'shared',
        'shared.sotto-part',
      ].sort(),
    );
  });

  it('never deletes a completed download named x.part next to an empty user file x', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-stale-'));
    await writeFile(join(dir, 'notes'), ''); // the user's own empty file
    const d = await startDownload(dir, 'notes.part');
    await d.handle.write(Buffer.from('finished download'));
    expect(await d.complete()).toBe(join(dir, 'notes.part'));
    expect(await removeStalePartials(dir)).toBe(0);
    expect(await readFile(join(dir, 'notes.part'), 'utf8')).toBe('finished download');
    expect(await readFile(join(dir, 'notes'), 'utf8')).toBe('');
  });

  it('a peer cannot name a download so that it looks like our partial', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-stale-'));
    expect(sanitizeFileName('x.sotto-part')).toBe('x_sotto-part');
    expect(sanitizeFileName('x.SOTTO-PART')).toBe('x_SOTTO-PART');
    expect(sanitizeFileName(`x${PART_SUFFIX} `)).toBe('x_sotto-part');
    await writeFile(join(dir, 'x'), '');
    const d = await startDownload(dir, 'x.sotto-part');
    await d.handle.write(Buffer.from('payload'));
    expect(await d.complete()).toBe(join(dir, 'x_sotto-part'));
    expect(await removeStalePartials(dir)).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['x', 'x_sotto-part']);
  });

  it('never throws for a missing directory', async () => {
    expect(await removeStalePartials(join(tmpdir(), 'sotto-no-such-dir-x'))).toBe(0);
  });
});
