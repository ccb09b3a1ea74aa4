import fc from 'fast-check';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_BRIDGES } from '../../src/onion/builtin-bridges.js';
import {
  NetworkSettingsError,
  checkNetworkSettings,
  type NetworkSettings,
} from '../../src/onion/network-settings.js';
import {
  TransportNotFoundError,
  torConfigForNetworkSettings,
  torrcLinesForNetworkSettings,
} from '../../src/onion/network-torrc.js';
import { networkSettingsFromJson } from '../../src/onion/network-settings-json.js';
import { findTransportPrograms, transportLookup } from '../../src/onion/transport-binaries.js';
import { validateExtraTorrcLine } from '../../src/onion/torrc.js';

const FP = 'CDF2E852BF539B82BD10E27E9115A31734E378C2';
const CERT = 'qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ';
const OBFS4 = `obfs4 192.95.36.142:443 ${FP} cert=${CERT} iat-mode=1`;
const withObfs4proxy = transportLookup(new Map([['obfs4proxy', '/usr/bin/obfs4proxy']]));
const nothing = transportLookup(new Map());

describe('torConfigForNetworkSettings', () => {
  it('direct: no lines at all', () => {
    expect(torrcLinesForNetworkSettings({ mode: 'direct' }, nothing)).toEqual([]);
  });

  it('custom obfs4 bridges: UseBridges, Bridge lines, one ClientTransportPlugin', () => {
    const lines = torrcLinesForNetworkSettings(
      { mode: 'custom', customBridges: [`Bridge ${OBFS4}`, `10.0.0.1:9001 ${FP}`] },
      withObfs4proxy,
    );
    expect(lines).toEqual([
      'UseBridges 1',
      `Bridge ${OBFS4}`,
      `Bridge 10.0.0.1:9001 ${FP}`,
      'ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy',
    ]);
    // The launcher's own validator accepts every line.
    for (const line of lines) expect(validateExtraTorrcLine(line)).toBe(line);
  });

  it('prefers lyrebird when both are installed', () => {
    const both = transportLookup(
      new Map([
        ['obfs4proxy', '/usr/bin/obfs4proxy'],
        ['lyrebird', '/usr/bin/lyrebird'],
      ]),
    );
    expect(torrcLinesForNetworkSettings({ mode: 'builtin', transport: 'obfs4' }, both)).toContain(
      'ClientTransportPlugin obfs4 exec /usr/bin/lyrebird',
    );
  });

  it('builtin sets: every built-in line becomes a Bridge line', () => {
    const lines = torrcLinesForNetworkSettings(
      { mode: 'builtin', transport: 'meek_lite' },
      withObfs4proxy,
    );
    expect(lines).toEqual([
      'UseBridges 1',
      ...BUILTIN_BRIDGES.meek_lite.map((line) => `Bridge ${line}`),
      'ClientTransportPlugin meek_lite exec /usr/bin/obfs4proxy',
    ]);
  });

  it('a missing transport names the Debian package', () => {
    expect(() =>
      torrcLinesForNetworkSettings({ mode: 'builtin', transport: 'snowflake' }, withObfs4proxy),
    ).toThrow(/snowflake-client/);
    expect(() =>
      torrcLinesForNetworkSettings({ mode: 'builtin', transport: 'obfs4' }, nothing),
    ).toThrow(TransportNotFoundError);
    try {
      torrcLinesForNetworkSettings({ mode: 'builtin', transport: 'obfs4' }, nothing);
    } catch (error) {
      expect((error as TransportNotFoundError).packages).toEqual(['obfs4proxy', 'lyrebird']);
      expect((error as Error).message).toMatch(/apt install obfs4proxy/);
    }
  });

  it('refuses a transport path tor would split or read as a comment', () => {
    const odd = transportLookup(new Map([['obfs4proxy', '/opt/my tools/obfs4proxy']]));
    expect(() =>
      torrcLinesForNetworkSettings({ mode: 'builtin', transport: 'obfs4' }, odd),
    ).toThrow(NetworkSettingsError);
  });

  it('proxies: address lines in torrc, credentials only in secretConf', () => {
    const socks5 = torConfigForNetworkSettings(
      {
        mode: 'direct',
        proxy: { type: 'socks5', host: '::1', port: 1080, username: 'u', password: 's3cret' },
      },
      nothing,
    );
    expect(socks5.torrcLines).toEqual(['Socks5Proxy [::1]:1080']);
    expect(socks5.secretConf).toEqual([
      ['Socks5ProxyUsername', 'u'],
      ['Socks5ProxyPassword', 's3cret'],
    ]);
    expect(socks5.torrcLines.join('\n')).not.toContain('s3cret');
    const https = torConfigForNetworkSettings(
      {
        mode: 'direct',
        proxy: { type: 'https', host: '192.168.1.5', port: 3128, username: 'a', password: 'b' },
      },
      nothing,
    );
    expect(https.torrcLines).toEqual(['HTTPSProxy 192.168.1.5:3128']);
    expect(https.secretConf).toEqual([['HTTPSProxyAuthenticator', 'a:b']]);
    expect(
      torrcLinesForNetworkSettings(
        { mode: 'direct', proxy: { type: 'socks4', host: '10.0.0.1', port: 1080 } },
        nothing,
      ),
    ).toEqual(['Socks4Proxy 10.0.0.1:1080']);
    expect(() =>
      torrcLinesForNetworkSettings(
        {
          mode: 'direct',
          proxy: { type: 'socks5', host: '10.0.0.1', port: 1, username: 'u', password: 'p' },
        },
        nothing,
      ),
    ).toThrow(NetworkSettingsError);
  });

  it('reachable ports become one ReachableAddresses policy', () => {
    expect(
      torrcLinesForNetworkSettings({ mode: 'direct', reachablePorts: [443, 80, 443] }, nothing),
    ).toEqual(['ReachableAddresses accept *:80, accept *:443, reject *:*']);
  });
});

