// torProviderOptions reads secret and config files from the command line: bounded before reading,
// and the tor control password file follows the passphrase-file rules (ours, 0600, ≤ 4 KiB).
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SottoOptions } from '../../src/cli/args.js';
import {
  MAX_TORRC_EXTRA_BYTES,
  newIdentityState,
  openProfileSession,
  profileTorProviderOptions,
  TorrcExtraFileError,
  torProviderOptions,
} from '../../src/cli/session.js';
import type { NetworkSettings } from '../../src/onion/network-settings.js';
import { TAILS, WHONIX_WORKSTATION, type TorPlatform } from '../../src/onion/tor-platform.js';
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

describe("profileTorProviderOptions: the vault's saved network settings (UI and headless)", () => {
  const saved: NetworkSettings = {
    mode: 'custom',
    customBridges: ['10.0.0.1:9001'],
    proxy: {
      type: 'socks5',
      host: '127.0.0.1',
      port: 1080,
      username: 'u',
      password: 'proxy-secret',
    },
    reachablePorts: [443],
  };
  async function withSavedNetwork(
    extra: Partial<SottoOptions>,
  ): Promise<Awaited<ReturnType<typeof profileTorProviderOptions>>> {
    const options: SottoOptions = { ...base, profileDir: join(dir, 'profile'), ...extra };
    const session = await openProfileSession(options, 'create', () => {
      const state = newIdentityState();
      return { ...state, settings: { ...state.settings, network: saved } };
    });
    try {
      return await profileTorProviderOptions(options, session);
    } finally {
      await session.close();
    }
  }

  it('launches tor with the saved bridges, firewall ports and (via SETCONF only) proxy secrets', async () => {
    const options = await withSavedNetwork({});
    expect(options).toMatchObject({ mode: 'launch', dataDir: join(dir, 'profile', 'tor') });
    if (options.mode !== 'launch') throw new Error('expected launch mode');
    expect(options.extraTorrcLines).toEqual([
      'UseBridges 1',
      'Bridge 10.0.0.1:9001',
      'Socks5Proxy 127.0.0.1:1080',
      'ReachableAddresses accept *:443, reject *:*',
    ]);
    expect(options.extraTorrcLines?.join('\n')).not.toContain('proxy-secret');
    expect(options.secretConf).toEqual([
      ['Socks5ProxyUsername', 'u'],
      ['Socks5ProxyPassword', 'proxy-secret'],
    ]);
  });

  it('lets --bridges FILE replace the saved settings for this run', async () => {
    const file = join(dir, 'bridges.txt');
    await writeFile(file, '10.0.0.2:9002\n');
    const options = await withSavedNetwork({ bridgesFile: file });
    if (options.mode !== 'launch') throw new Error('expected launch mode');
    expect(options.extraTorrcLines).toEqual(['UseBridges 1', 'Bridge 10.0.0.2:9002']);
    expect(options.secretConf).toBeUndefined();
  });

  it('leaves an attached system tor alone', async () => {
    const options = await withSavedNetwork({ torControl: { host: '127.0.0.1', port: 9051 } });
    expect(options).toMatchObject({ mode: 'attach' });
    expect(JSON.stringify(options)).not.toContain('10.0.0.1');
  });
});

describe('torProviderOptions on Tails and Whonix (no flags)', () => {
  const on = (platform: TorPlatform | undefined) => () => Promise.resolve(platform);

  it('on Tails attaches to the filtered control port and SOCKS port, trusting that filter', async () => {
    const options = await torProviderOptions(base, join(dir, 'tor'), undefined, on(TAILS));
    expect(options).toMatchObject({
      mode: 'attach',
      control: { host: '127.0.0.1', port: 951 },
      socks: { host: '127.0.0.1', port: 9050 },
      unauthenticatedControl: 'tails',
    });
  });

  it('on a Whonix-Workstation attaches to the gateway and listens for the forwarded onion', async () => {
    const options = await torProviderOptions(
      base,
      join(dir, 'tor'),
      undefined,
      on(WHONIX_WORKSTATION),
    );
    expect(options).toMatchObject({
      mode: 'attach',
      control: { host: '10.152.152.10', port: 9051 },
      socks: { host: '10.152.152.10', port: 9050 },
      unauthenticatedControl: 'whonix',
      listen: { host: '0.0.0.0', port: 9878 },
    });
  });

  it('elsewhere launches its own tor', async () => {
    expect(
      await torProviderOptions(base, join(dir, 'tor'), undefined, on(undefined)),
    ).toMatchObject({
      mode: 'launch',
    });
  });

  it('a --tor-control port without authentication is trusted only when vouched for', async () => {
    const control = (host: string, port: number, noAuth = false): SottoOptions => ({
      ...base,
      torControl: { host, port },
      ...(noAuth ? { torControlNoAuth: true as const } : {}),
    });
    const trust = async (options: SottoOptions, platform?: TorPlatform): Promise<unknown> => {
      const resolved = await torProviderOptions(options, join(dir, 'tor'), undefined, on(platform));
      return resolved.mode === 'attach' ? resolved.unauthenticatedControl : 'launch';
    };
    // A squattable port on an ordinary machine: nobody vouched for it.
    expect(await trust(control('127.0.0.1', 9051))).toBeUndefined();
    expect(await trust(control('127.0.0.1', 9051, true))).toBe('user-opt-in');
    // Tails: only its privileged filter port, not another local port.
    expect(await trust(control('127.0.0.1', 951), TAILS)).toBe('tails');
    expect(await trust(control('127.0.0.1', 9051), TAILS)).toBeUndefined();
    // Whonix: the gateway (another machine), never a loopback port of the workstation.
    expect(await trust(control('10.137.0.5', 9051), WHONIX_WORKSTATION)).toBe('whonix');
    expect(await trust(control('127.0.0.1', 9051), WHONIX_WORKSTATION)).toBeUndefined();
  });
});
