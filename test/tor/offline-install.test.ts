// The release tarball installs with NO network and runs: `npm pack` (dependencies bundled, dist/
// built ahead, no install scripts) → `npm install -g` offline, with an empty cache and a registry
// address where nothing listens, into a temporary prefix → the installed `sotto` answers
// --version and --help, and a headless session from that install publishes its onion on the
// private network and reaches an in-process Sotto peer with a contact request.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { buildDist, HeadlessProcess, writeTestnetDir } from './headless-process.js';
import { SottoInstance } from './messenger-support.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const testnet = inject('torTestnetClientTorrc');
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

describe('offline install of the release tarball', () => {
  let dir: string;
  let prefix: string;
  let installed: string;
  let peer: SottoInstance | undefined;
  let proc: HeadlessProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-offline-install-'));
    prefix = join(dir, 'prefix');
    await buildDist();
    // --ignore-scripts: prepack would rebuild dist/ (just built) while other tests may read it.
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      { cwd: ROOT, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    const tarball = join(dir, packed?.filename ?? 'missing.tgz');
    const offline = {
      ...process.env,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: join(dir, 'empty-cache'),
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    await run('npm', ['install', '-g', '--prefix', prefix, tarball], {
      cwd: dir,
      env: offline,
      timeout: 300_000,
    });
    installed = join(prefix, 'lib', 'node_modules', 'sotto');
  }, 420_000);

  afterAll(async () => {
    await proc?.stop();
    await peer?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('installed what runs, and nothing that runs at install time', async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    for (const name of INSTALL_SCRIPTS) {
      if (name !== 'prepare') expect(manifest.scripts?.[name]).toBeUndefined();
    }
    expect(await readdir(join(installed, 'dist', 'src', 'cli'))).toContain('main.js');
    // Our code ships without source maps (their sources are not in the package); the bundled
    // dependencies are exactly as their authors published them on npm.
    const maps = await run('find', [join(installed, 'dist'), '-name', '*.map']);
    expect(maps.stdout).toBe('');
    expect(await readdir(join(installed, 'contrib', 'tails'))).toContain('sotto.yml');
    await expect(readFile(join(installed, 'LICENSE'), 'utf8')).resolves.toContain(
      'GNU GENERAL PUBLIC LICENSE',
    );
  });

  it('answers --version and --help', async () => {
    const bin = join(prefix, 'bin', 'sotto');
    const version = await run(bin, ['--version'], { timeout: 30_000 });
    expect(version.stdout).toMatch(/^sotto \d+\.\d+\.\d+\n$/u);
    const help = await run(bin, ['--help'], { timeout: 30_000 });
    expect(help.stdout).toMatch(/^Usage: sotto/u);
  });

  it('runs a headless session on the private network from that install', async () => {
    await writeTestnetDir(dir, testnet);
    peer = await SottoInstance.create('offline-peer', testnet);
    proc = new HeadlessProcess(
      ['--profile', join(dir, 'profile'), '--no-passphrase', '--testnet', dir],
      {},
      join(installed, 'bin', 'sotto.js'),
    );
    await Promise.all([proc.waitFor((e) => e.type === 'published', 150_000), peer.start()]);
    proc.send({ type: 'id' });
    const id = (await proc.waitFor((e) => e.type === 'id', 10_000)) as Extract<
      CoreEvent,
      { type: 'id' }
    >;
    proc.send({ type: 'add', address: peer.address, nickname: 'peer', message: 'offline install' });
    await peer.events.waitFor(
      (e) => e.type === 'request' && e.address === id.address && e.message === 'offline install',
    );
  });
});
