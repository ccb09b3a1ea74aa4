import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TorrcLineError } from '../../src/onion/tor-errors.js';
import { generateTorrc, torrcFiles, validateExtraTorrcLine } from '../../src/onion/torrc.js';

const base = { dataDir: '/home/u/.sotto/tor', ownerPid: 4242 } as const;

function options(torrc: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of torrc.split('\n').filter((l) => l !== '')) {
    const [keyword = '', ...rest] = line.split(' ');
    map.set(keyword, [...(map.get(keyword) ?? []), rest.join(' ')]);
  }
  return map;
}

describe('generateTorrc', () => {
  it('writes the launch-mode options', () => {
    const torrc = generateTorrc(base);
    const files = torrcFiles(base.dataDir);
    const opts = options(torrc);
    expect(opts.get('DataDirectory')).toEqual(['"/home/u/.sotto/tor"']);
    expect(opts.get('ControlPort')).toEqual(['auto']);
    expect(opts.get('ControlPortWriteToFile')).toEqual([`"${files.controlPortFile}"`]);
    expect(opts.get('CookieAuthentication')).toEqual(['1']);
    expect(opts.get('CookieAuthFile')).toEqual([`"${files.cookieFile}"`]);
    expect(opts.get('SocksPort')?.[0]).toMatch(/^auto\b.*ExtendedErrors/);
    expect(opts.get('__OwningControllerProcess')).toEqual(['4242']);
    expect(opts.get('DisableNetwork')).toEqual(['1']);
    expect(opts.get('AvoidDiskWrites')).toEqual(['1']);
    expect(opts.get('ClientOnly')).toEqual(['1']);
    expect(opts.get('Log')).toEqual(['notice stdout']);
    expect(files.cookieFile.startsWith(base.dataDir)).toBe(true);
    expect(torrc.endsWith('\n')).toBe(true);
  });

  it('logs to stdout when asked', () => {
    expect(options(generateTorrc({ ...base, log: 'stdout' })).get('Log')).toEqual([
      'notice stdout',
    ]);
  });

  it('appends valid extra lines', () => {
    const extra = [
      'TestingTorNetwork 1',
      'DirAuthority a orport=1 no-v2 127.0.0.1:2 ' + '0'.repeat(40),
    ];
    const torrc = generateTorrc({ ...base, extraLines: extra });
    expect(torrc.split('\n').slice(-3, -1)).toEqual(extra);
  });

  it('escapes quotes and backslashes in the data directory', () => {
    const torrc = generateTorrc({ ...base, dataDir: '/tmp/a"b\\c' });
    expect(torrc.split('\n')[0]).toBe('DataDirectory "/tmp/a\\"b\\\\c"');
  });

  it('rejects a relative data directory, a control character in it and a bad pid', () => {
    expect(() => generateTorrc({ ...base, dataDir: 'rel/dir' })).toThrow(TorrcLineError);
    expect(() => generateTorrc({ ...base, dataDir: '/tmp/x\nControlPort 9051' })).toThrow(
      TorrcLineError,
    );
    expect(() => generateTorrc({ ...base, ownerPid: 0 })).toThrow(RangeError);
  });
});

describe('validateExtraTorrcLine', () => {
  it.each([
    'Bridge obfs4 1.2.3.4:443 ABCDEF\nControlPort 9051',
    'UseBridges 1\r\nHashedControlPassword x',
    'UseBridges 1\u0000',
    'Foo \u001b[31m',
    '',
    '   ',
    '# comment',
    'UseBridges \\',
    '=value',
    '+SocksPort 9050',
    '/SocksPort',
    'ControlPort 9051',
    'socksport 9050',
    'DataDirectory /tmp/elsewhere',
    '__OwningControllerProcess 1',
    'DisableNetwork 0',
    'HiddenServiceDir /tmp/hs',
    'x'.repeat(5_000),
  ])('rejects %j', (line) => {
    expect(() => validateExtraTorrcLine(line)).toThrow(TorrcLineError);
  });

  it('accepts ordinary options and trims them', () => {
    expect(validateExtraTorrcLine('  UseBridges 1 ')).toBe('UseBridges 1');
    expect(validateExtraTorrcLine('TestingTorNetwork 1')).toBe('TestingTorNetwork 1');
  });

  it('never lets a newline through (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const line = `UseBridges ${a}\n${b}`;
        expect(() => validateExtraTorrcLine(line)).toThrow(TorrcLineError);
      }),
    );
  });

  it('a generated torrc has one line per option plus one per extra line (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (values) => {
        const extra: string[] = [];
        for (const value of values) {
          try {
            extra.push(validateExtraTorrcLine(`Bridge ${value}`));
          } catch (error) {
            expect(error).toBeInstanceOf(TorrcLineError);
          }
        }
        const lines = generateTorrc({ ...base, extraLines: extra }).split('\n');
        expect(lines.length).toBe(generateTorrc(base).split('\n').length + extra.length);
      }),
    );
  });
});
