import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkSettings } from '../../src/onion/network-settings.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { validateVaultState, VaultStateError } from '../../src/profile/vault-state.js';
import { TEST_SCRYPT, sampleState, tempDir } from './helpers.js';

const OBFS4 =
  'obfs4 192.95.36.142:443 CDF2E852BF539B82BD10E27E9115A31734E378C2 cert=qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ iat-mode=1';
const NETWORK: NetworkSettings = {
  mode: 'custom',
  customBridges: [OBFS4],
  proxy: { type: 'socks5', host: '10.0.0.1', port: 1080, username: 'me', password: 'pr0xy-s3cret' },
  reachablePorts: [80, 443],
};

function withNetwork(network: unknown): unknown {
  const state = sampleState();
  return { ...state, settings: { ...state.settings, network } };
}

describe('network settings in the vault', () => {
  it('persist through an encrypted vault, and the proxy password is not on disk in clear', async () => {
    const dir = await tempDir();
    const path = join(dir, 'vault.sotto');
    const state = validateVaultState(withNetwork(NETWORK));
    (await createVault(path, 'pass phrase', state, { scrypt: TEST_SCRYPT })).close();
    const vault = await openVault(path, 'pass phrase');
    expect(vault.state.settings.network).toEqual(NETWORK);
    vault.close();
    expect((await readFile(path)).includes(Buffer.from('pr0xy-s3cret'))).toBe(false);
  });

  it('absent means direct; direct and builtin round-trip', () => {
    expect(validateVaultState(sampleState()).settings.network).toBeUndefined();
    for (const network of [{ mode: 'direct' }, { mode: 'builtin', transport: 'snowflake' }]) {
      expect(validateVaultState(withNetwork(network))).toMatchObject({ settings: { network } });
    }
  });

  const bad: [string, unknown, string][] = [
    ['an unknown field', { mode: 'direct', vpn: true }, 'state.settings.network.vpn'],
    ['an unknown mode', { mode: 'tor2' }, 'state.settings.network.mode'],
    [
      'a bad bridge line',
      { mode: 'custom', customBridges: ['obfs4 1.2.3.4:1'] },
      'state.settings.network.customBridges[0]',
    ],
    [
      'an injected line',
      { mode: 'custom', customBridges: [`${OBFS4}\nControlPort 1`] },
      'state.settings.network.customBridges[0]',
    ],
    [
      'too many bridges',
      { mode: 'custom', customBridges: Array(65).fill(OBFS4) },
      'state.settings.network.customBridges',
    ],
    [
      'an oversized line',
      { mode: 'custom', customBridges: ['x'.repeat(3000)] },
      'state.settings.network.customBridges[0]',
    ],
    [
      'a proxy port string',
      { mode: 'direct', proxy: { type: 'socks5', host: 'a', port: '1' } },
      'state.settings.network.proxy.port',
    ],
    [
      'a proxy with extra fields',
      { mode: 'direct', proxy: { type: 'socks5', host: 'a', port: 1, x: 1 } },
      'state.settings.network.proxy.x',
    ],
    ['not an object', 'direct', 'state.settings.network'],
  ];
  it.each(bad)('refuses %s with VaultStateError at its path', (_what, network, path) => {
    try {
      validateVaultState(withNetwork(network));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(VaultStateError);
      expect((error as VaultStateError).path).toBe(path);
    }
  });
});
