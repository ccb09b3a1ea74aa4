// The single-file build (scripts/bundle.js → sotto.mjs + sotto.mjs.sha256) as a user runs it from
// a USB stick: the checksum file verifies, and `node sotto.mjs` answers --version, --help, doctor
// and starts a headless session exactly like the installed command. SOTTO_TEST_NODE names another
// node binary to run it with (.ci/run uses Node 20.19.x, the nodejs of Debian 13 / Tails 7).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from '../../src/cli/args.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const NODE = process.env['SOTTO_TEST_NODE'] ?? process.execPath;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('single-file build', () => {
  let dir: string;
  let bundle: string;

  const sotto = async (...args: string[]): Promise<Outcome> => {
    try {
      const { stdout, stderr } = await run(NODE, [bundle, ...args], {
        cwd: dir,
        timeout: 30_000,
        env: { ...process.env, XDG_DATA_HOME: join(dir, 'xdg') },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-single-file-'));
    await run(process.execPath, [join(ROOT, 'scripts', 'bundle.js'), dir], {
      cwd: ROOT,
      timeout: 60_000,
    });
    bundle = join(dir, 'sotto.mjs');
  }, 90_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ships a sha256sum-format checksum that matches the file', async () => {
    const sum = await readFile(`${bundle}.sha256`, 'utf8');
    const digest = createHash('sha256')
      .update(await readFile(bundle))
      .digest('hex');
    expect(sum).toBe(`${digest}  sotto.mjs\n`);
  });

  it('carries no source map and loads no devtools module', async () => {
    const text = await readFile(bundle, 'utf8');
    expect(text).not.toMatch(/sourceMappingURL/u);
    expect(text).not.toMatch(/from\s*["']react-devtools-core["']/u);
  });

  it('answers --version and --help like the installed command', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await sotto('--version')).toMatchObject({ code: 0, stdout: `sotto ${version}\n` });
    expect(await sotto('--help')).toMatchObject({ code: 0, stdout: USAGE });
  });

  it('runs doctor: one ✓/✗ line per check, ✗ for the missing terminal', async () => {
    const result = await sotto('doctor', '--profile', join(dir, 'profile'));
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.slice(0, 2))).toEqual(['✓ ', '✗ ', lines[2]!.slice(0, 2), '✓ ']);
    expect(lines[1]).toContain('sotto headless --json');
    expect(result.code).toBe(1);
  });

  it('starts a headless session (profile created; no tor at the control port → exit 4)', async () => {
    const result = await sotto(
      'headless',
      '--json',
      '--no-passphrase',
      '--profile',
      join(dir, 'headless'),
      '--tor-control',
      '127.0.0.1:9',
    );
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('{"type":"quit"}\n');
    await expect(access(join(dir, 'headless', 'vault.sotto'))).resolves.toBeUndefined();
    expect(result.stderr).toMatch(/^sotto: .*control/mu);
  });
});
