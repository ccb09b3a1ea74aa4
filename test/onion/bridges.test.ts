import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BRIDGE_LIMITS,
  BridgeAddressError,
  BridgeArgumentError,
  BridgeFingerprintError,
  BridgeLineCharacterError,
  BridgeLineError,
  BridgeLineTooLongError,
  EmptyBridgeLineError,
  MissingBridgeArgumentError,
  TooManyBridgesError,
  UnsupportedTransportError,
  parseBridgeLine,
  parseBridgeList,
} from '../../src/onion/bridges.js';
import { BUILTIN_BRIDGES } from '../../src/onion/builtin-bridges.js';

const FP = 'CDF2E852BF539B82BD10E27E9115A31734E378C2';
const CERT = 'qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ';
const OBFS4 = `obfs4 192.95.36.142:443 ${FP} cert=${CERT} iat-mode=1`;

describe('parseBridgeLine', () => {
  it('parses an obfs4 line with or without the Bridge keyword', () => {
    for (const input of [OBFS4, `Bridge ${OBFS4}`, `  bridge\t${OBFS4}  `]) {
      const bridge = parseBridgeLine(input);
      expect(bridge).toEqual({
        transport: 'obfs4',
        host: '192.95.36.142',
        port: 443,
        fingerprint: FP,
        args: [
          ['cert', CERT],
          ['iat-mode', '1'],
        ],
        line: OBFS4,
      });
    }
  });

  it('parses plain bridges, IPv6 in brackets, and upper-cases fingerprints', () => {
    expect(parseBridgeLine(`10.0.0.1:9001 ${FP.toLowerCase()}`)).toEqual({
      host: '10.0.0.1',
      port: 9001,
      fingerprint: FP,
      args: [],
      line: `10.0.0.1:9001 ${FP}`,
    });
    expect(parseBridgeLine('[2001:DB8::1]:443').line).toBe('[2001:db8::1]:443');
    expect(parseBridgeLine(`obfs4 [2001:db8::2]:80 ${FP} cert=${CERT} iat-mode=0`).host).toBe(
      '2001:db8::2',
    );
  });

  it('accepts every built-in bridge line unchanged', () => {
    for (const lines of Object.values(BUILTIN_BRIDGES)) {
      for (const line of lines) expect(parseBridgeLine(line).line).toBe(line);
    }
  });

  it('accepts snowflake, meek_lite and webtunnel shapes', () => {
    expect(
      parseBridgeLine(
        `snowflake 192.0.2.3:80 ${FP} fingerprint=${FP} url=https://broker.example/ ice=stun:a.example:3478,stun:b.example:3478`,
      ).transport,
    ).toBe('snowflake');
    expect(
      parseBridgeLine('meek_lite 192.0.2.20:80 url=https://x.example front=y.example').transport,
    ).toBe('meek_lite');
    expect(
      parseBridgeLine(`webtunnel [2001:db8::3]:443 ${FP} url=https://w.example/path ver=0.0.1`)
        .transport,
    ).toBe('webtunnel');
  });

  const refused: [string, string, new (...args: never[]) => BridgeLineError][] = [
    ['empty', '   ', EmptyBridgeLineError],
    ['only the keyword', 'Bridge', EmptyBridgeLineError],
    ['a line feed (torrc injection)', `${OBFS4}\nControlPort 9051`, BridgeLineCharacterError],
    ['a carriage return', `${OBFS4}\rUseBridges 0`, BridgeLineCharacterError],
    ['a NUL', `10.0.0.1:1\0`, BridgeLineCharacterError],
    ['a comment sign', `10.0.0.1:1 # ${FP}`, BridgeLineCharacterError],
    ['a quote', `obfs4 10.0.0.1:1 ${FP} cert="${CERT}" iat-mode=0`, BridgeLineCharacterError],
    ['a backslash', `10.0.0.1:1 \\`, BridgeLineCharacterError],
    ['non-ASCII', `10.0.0.1:1 ${FP} ü`, BridgeLineCharacterError],
    ['an unknown transport', `obfs3 10.0.0.1:1 ${FP}`, UnsupportedTransportError],
    ['a non-name transport', `obf-s4 10.0.0.1:1 ${FP}`, UnsupportedTransportError],
    ['no address', 'obfs4', BridgeAddressError],
    ['a host name', `example.org:443 ${FP}`, UnsupportedTransportError],
    ['a bad IPv4', `300.0.0.1:443 ${FP}`, BridgeAddressError],
    ['a bad IPv6', `[2001:::1]:443`, BridgeAddressError],
    ['IPv6 without brackets', `2001:db8::1:443`, BridgeAddressError],
    ['port 0', `10.0.0.1:0`, BridgeAddressError],
    ['port 65536', `10.0.0.1:65536`, BridgeAddressError],
    ['no port', `10.0.0.1 ${FP}`, BridgeAddressError],
    ['a short fingerprint', `10.0.0.1:1 ${FP.slice(1)}`, BridgeFingerprintError],
    [
      'obfs4 without fingerprint',
      `obfs4 10.0.0.1:1 cert=${CERT} iat-mode=0`,
      BridgeFingerprintError,
    ],
    ['obfs4 without cert', `obfs4 10.0.0.1:1 ${FP} iat-mode=0`, MissingBridgeArgumentError],
    ['obfs4 without iat-mode', `obfs4 10.0.0.1:1 ${FP} cert=${CERT}`, MissingBridgeArgumentError],
    [
      'obfs4 short cert',
      `obfs4 10.0.0.1:1 ${FP} cert=${CERT.slice(2)} iat-mode=0`,
      BridgeArgumentError,
    ],
    ['obfs4 iat-mode 3', `obfs4 10.0.0.1:1 ${FP} cert=${CERT} iat-mode=3`, BridgeArgumentError],
    ['obfs4 extra arg', `obfs4 10.0.0.1:1 ${FP} cert=${CERT} iat-mode=0 x=1`, BridgeArgumentError],
    [
      'duplicate arg',
      `meek_lite 10.0.0.1:1 url=https://a.example url=https://b.example`,
      BridgeArgumentError,
    ],
    ['empty value', `meek_lite 10.0.0.1:1 url=`, BridgeArgumentError],
    ['a stray word', `meek_lite 10.0.0.1:1 url=https://a.example extra`, BridgeArgumentError],
    ['args on a plain bridge', `10.0.0.1:1 ${FP} cert=${CERT}`, BridgeArgumentError],
    ['meek without url', `meek_lite 10.0.0.1:1 front=a.example`, MissingBridgeArgumentError],
    ['meek http url', `meek_lite 10.0.0.1:1 url=http://a.example`, BridgeArgumentError],
    [
      'snowflake bad ice',
      `snowflake 10.0.0.1:1 url=https://a.example ice=http://x`,
      BridgeArgumentError,
    ],
    [
      'snowflake bad fingerprint=',
      `snowflake 10.0.0.1:1 url=https://a.example fingerprint=12`,
      BridgeArgumentError,
    ],
    [
      'webtunnel without fingerprint',
      `webtunnel 10.0.0.1:1 url=https://a.example`,
      BridgeFingerprintError,
    ],
    ['too long', `10.0.0.1:1 ${'x'.repeat(BRIDGE_LIMITS.lineLength)}`, BridgeLineTooLongError],
  ];
  it.each(refused)('refuses %s', (_what, input, ErrorClass) => {
    expect(() => parseBridgeLine(input)).toThrow(ErrorClass);
  });

  it('typed errors carry their class name', () => {
    try {
      parseBridgeLine('obfs3 10.0.0.1:1');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).name).toBe('UnsupportedTransportError');
    }
  });

  it('every prefix of a valid line (char at a time) parses or fails with a typed error', () => {
    for (let end = 0; end <= OBFS4.length; end++) {
      try {
        parseBridgeLine(OBFS4.slice(0, end));
      } catch (error) {
        expect(error).toBeInstanceOf(BridgeLineError);
      }
    }
  });

  it('property: any string parses or throws a BridgeLineError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (input) => {
        try {
          parseBridgeLine(input);
        } catch (error) {
          expect(error).toBeInstanceOf(BridgeLineError);
        }
      }),
    );
  });

  it('property: a line with a control character is always refused', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: OBFS4.length }),
        fc.constantFrom('\n', '\r', '\0', '\u000b', '\u001b', '\u007f', '\u2028'),
        (at, bad) => {
          expect(() => parseBridgeLine(OBFS4.slice(0, at) + bad + OBFS4.slice(at))).toThrow(
            BridgeLineError,
          );
        },
      ),
    );
  });

  it('property: the canonical line of a parsed bridge parses to itself', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.tuple(octet, octet, octet, octet),
        fc.integer({ min: 1, max: 65535 }),
        fc.stringMatching(/^[0-9a-f]{40}$/),
        fc.constantFrom('0', '1', '2'),
        fc.boolean(),
        (ip, port, fp, iat, keyword) => {
          const input = `${keyword ? 'Bridge ' : ''}obfs4 ${ip.join('.')}:${port} ${fp} cert=${CERT} iat-mode=${iat}`;
          const bridge = parseBridgeLine(input);
          expect(parseBridgeLine(bridge.line)).toEqual(bridge);
          expect(bridge.line).not.toMatch(/[\r\n\0#"\\]/);
        },
      ),
    );
  });
});

