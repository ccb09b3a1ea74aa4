import { appendFile, chmod, truncate, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TorNotFoundError } from '../../src/onion/tor-errors.js';
import { findTor, parseControlPortFile, readLogTail } from '../../src/onion/tor-process.js';
import { parseSocksListeners } from '../../src/onion/tor-session.js';
import { tempDir } from '../support/tor-test-helpers.js';

describe('findTor', () => {
  it('refuses an explicit path that is not an executable', async () => {
    const { dir, remove } = await tempDir('findtor');
    const plain = path.join(dir, 'tor');
    await writeFile(plain, '');
    await expect(findTor(path.join(dir, 'absent'))).rejects.toBeInstanceOf(TorNotFoundError);
    await expect(findTor(plain)).rejects.toBeInstanceOf(TorNotFoundError);
    await chmod(plain, 0o700);
    await expect(findTor(plain)).resolves.toBe(plain);
    await remove();
  });

  it('searches PATH first', async () => {
    const { dir, remove } = await tempDir('findtor-path');
    const fake = path.join(dir, 'tor');
    await writeFile(fake, '#!/bin/sh\n', { mode: 0o700 });
    await expect(findTor(undefined, `relative/dir${path.delimiter}${dir}`)).resolves.toBe(fake);
    await remove();
  });

  it('tells the user how to get tor', () => {
    const error = new TorNotFoundError('x');
    expect(error.message).toContain('apt-get install tor');
    expect(error.message).toContain('--tor PATH');
  });
});

describe('parseControlPortFile', () => {
  it('reads tor’s PORT= line', () => {
    expect(parseControlPortFile('PORT=127.0.0.1:45649\n')).toEqual({
      host: '127.0.0.1',
      port: 45649,
    });
    expect(parseControlPortFile('PORT=[::1]:9051\r\n')).toEqual({ host: '::1', port: 9051 });
  });

  it.each([
    '',
    'PORT=',
    'PORT=127.0.0.1:',
    'PORT=10.0.0.1:9051',
    'PORT=127.0.0.1:0',
    'PORT=127.0.0.1:70000',
    'UNIX_PORT=/x',
  ])('ignores %j', (text) => {
    expect(parseControlPortFile(text)).toBeUndefined();
  });

  it('never throws on garbage (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseControlPortFile(text);
        if (result !== undefined) expect(result.port).toBeGreaterThan(0);
      }),
    );
  });
});

describe('parseSocksListeners', () => {
  it('takes the first listener', () => {
    expect(parseSocksListeners('"127.0.0.1:9050" "[::1]:9050"')).toEqual({
      host: '127.0.0.1',
      port: 9050,
    });
    expect(parseSocksListeners('"[::1]:9150"')).toEqual({ host: '::1', port: 9150 });
    expect(parseSocksListeners('')).toBeUndefined();
    expect(parseSocksListeners('"unix:/run/tor/socks"')).toBeUndefined();
  });
});

describe('readLogTail', () => {
  it('reads the last lines of a log of any size from its end (a 4 GiB sparse log)', async () => {
    const { dir, remove } = await tempDir('logtail');
    const log = path.join(dir, 'tor.log');
    await writeFile(log, '');
    await truncate(log, 4 * 1024 ** 3);
    const tail = Array.from({ length: 30 }, (_, i) => `[notice] line ${i}`);
    await appendFile(log, `${tail.join('\n')}\n`);
    expect(await readLogTail(log)).toEqual(tail.slice(-20));
    await remove();
  });

  it('drops the line the read began inside of, and gives [] for a missing log', async () => {
    const { dir, remove } = await tempDir('logtail-cut');
    const log = path.join(dir, 'tor.log');
    await writeFile(log, `${'x'.repeat(70 * 1024)}\nlast\n`);
    expect(await readLogTail(log)).toEqual(['last']);
    expect(await readLogTail(path.join(dir, 'absent.log'))).toEqual([]);
    await remove();
  });
});
