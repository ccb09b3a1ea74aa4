import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DownloadStateError,
  MAX_NAME_BYTES,
  UnsafeDownloadsDirError,
  sanitizeFileName,
  startDownload,
} from '../../src/core/downloads.js';

describe('sanitizeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\evil.exe', 'evil.exe'],
    ['/abs/path/photo.jpg', 'photo.jpg'],
    ['.bashrc', 'bashrc'],
    ['...', 'download'],
    ['', 'download'],
    ['a\u0000b\u0007c.txt', 'abc.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['zero\u200Bwidth.txt', 'zerowidth.txt'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['lpt1.tar', '_lpt1.tar'],
    ['what?<>:"|*.txt', 'what_______.txt'],
    ['trailing. . ', 'trailing'],
    ['line\nbreak.txt', 'linebreak.txt'],
    ['e\u0301te\u0301.txt', 'été.txt'],
    ['lone\ud800.txt', 'lone.txt'],
    ['x\ufffe.txt', 'x.txt'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('bounds the length in UTF-8 bytes and keeps the extension', () => {
    const long = sanitizeFileName('é'.repeat(300) + '.tar');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(long.endsWith('.tar')).toBe(true);
    const emoji = sanitizeFileName('😀'.repeat(100));
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(emoji).toBe('😀'.repeat(50));
  });

  it('property: any string gives a short, non-empty, single, visible path component', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const name = sanitizeFileName(s);
        expect(name.length).toBeGreaterThan(0);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
        expect(name).not.toMatch(/[/\\\p{Cc}\p{Cf}<>:"|?*]/u);
        expect(name.startsWith('.')).toBe(false);
        expect(name).not.toMatch(/[.\s]$/u);
        expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // no lone surrogates
        expect(sanitizeFileName(name)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('startDownload (real files)', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sotto-downloads-'));
    dir = join(root, 'Downloads');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates a 0700 directory and a 0600 .sotto-part file, then renames on completion', async () => {
    const d = await startDownload(dir, '../secret plans.pdf');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(d.partPath).toBe(join(dir, 'secret plans.pdf.sotto-part'));
    expect((await stat(d.partPath)).mode & 0o777).toBe(0o600);
    await d.handle.write(Buffer.from('payload'));
    expect(await d.complete()).toBe(join(dir, 'secret plans.pdf'));
    expect(await readFile(join(dir, 'secret plans.pdf'), 'utf8')).toBe('payload');
    expect((await stat(d.finalPath)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['secret plans.pdf']);
    await expect(d.complete()).rejects.toBeInstanceOf(DownloadStateError);
  });

  it('never overwrites: existing names and concurrent downloads get (1), (2)…', async () => {
    await startDownload(dir, 'x').then((d) => d.abort());
    await writeFile(join(dir, 'a.txt'), 'mine');
    await writeFile(join(dir, 'a (1).txt.sotto-part'), 'someone else');
    const [d1, d2] = await Promise.all([startDownload(dir, 'a.txt'), startDownload(dir, 'a.txt')]);
    const names = [d1.finalPath, d2.finalPath].map((p) => p.slice(dir.length + 1)).sort();
    expect(names).toEqual(['a (2).txt', 'a (3).txt']);
    await d1.handle.write(Buffer.from('new'));
    await d1.complete();
    await d2.abort();
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(dir, 'a (1).txt.sotto-part'), 'utf8')).toBe('someone else');
    const kept = d1.finalPath.slice(dir.length + 1);
    expect(await readFile(d1.finalPath, 'utf8')).toBe('new');
    expect((await readdir(dir)).sort()).toEqual(['a (1).txt.sotto-part', kept, 'a.txt'].sort());
  });

  it('deletes everything on abort, and abort is idempotent', async () => {
    const d = await startDownload(dir, 'gone.bin');
    await d.handle.write(Buffer.alloc(100));
    await d.abort();
    await d.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('tightens a too-open directory and refuses a symlink or a file in its place', async () => {
    await startDownload(dir, 'x').then((d) => d.abort());
    await chmod(dir, 0o755);
    await startDownload(dir, 'x').then((d) => d.abort());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const link = join(root, 'link');
    await symlink(dir, link);
    await expect(startDownload(link, 'x')).rejects.toBeInstanceOf(UnsafeDownloadsDirError);
    const file = join(root, 'file');
    await writeFile(file, '');
    await expect(startDownload(file, 'x')).rejects.toThrow();
  });
});
