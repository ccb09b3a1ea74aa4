import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgesFileError, networkTorConfig, readBridgesFile } from '../../src/cli/bridges-file.js';
import { torProviderOptions } from '../../src/cli/session.js';
import { BRIDGE_LIMITS } from '../../src/onion/bridges.js';

const FP = 'CDF2E852BF539B82BD10E27E9115A31734E378C2';
const CERT = 'qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ';
const OBFS4 = `obfs4 192.95.36.142:443 ${FP} cert=${CERT} iat-mode=1`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-bridges-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('readBridgesFile', () => {
  it('reads bridge lines with comments, blank lines and Bridge prefixes', async () => {
    const path = await file(
      'ok',
      `# from bridges.torproject.org\n\nBridge ${OBFS4}\r\n10.0.0.1:9001\n`,
    );
    expect(await readBridgesFile(path)).toEqual({
      mode: 'custom',
      customBridges: [OBFS4, '10.0.0.1:9001'],
    });
  });

  it('lists every bad line, the first one on the first line of the message', async () => {
    const path = await file('bad', `obfs3 10.0.0.1:1\n${OBFS4}\nobfs4 10.0.0.2:1 ${FP}\n`);
    const error = await readBridgesFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgesFileError);
    const { message, problems } = error as BridgesFileError;
    expect(problems.map((p) => p.lineNumber)).toEqual([1, 3]);
    expect(message.split('\n')[0]).toMatch(/line 1: unsupported transport obfs3.*1 more bad line/);
    expect(message).toContain('line 3:');
  });

  it('refuses an empty file, a missing file and an oversized file', async () => {
    await expect(readBridgesFile(await file('empty', '# nothing\n'))).rejects.toThrow(
      /no bridge lines/,
    );
    await expect(readBridgesFile(join(dir, 'absent'))).rejects.toBeInstanceOf(BridgesFileError);
    const big = await file('big', 'x'.repeat(BRIDGE_LIMITS.textLength + 1));
    await expect(readBridgesFile(big)).rejects.toThrow(/more than/);
  });

  it('an injected torrc line in the file is a bad bridge line, never a torrc option', async () => {
    const path = await file('inject', `${OBFS4}\nControlPort 9051\n`);
    await expect(readBridgesFile(path)).rejects.toThrow(/line 2/);
  });
});

describe('--bridges in the launch options', () => {
  it('adds UseBridges, the Bridge lines and the obfs4 transport program', async () => {
    const path = await file('launch', `${OBFS4}\n`);
    const options = await torProviderOptions(
      { passphrase: { kind: 'none' }, bridgesFile: path },
      join(dir, 'tor'),
    );
    expect(options.mode).toBe('launch');
    if (options.mode !== 'launch') return;
    expect(options.extraTorrcLines).toEqual([
      'UseBridges 1',
      `Bridge ${OBFS4}`,
      expect.stringMatching(/^ClientTransportPlugin obfs4 exec \/\S+\/(lyrebird|obfs4proxy)$/),
    ]);
  });

  it('uses the stored network settings; proxy credentials only via secretConf', async () => {
    const options = await torProviderOptions({ passphrase: { kind: 'none' } }, join(dir, 'tor'), {
      mode: 'direct',
      proxy: { type: 'socks5', host: '127.0.0.1', port: 1080, username: 'u', password: 'secret' },
    });
    if (options.mode !== 'launch') throw new Error('expected launch mode');
    expect(options.extraTorrcLines).toEqual(['Socks5Proxy 127.0.0.1:1080']);
    expect(options.secretConf).toEqual([
      ['Socks5ProxyUsername', 'u'],
      ['Socks5ProxyPassword', 'secret'],
    ]);
  });

  it('--bridges replaces the stored settings for this run', async () => {
    const path = await file('override', '10.0.0.9:443\n');
    const options = await torProviderOptions(
      { passphrase: { kind: 'none' }, bridgesFile: path },
      join(dir, 'tor'),
      { mode: 'builtin', transport: 'snowflake' },
    );
    if (options.mode !== 'launch') throw new Error('expected launch mode');
    expect(options.extraTorrcLines).toEqual(['UseBridges 1', 'Bridge 10.0.0.9:443']);
  });

  it('attach mode leaves the system tor alone', async () => {
    const options = await torProviderOptions(
      { passphrase: { kind: 'none' }, torControl: { host: '127.0.0.1', port: 9051 } },
      join(dir, 'tor'),
      { mode: 'builtin', transport: 'obfs4' },
    );
    expect(options.mode).toBe('attach');
    expect(JSON.stringify(options)).not.toContain('Bridge');
  });

  it('networkTorConfig finds the installed transport', async () => {
    const config = await networkTorConfig({ mode: 'builtin', transport: 'obfs4' });
    expect(config.torrcLines).toContain('ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy');
  });
});
