// The `sotto` entry point in-process: help/version, usage errors (exit 2), a profile created on
// first use with a stable ID, the wrong passphrase (exit 3), Ricochet import, and one-line errors.
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exitCodeFor, main } from '../../src/cli/main.js';
import { TorNotFoundError } from '../../src/onion/tor-errors.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { WrongPassphraseError } from '../../src/profile/errors.js';
import { historyDirFor } from '../../src/profile/history-logs.js';
import { openVault } from '../../src/profile/vault.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('sotto main', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-main-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help and version with exit 0', async () => {
    expect(await run(['--help'])).toMatchObject({ code: 0 });
    expect((await run(['--help'])).out).toContain('headless --json');
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^sotto \d+\.\d+\.\d+\n$/u);
  });

  it('usage errors exit 2 with one line on stderr', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect((await run(['--passphrase', 'secret'])).code).toBe(2);
  });

  it('creates a profile on first use; the ID is stable', async () => {
    const profile = join(dir, 'p1');
    const first = await run(['id', '--profile', profile, '--no-passphrase']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^ricochet:[a-z2-7]{56}\n$/u);
    const again = await run(['id', '--profile', profile, '--no-passphrase']);
    expect(again.out).toBe(first.out);
  });

  it('a wrong passphrase exits 3 with a clear line and no stack', async () => {
    const profile = join(dir, 'p2');
    const good = join(dir, 'good');
    const bad = join(dir, 'bad');
    await writeFile(good, 'correct horse battery staple\n', { mode: 0o600 });
    await writeFile(bad, 'wrong\n', { mode: 0o600 });
    expect((await run(['id', '--profile', profile, '--passphrase-file', good])).code).toBe(0);
    const r = await run(['id', '--profile', profile, '--passphrase-file', bad]);
    expect(r.code).toBe(3);
    expect(r.err).toBe('sotto: wrong passphrase or corrupted file\n');
    expect((await run(['id', '--profile', profile, '--no-passphrase'])).code).toBe(3);
  });

  it('tells at unlock how many damaged vault copies are kept and how to delete them', async () => {
    const profile = join(dir, 'with-damaged');
    expect((await run(['id', '--profile', profile, '--no-passphrase'])).code).toBe(0);
    const copy = join(profile, 'vault.sotto.damaged-1');
    await copyFile(join(profile, 'vault.sotto'), copy);
    const r = await run(['id', '--profile', profile, '--no-passphrase']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`rm -- '${copy}'`);
  });

  it('converts a version-1 profile once and says so', async () => {
    const profile = join(dir, 'v1-profile');
    await mkdir(profile, { mode: 0o700 });
    const fixture = join(import.meta.dirname, '..', 'vectors', 'vault-v1', 'vault.sotto');
    await copyFile(fixture, join(profile, 'vault.sotto'));
    const pass = join(dir, 'v1-pass');
    await writeFile(pass, 'fixture passphrase v1\n', { mode: 0o600 });
    const first = await run(['id', '--profile', profile, '--passphrase-file', pass]);
    expect(first.code).toBe(0);
    expect(first.err).toContain('profile converted from storage format 1');
    const again = await run(['id', '--profile', profile, '--passphrase-file', pass]);
    expect(again.code).toBe(0);
    expect(again.err).not.toContain('converted');
    expect(again.out).toBe(first.out);
  });

  it('opens a profile whose history log is damaged without reading it or warning about it', async () => {
    const profile = join(dir, 'damaged-log');
    const created = await run(['id', '--profile', profile, '--no-passphrase']);
    const vaultPath = join(profile, 'vault.sotto');
    const vault = await openVault(vaultPath, null);
    const contact = IdentityKey.generate().serviceId;
    const message = { id: 7, direction: 'in', text: 'saved', at: 1, timeDelta: 0 } as const;
    await vault
      .history(contact)
      .append({ kind: 'message', message: { ...message, state: 'delivered' } });
    await vault.historySettled();
    vault.close();
    const [name] = await readdir(historyDirFor(vaultPath));
    if (name === undefined) throw new Error('no history log');
    const log = join(historyDirFor(vaultPath), name);
    const bytes = await readFile(log);
    bytes[60] = (bytes[60] ?? 0) ^ 1; // inside the first record: the whole log is unreadable
    await writeFile(log, bytes);
    const r = await run(['id', '--profile', profile, '--no-passphrase']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(created.out);
    // Start-up reads no log, so it has nothing to say about one; the core tells the user when the
    // conversation is first needed (history-log-unreadable, test/core/history-lazy-load.test.ts).
    expect(r.err).not.toContain('history');
    expect(await readFile(log)).toEqual(bytes); // kept byte for byte
    const again = await openVault(vaultPath, null);
    expect([...again.unloadedHistory]).toEqual([contact]); // its key is kept too
    again.close();
  });

  it('imports a Ricochet profile once; a second import into it is refused', async () => {
    const profile = join(dir, 'p3');
    const fixture = join(import.meta.dirname, '..', 'fixtures', 'ricochet-all-types.json');
    const imported = await run([
      'import-ricochet',
      fixture,
      '--profile',
      profile,
      '--no-passphrase',
    ]);
    expect(imported.code).toBe(0);
    const id = await run(['id', '--profile', profile, '--no-passphrase']);
    expect(id.out).toBe(imported.out);
    const again = await run(['import-ricochet', fixture, '--profile', profile, '--no-passphrase']);
    expect(again.code).toBe(3);
  });

  it('a bad --bridges file exits 2 with one line, before the profile is touched', async () => {
    const bad = join(dir, 'bad-bridges.txt');
    await writeFile(
      bad,
      'obfs3 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567\nnonsense\n',
    );
    const profile = join(dir, 'bridges-profile');
    for (const argv of [
      ['headless', '--json', '--profile', profile, '--no-passphrase', '--bridges', bad],
      ['--profile', profile, '--no-passphrase', '--bridges', join(dir, 'missing.txt')],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^sotto: .*bridges/);
    }
    expect(
      (await run(['headless', '--json', '--profile', profile, '--no-passphrase', '--bridges', bad]))
        .err,
    ).toMatch(/line 1: .*\(and 1 more bad line\)$/m);
    await expect(access(profile)).rejects.toThrow();
  });

  it('--bridges with --tor-control exits 2 with one line, before the profile is touched', async () => {
    const profile = join(dir, 'attach-bridges-profile');
    const r = await run([
      'headless',
      '--json',
      '--profile',
      profile,
      '--no-passphrase',
      '--tor-control',
      '127.0.0.1:9051',
      '--bridges',
      join(dir, 'bridges.txt'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(
      /^sotto: --bridges applies to the tor Sotto launches; configure your system tor/,
    );
    await expect(access(profile)).rejects.toThrow();
  });

  it('maps error classes to documented exit codes', () => {
    expect(exitCodeFor(new WrongPassphraseError())).toBe(3);
    expect(exitCodeFor(new TorNotFoundError('no tor'))).toBe(4);
    expect(exitCodeFor(new Error('other'))).toBe(1);
  });
});
