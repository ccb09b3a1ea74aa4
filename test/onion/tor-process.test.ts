import { chmod, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TorNotFoundError } from '../../src/onion/tor-errors.js';
import { findTor, parseControlPortFile } from '../../src/onion/tor-process.js';
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
