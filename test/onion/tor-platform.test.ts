// Tails and Whonix-Workstation detection from the marker files those systems ship (os-release's
// TAILS_PRODUCT_NAME, anon-ws-base-files' workstation marker), read from a directory laid out like
// a system root; anything else (or a hostile /etc/os-release) is no known platform.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  detectTorPlatform,
  OS_RELEASE,
  TAILS,
  WHONIX_WORKSTATION,
  WHONIX_WORKSTATION_MARKER,
} from '../../src/onion/tor-platform.js';

// /etc/os-release as Tails writes it (Debian's fields plus Tails' own).
const TAILS_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
ID=debian
TAILS_PRODUCT_NAME="Tails"
TAILS_VERSION_ID="7.0"
TAILS_CHANNEL="stable"
`;

describe('detectTorPlatform', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sotto-root-'));
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'usr', 'share', 'anon-ws-base-files'), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds Tails by TAILS_PRODUCT_NAME in /etc/os-release', async () => {
    await writeFile(join(root, OS_RELEASE), TAILS_OS_RELEASE);
    expect(await detectTorPlatform(root)).toBe(TAILS);
    expect(TAILS.control).toEqual({ host: '127.0.0.1', port: 951 });
    expect(TAILS.socks).toEqual({ host: '127.0.0.1', port: 9050 });
  });

  it('finds a Whonix-Workstation by its marker file', async () => {
    await writeFile(join(root, OS_RELEASE), 'ID=debian\n');
    await writeFile(join(root, WHONIX_WORKSTATION_MARKER), '');
    expect(await detectTorPlatform(root)).toBe(WHONIX_WORKSTATION);
  });

  it('finds nothing on plain Debian, or with markers that are not files', async () => {
    await writeFile(join(root, OS_RELEASE), 'ID=debian\nNAME="TAILS_PRODUCT_NAME=x"\n');
    expect(await detectTorPlatform(root)).toBeUndefined();
    await mkdir(join(root, WHONIX_WORKSTATION_MARKER));
    expect(await detectTorPlatform(root)).toBeUndefined();
    expect(await detectTorPlatform(join(root, 'missing'))).toBeUndefined();
  });

  it('reads a bounded amount: /etc/os-release pointing at /dev/zero is no platform', async () => {
    await symlink('/dev/zero', join(root, OS_RELEASE));
    expect(await detectTorPlatform(root)).toBeUndefined();
  });
});
