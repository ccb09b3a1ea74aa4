// Crash leftovers in the downloads directory (src/core/downloads.ts removeStalePartials): only a
// `<name>.part` with its empty placeholder `<name>` is ours and removed; anything else stays.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStalePartials } from '../../src/core/downloads.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('removeStalePartials', () => {
  it('removes our .part + empty placeholder pairs and nothing else', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-stale-'));
    await writeFile(join(dir, 'report.pdf'), '');
    await writeFile(join(dir, 'report.pdf.part'), 'half a file');
    await writeFile(join(dir, 'kept.txt'), 'a finished download');
    await writeFile(join(dir, 'kept.txt.part'), 'not ours: its final file is not empty');
    await writeFile(join(dir, 'lonely.part'), 'no placeholder: not ours');
    await mkdir(join(dir, 'folder.part'));
    await writeFile(join(dir, 'folder'), '');
    await writeFile(join(dir, '.part'), 'odd name');
    expect(await removeStalePartials(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(
      ['.part', 'folder', 'folder.part', 'kept.txt', 'kept.txt.part', 'lonely.part'].sort(),
    );
  });

  it('never throws for a missing directory', async () => {
    expect(await removeStalePartials(join(tmpdir(), 'sotto-no-such-dir-x'))).toBe(0);
  });
});