describe('parseBridgeList', () => {
  it('reports each bad line with its number and keeps the good ones', () => {
    const text = [
      '# my bridges',
      OBFS4,
      '',
      'obfs3 10.0.0.1:1',
      `Bridge 10.0.0.2:9001 ${FP}`,
      `obfs4 10.0.0.3:1 ${FP} cert=${CERT}`,
    ].join('\r\n');
    const result = parseBridgeList(text);
    expect(result.bridges.map((b) => b.line)).toEqual([OBFS4, `10.0.0.2:9001 ${FP}`]);
    expect(result.problems.map((p) => [p.lineNumber, p.error.name])).toEqual([
      [4, 'UnsupportedTransportError'],
      [6, 'MissingBridgeArgumentError'],
    ]);
  });

  it('drops duplicates and refuses more than the limit', () => {
    expect(parseBridgeList(`${OBFS4}\nBridge ${OBFS4}`).bridges).toHaveLength(1);
    const many = Array.from(
      { length: BRIDGE_LIMITS.bridges + 1 },
      (_, i) => `10.0.${i >> 8}.${i & 255}:1`,
    );
    const result = parseBridgeList(many.join('\n'));
    expect(result.bridges).toHaveLength(BRIDGE_LIMITS.bridges);
    expect(result.problems[0]?.error).toBeInstanceOf(TooManyBridgesError);
  });

  it('refuses an oversized text before splitting it', () => {
    const result = parseBridgeList('\n'.repeat(BRIDGE_LIMITS.textLength + 1));
    expect(result.bridges).toEqual([]);
    expect(result.problems[0]?.error).toBeInstanceOf(BridgeLineTooLongError);
  });

  it('a lone CR inside a line is refused, not taken as a line break', () => {
    const result = parseBridgeList(`10.0.0.1:1\rUseBridges 0`);
    expect(result.bridges).toEqual([]);
    expect(result.problems[0]?.error).toBeInstanceOf(BridgeLineCharacterError);
  });
});
