import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTROL,
  DEFAULT_SOCKS,
  parseHostPort,
  resolveAttachConfig,
} from '../../src/onion/attach-config.js';
import { TorAttachError } from '../../src/onion/tor-errors.js';

describe('resolveAttachConfig', () => {
  it('uses the defaults with an empty environment and marks SOCKS as guessed', () => {
    const config = resolveAttachConfig({}, {});
    expect(config.control).toEqual(DEFAULT_CONTROL);
    expect(config.socks).toEqual(DEFAULT_SOCKS);
    expect(config.socksGuessed).toBe(true);
    expect(config.password()).toBeUndefined();
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('reads the TOR_CONTROL_* and TOR_SOCKS_* conventions', () => {
    const config = resolveAttachConfig(
      {},
      {
        TOR_CONTROL_HOST: '10.152.152.10',
        TOR_CONTROL_PORT: '9052',
        TOR_CONTROL_PASSWD: 'secret',
        TOR_CONTROL_COOKIE_AUTH_FILE: '/run/tor/control.authcookie',
        TOR_SOCKS_HOST: '10.152.152.10',
        TOR_SOCKS_PORT: '9150',
      },
    );
    expect(config.control).toEqual({ host: '10.152.152.10', port: 9052 });
    expect(config.socks).toEqual({ host: '10.152.152.10', port: 9150 });
    expect(config.socksGuessed).toBe(false);
    expect(config.password()).toBe('secret');
    expect(config.cookieFile).toBe('/run/tor/control.authcookie');
  });

  it('never shows the password when the config is serialised', () => {
    const config = resolveAttachConfig({}, { TOR_CONTROL_PASSWD: 'hunter2-secret' });
    expect(JSON.stringify(config)).not.toContain('hunter2-secret');
  });

  it('prefers explicit options over the environment', () => {
    const config = resolveAttachConfig(
      { control: { host: '127.0.0.1', port: 1 }, socks: { host: '127.0.0.1', port: 2 } },
      { TOR_CONTROL_PORT: '9', TOR_SOCKS_PORT: '9' },
    );
    expect(config.control).toEqual({ host: '127.0.0.1', port: 1 });
    expect(config.socks).toEqual({ host: '127.0.0.1', port: 2 });
  });

  it.each([
    { TOR_CONTROL_PORT: '0' },
    { TOR_CONTROL_PORT: '65536' },
    { TOR_CONTROL_PORT: '9051 ' },
    { TOR_SOCKS_PORT: 'abc' },
    { TOR_CONTROL_HOST: 'host name' },
    { TOR_CONTROL_HOST: 'a\nb' },
  ])('rejects %j with TorAttachError', (env) => {
    expect(() => resolveAttachConfig({}, env)).toThrow(TorAttachError);
  });

  it('never throws anything but TorAttachError on arbitrary environment values', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (host, port) => {
        try {
          resolveAttachConfig({}, { TOR_CONTROL_HOST: host, TOR_CONTROL_PORT: port });
        } catch (error) {
          expect(error).toBeInstanceOf(TorAttachError);
        }
      }),
    );
  });
});

describe('parseHostPort', () => {
  it('parses IPv4, names and bracketed IPv6', () => {
    expect(parseHostPort('10.152.152.11:9878', 'x')).toEqual({ host: '10.152.152.11', port: 9878 });
    expect(parseHostPort('[::1]:80', 'x')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('localhost:1', 'x')).toEqual({ host: 'localhost', port: 1 });
  });

  it.each(['', ':80', 'host', 'host:', 'host:99999', 'a b:1', '::1:80'])('rejects %j', (text) => {
    expect(() => parseHostPort(text, 'x')).toThrow(TorAttachError);
  });
});

describe('hosts are IP literals or localhost (a DNS name resolves outside Tor)', () => {
  it.each([
    { TOR_CONTROL_HOST: 'gateway.lan' },
    { TOR_CONTROL_HOST: 'tor' },
    { TOR_SOCKS_HOST: 'proxy.example.com' },
    { TOR_CONTROL_HOST: '999.0.0.1' },
  ])('refuses %j with TorAttachError', (env) => {
    expect(() => resolveAttachConfig({}, env)).toThrow(TorAttachError);
  });

  it('refuses names given as options too', () => {
    for (const options of [
      { control: { host: 'gateway.lan', port: 9051 } },
      { socks: { host: 'gateway.lan', port: 9050 } },
      { onionTarget: { host: 'workstation.lan', port: 9878 } },
      { listen: { host: 'workstation.lan', port: 9878 } },
    ]) {
      expect(() => resolveAttachConfig(options, {})).toThrow(TorAttachError);
    }
  });

  it('accepts IPv4, IPv6 and localhost', () => {
    for (const host of ['10.152.152.10', '::1', '[::1]', 'localhost']) {
      expect(resolveAttachConfig({}, { TOR_CONTROL_HOST: host }).control).toMatchObject({
        port: 9051,
      });
    }
  });
});