describe('checkNetworkSettings', () => {
  const bad: [string, NetworkSettings, string][] = [
    ['builtin without transport', { mode: 'builtin' }, 'transport'],
    ['builtin webtunnel (none exist)', { mode: 'builtin', transport: 'webtunnel' }, 'transport'],
    ['custom without lines', { mode: 'custom', customBridges: [] }, 'customBridges'],
    [
      'custom with a bad line',
      { mode: 'custom', customBridges: [OBFS4, 'obfs3 1.2.3.4:5'] },
      'customBridges[1]',
    ],
    [
      'custom with an injected line',
      { mode: 'custom', customBridges: [`${OBFS4}\nUseBridges 0`] },
      'customBridges[0]',
    ],
    ['unknown mode', { mode: 'vpn' as 'direct' }, 'mode'],
    [
      'proxy host with a space',
      { mode: 'direct', proxy: { type: 'socks5', host: 'a b', port: 1 } },
      'proxy.host',
    ],
    [
      'proxy host with a newline',
      { mode: 'direct', proxy: { type: 'socks5', host: 'a\nControlPort 1', port: 1 } },
      'proxy.host',
    ],
    [
      'proxy port 0',
      { mode: 'direct', proxy: { type: 'https', host: '10.0.0.1', port: 0 } },
      'proxy.port',
    ],
    [
      'socks4 with auth',
      {
        mode: 'direct',
        proxy: { type: 'socks4', host: '10.0.0.1', port: 1, username: 'u', password: 'p' },
      },
      'proxy',
    ],
    [
      'username without password',
      { mode: 'direct', proxy: { type: 'socks5', host: '10.0.0.1', port: 1, username: 'u' } },
      'proxy',
    ],
    [
      'password with a space',
      {
        mode: 'direct',
        proxy: { type: 'socks5', host: '10.0.0.1', port: 1, username: 'u', password: 'a b' },
      },
      'proxy.password',
    ],
    [
      'password with a comment sign',
      {
        mode: 'direct',
        proxy: { type: 'socks5', host: '10.0.0.1', port: 1, username: 'u', password: 'a#b' },
      },
      'proxy.password',
    ],
    [
      'https username with a colon',
      {
        mode: 'direct',
        proxy: { type: 'https', host: '10.0.0.1', port: 1, username: 'u:x', password: 'p' },
      },
      'proxy.username',
    ],
    ['no reachable ports', { mode: 'direct', reachablePorts: [] }, 'reachablePorts'],
    ['reachable port 70000', { mode: 'direct', reachablePorts: [80, 70000] }, 'reachablePorts[1]'],
  ];
  it.each(bad)('refuses %s', (_what, settings, field) => {
    try {
      checkNetworkSettings(settings);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NetworkSettingsError);
      expect((error as NetworkSettingsError).field).toBe(field);
    }
  });
});

describe('findTransportPrograms', () => {
  it('finds executables on PATH, skipping non-executable files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-pt-'));
    try {
      await writeFile(join(dir, 'lyrebird'), '#!/bin/sh\n');
      await chmod(join(dir, 'lyrebird'), 0o755);
      await writeFile(join(dir, 'snowflake-client'), '');
      await chmod(join(dir, 'snowflake-client'), 0o644);
      const found = await findTransportPrograms(dir);
      expect(found.get('lyrebird')).toBe(join(dir, 'lyrebird'));
      expect(found.get('snowflake-client')).not.toBe(join(dir, 'snowflake-client'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds the installed obfs4proxy', async () => {
    expect((await findTransportPrograms('')).get('obfs4proxy')).toBe('/usr/bin/obfs4proxy');
  });
});

describe('networkSettingsFromJson', () => {
  it('accepts valid settings unchanged', () => {
    const settings = {
      mode: 'builtin',
      transport: 'obfs4',
      proxy: { type: 'https', host: '192.168.1.5', port: 3128 },
      reachablePorts: [443],
    };
    expect(networkSettingsFromJson(JSON.parse(JSON.stringify(settings)))).toEqual(settings);
  });

  it('property: any JSON value is accepted or refused with NetworkSettingsError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              mode: fc.constantFrom('direct', 'builtin', 'custom', 'x'),
              transport: fc.constantFrom('obfs4', 'snowflake', 'meek_lite', 'webtunnel', 'obfs3'),
              customBridges: fc.array(fc.oneof(fc.string(), fc.constant(OBFS4)), { maxLength: 3 }),
              reachablePorts: fc.array(fc.integer({ min: -1, max: 70_000 }), { maxLength: 3 }),
            },
            { requiredKeys: ['mode'] },
          ),
        ),
        (value) => {
          try {
            networkSettingsFromJson(value);
          } catch (error) {
            expect(error).toBeInstanceOf(NetworkSettingsError);
          }
        },
      ),
    );
  });
});
