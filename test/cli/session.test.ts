// torProviderOptions reads secret and config files from the command line: bounded before reading,
// and the tor control password file follows the passphrase-file rules (ours, 0600, ≤ 4 KiB).
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SottoOptions } from '../../src/cli/args.js';
import {
  MAX_TORRC_EXTRA_BYTES,
  TorrcExtraFileError,
  torProviderOptions,
} from '../../src/cli/session.js';
import { PassphraseFileError } from '../../src/profile/passphrase.js';

const base: SottoOptions = { passphrase: { kind: 'none' } };
const attach = (file: string): SottoOptions => ({
  ...base,
  torControl: { host: '127.0.0.1', port: 9051 },
  torControlPasswordFile: file,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-session-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('torProviderOptions: the control password file', () => {
  it('reads a 0600 file and strips one trailing newline', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 'correct horse\n', { mode: 0o600 });
    const options = await torProviderOptions(attach(file), join(dir, 'tor'));
    expect(options).toMatchObject({ mode: 'attach', password: 'correct horse' });
  });

  it('refuses a password file others can read, without echoing its content', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 'hunter2-secret\n', { mode: 0o644 });
    await chmod(file, 0o644);
    const error = await torProviderOptions(attach(file), join(dir, 'tor')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PassphraseFileError);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('refuses an endless source (/dev/zero) instead of reading it into memory', async () => {
    const error = await torProviderOptions(attach('/dev/zero'), join(dir, 'tor')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PassphraseFileError);
  });

  it('refuses a password file larger than 4 KiB', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 'x'.repeat(5000), { mode: 0o600 });
    await expect(torProviderOptions(attach(file), join(dir, 'tor'))).rejects.toBeInstanceOf(
      PassphraseFileError,
    );
  });
});

describe('torProviderOptions: --torrc-extra', () => {
  it('refuses an endless source (/dev/zero)', async () => {
    await expect(
      torProviderOptions({ ...base, torrcExtra: '/dev/zero' }, join(dir, 'tor')),
    ).rejects.toBeInstanceOf(TorrcExtraFileError);
  });

  it('refuses a file over the limit and still reads one at the limit', async () => {
    const big = join(dir, 'big');
    await writeFile(big, '#'.repeat(MAX_TORRC_EXTRA_BYTES + 1));
    await expect(
      torProviderOptions({ ...base, torrcExtra: big }, join(dir, 'tor')),
    ).rejects.toBeInstanceOf(TorrcExtraFileError);
    const fits = join(dir, 'fits');
    await writeFile(fits, `${'#'.repeat(MAX_TORRC_EXTRA_BYTES - 1)}\n`);
    const options = await torProviderOptions({ ...base, torrcExtra: fits }, join(dir, 'tor'));
    expect(options.mode).toBe('launch');
  });
});
