// `sotto doctor` on the first-run failures users hit most: Node too old, no terminal, tor missing
// (or Tails' filter not answering), a profile folder others can read or one that cannot be created.
// Each failure is one ✗ line carrying the exact fix; a healthy setup is all ✓.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SottoOptions } from '../../src/cli/args.js';
import {
  formatDoctorCheck,
  nodeVersionOk,
  runDoctorChecks,
  type DoctorEnvironment,
} from '../../src/cli/doctor.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-doctor-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const healthy = (): DoctorEnvironment => ({
  nodeVersion: 'v20.19.2',
  stdinIsTTY: true,
  stdoutIsTTY: true,
  systemRoot: join(dir, 'root'),
});

async function lines(options: SottoOptions, env = healthy()): Promise<string[]> {
  return (await runDoctorChecks(options, env)).map(formatDoctorCheck);
}

describe('sotto doctor', () => {
  it('is all ✓ with a fitting Node, a terminal, tor found and a private profile folder', async () => {
    const tor = join(dir, 'tor');
    await writeFile(tor, '#!/bin/sh\n', { mode: 0o755 });
    const out = await lines({
      passphrase: { kind: 'tty' },
      profileDir: join(dir, 'p'),
      torPath: tor,
    });
    expect(out.map((line) => line.slice(0, 1))).toEqual(['✓', '✓', '✓', '✓']);
    expect(out[3]).toContain('will be created');
  });

  it('names the fix for each failure', async () => {
    const profile = join(dir, 'shared');
    await mkdir(profile);
    await chmod(profile, 0o755);
    const out = await lines(
      { passphrase: { kind: 'tty' }, profileDir: profile, torPath: join(dir, 'no-tor') },
      { ...healthy(), nodeVersion: 'v18.19.1', stdoutIsTTY: false },
    );
    expect(out.map((line) => line.slice(0, 1))).toEqual(['✗', '✗', '✗', '✗']);
    expect(out[0]).toContain('install Node 20.19 or newer');
    expect(out[1]).toContain('sotto headless --json');
    expect(out[2]).toContain('--tor PATH');
    expect(out[3]).toContain(`chmod 700 '${profile}'`);
    for (const line of out) expect(line).not.toMatch(/\n/u);
  });

  it('on Tails checks the filtered control port and points at the profile install', async () => {
    await mkdir(join(dir, 'root', 'etc'), { recursive: true });
    await writeFile(join(dir, 'root', 'etc', 'os-release'), 'TAILS_PRODUCT_NAME="Tails"\n');
    // Nothing listens on 127.0.0.1:951 here (a privileged port): the filter "is not installed".
    const out = await lines({ passphrase: { kind: 'tty' }, profileDir: join(dir, 'p') });
    expect(out[2]).toMatch(/^✗ tor: Tails control port 127\.0\.0\.1:951: .*Install on Tails/u);
  });

  it('compares Node versions by number', () => {
    expect(nodeVersionOk('v20.19.0')).toBe(true);
    expect(nodeVersionOk('20.20.2')).toBe(true);
    expect(nodeVersionOk('v22.1.0')).toBe(true);
    expect(nodeVersionOk('v20.18.3')).toBe(false);
    expect(nodeVersionOk('v20.9.0')).toBe(false);
    expect(nodeVersionOk('v18.20.8')).toBe(false);
  });
});
