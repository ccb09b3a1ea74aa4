import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { USAGE, UsageError, parseHostPort, parseSottoArgs } from '../../src/cli/args.js';
import { messengerOptionsFrom } from '../../src/cli/session.js';

function usage(argv: string[]): UsageError {
  try {
    parseSottoArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).not.toContain('\n');
    return error as UsageError;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('parseSottoArgs commands', () => {
  it('parses every subcommand', () => {
    expect(parseSottoArgs([]).command).toEqual({ kind: 'ui' });
    expect(parseSottoArgs(['headless', '--json']).command).toEqual({
      kind: 'headless',
      json: true,
    });
    expect(parseSottoArgs(['--json', 'headless']).command).toEqual({
      kind: 'headless',
      json: true,
    });
    expect(parseSottoArgs(['id']).command).toEqual({ kind: 'id' });
    expect(parseSottoArgs(['demo']).command).toEqual({ kind: 'demo' });
    expect(parseSottoArgs(['testnet']).command).toEqual({ kind: 'testnet' });
    expect(parseSottoArgs(['import-ricochet', '/x/ricochet.json']).command).toEqual({
      kind: 'import-ricochet',
      path: '/x/ricochet.json',
    });
    expect(parseSottoArgs(['--help']).command).toEqual({ kind: 'help' });
    expect(parseSottoArgs(['-h', 'id']).command).toEqual({ kind: 'help' });
    expect(parseSottoArgs(['--version']).command).toEqual({ kind: 'version' });
  });

  it('refuses unknown commands, missing and extra arguments', () => {
    usage(['chat']);
    usage(['headless']);
    usage(['id', '--json']);
    usage(['--json']);
    usage(['import-ricochet']);
    usage(['import-ricochet', 'a', 'b']);
    usage(['id', 'extra']);
  });
});

describe('parseSottoArgs options', () => {
  it('parses global flags', () => {
    const { options } = parseSottoArgs([
      '--profile',
      '/p',
      '--tor-control',
      '127.0.0.1:9051',
      '--tor-control-password-file',
      '/pw',
      '--torrc-extra',
      '/extra',
      '--passphrase-file',
      '/pass',
      '--onion-listen',
      '[::1]:9878',
      '--onion-target',
      '10.152.152.11:9878',
    ]);
    expect(options).toEqual({
      profileDir: '/p',
      torControl: { host: '127.0.0.1', port: 9051 },
      torControlPasswordFile: '/pw',
      torrcExtra: '/extra',
      passphrase: { kind: 'file', path: '/pass' },
      onionListen: { host: '::1', port: 9878 },
      onionTarget: { host: '10.152.152.11', port: 9878 },
    });
    expect(parseSottoArgs(['--tor', '/usr/bin/tor', '--testnet', '/t']).options).toEqual({
      torPath: '/usr/bin/tor',
      testnetDir: '/t',
      passphrase: { kind: 'tty' },
    });
    expect(parseSottoArgs(['--passphrase-fd', '3']).options.passphrase).toEqual({
      kind: 'fd',
      fd: 3,
    });
    expect(parseSottoArgs(['--no-passphrase']).options.passphrase).toEqual({ kind: 'none' });
    expect(parseSottoArgs(['--profile=/q']).options.profileDir).toBe('/q');
  });

  it('--ricochet-compat turns the Sotto extensions off (a flag, not the environment)', () => {
    expect(parseSottoArgs(['headless', '--json', '--ricochet-compat']).options).toEqual({
      passphrase: { kind: 'tty' },
      ricochetCompat: true,
    });
    expect(parseSottoArgs(['--ricochet-compat']).options.ricochetCompat).toBe(true);
    expect(parseSottoArgs([]).options.ricochetCompat).toBeUndefined();
    expect(messengerOptionsFrom(parseSottoArgs(['--ricochet-compat']).options)).toEqual({
      features: [],
    });
    expect(messengerOptionsFrom(parseSottoArgs([]).options)).toEqual({});
    usage(['--ricochet-compat=yes']);
    usage(['--ricochet-compat', '--ricochet-compat']);
    expect(USAGE).toContain('--ricochet-compat');
  });

  it('--nickname is checked with the Ricochet nickname rules; empty clears it; absent by default', () => {
    expect(parseSottoArgs([]).options.ownNickname).toBeUndefined();
    expect(parseSottoArgs(['headless', '--json', '--nickname', 'Alice M']).options).toEqual({
      passphrase: { kind: 'tty' },
      ownNickname: 'Alice M',
    });
    expect(parseSottoArgs(['--nickname=']).options.ownNickname).toBe('');
    for (const bad of ['a<b', 'x'.repeat(31), ' ', 'a\u202eb', 'a\u0007']) {
      expect(usage(['--nickname', bad]).message).toMatch(/^--nickname: /);
    }
    usage(['--nickname', 'a', '--nickname', 'b']);
    expect(USAGE).toContain('--nickname NAME');
  });

  it('takes --bridges with --testnet (bridges on the private network)', () => {
    expect(parseSottoArgs(['--testnet', '/t', '--bridges', '/b']).options).toEqual({
      testnetDir: '/t',
      bridgesFile: '/b',
      passphrase: { kind: 'tty' },
    });
  });

  it('takes --bridges for the tor Sotto launches', () => {
    expect(parseSottoArgs(['--tor', '/usr/bin/tor', '--bridges', '/b']).options).toEqual({
      torPath: '/usr/bin/tor',
      bridgesFile: '/b',
      passphrase: { kind: 'tty' },
    });
  });

  it('refuses --bridges with --tor-control (an attached tor is never reconfigured)', () => {
    for (const argv of [
      ['--tor-control', '127.0.0.1:9051', '--bridges', '/b'],
      ['headless', '--json', '--bridges=/b', '--tor-control=127.0.0.1:9051'],
    ]) {
      const error = usage(argv);
      expect(error.message).toBe(
        "--bridges applies to the tor Sotto launches; configure your system tor's bridges instead of using --tor-control",
      );
      expect(error.message).not.toContain('\n');
    }
  });

  it('refuses unknown flags in one clear line', () => {
    expect(usage(['--bogus']).message).toBe('unknown option --bogus (see sotto --help)');
    expect(usage(['-x']).message).toBe('unknown option -x (see sotto --help)');
  });

  it('never accepts secrets on argv', () => {
    expect(usage(['--passphrase', 'hunter2']).message).toContain('never go on the command line');
    expect(usage(['--passphrase=hunter2']).message).not.toContain('hunter2');
    expect(usage(['--password', 'x']).message).toContain('--passphrase-file');
    expect(usage(['--tor-control-password', 'x']).message).toContain('--tor-control-password-file');
  });

  it('refuses contradictions, duplicates and bad values', () => {
    usage(['--passphrase-file', '/a', '--no-passphrase']);
    usage(['--passphrase-fd', '3', '--passphrase-file', '/a']);
    usage(['--tor', '/usr/bin/tor', '--tor-control', '127.0.0.1:9051']);
    usage(['--testnet', '/t', '--tor-control', '127.0.0.1:9051']);
    usage(['--tor-control-password-file', '/pw']);
    usage(['--profile', '/a', '--profile', '/b']);
    usage(['--profile', '']);
    usage(['--profile']);
    usage(['--passphrase-fd', '0']);
    usage(['--passphrase-fd', 'three']);
    usage(['--passphrase-fd', '-1']);
    usage(['--json=yes', 'headless']);
    for (const bad of ['127.0.0.1', '127.0.0.1:0', 'h:65536', ':80', 'a b:1', '::1:80', 'h:-1']) {
      usage(['--tor-control', bad]);
    }
  });
});

describe('parseHostPort', () => {
  it('parses IPv4, bracketed IPv6 and localhost', () => {
    expect(parseHostPort('x', '10.152.152.10:9878')).toEqual({ host: '10.152.152.10', port: 9878 });
    expect(parseHostPort('x', '[fe80::1]:1')).toEqual({ host: 'fe80::1', port: 1 });
    expect(parseHostPort('x', 'localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
  });

  it.each(['gateway.lan:9051', 'example.com:9051', 'tor:9051', '999.1.1.1:9051', '[nohex]:1'])(
    'refuses the DNS name (or non-address) in %j: it would resolve outside Tor',
    (value) => {
      for (const flag of ['--tor-control', '--onion-listen', '--onion-target']) {
        expect(() => parseSottoArgs([flag, value])).toThrow(UsageError);
      }
    },
  );
});

describe('--tor-control-no-auth', () => {
  it('is the opt-in for a control port without authentication, only with --tor-control', () => {
    const { options } = parseSottoArgs([
      '--tor-control',
      '127.0.0.1:9051',
      '--tor-control-no-auth',
    ]);
    expect(options.torControlNoAuth).toBe(true);
    expect(parseSottoArgs(['--tor-control', '127.0.0.1:9051']).options.torControlNoAuth).toBe(
      undefined,
    );
    expect(() => parseSottoArgs(['--tor-control-no-auth'])).toThrow(UsageError);
  });
});

describe('doctor', () => {
  it('is a command without arguments', () => {
    expect(parseSottoArgs(['doctor']).command).toEqual({ kind: 'doctor' });
    expect(() => parseSottoArgs(['doctor', 'x'])).toThrow(UsageError);
  });
});

describe('robustness', () => {
  it('random argv never throws anything but UsageError (property)', () => {
    const word = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '--profile',
        '--json',
        'headless',
        'id',
        '--no-passphrase',
        '--tor',
        '--',
        '-h',
      ),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        try {
          parseSottoArgs(argv);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
