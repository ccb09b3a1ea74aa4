// Unit tests of the test network's pure parts: torrc generation (tor/testnet-torrc.ts) and
// consensus reading (tor/testnet-consensus.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SHARED_TESTNET_LINES,
  TorrcValueError,
  clientTestnetLines,
  dirAuthorityLine,
  nodeBaseLines,
  nodeTorrc,
  planNodes,
  portsNeeded,
} from '../../tor/testnet-torrc.js';
import { missingRunningRouters, routersInConsensus } from '../../tor/testnet-consensus.js';

const FP_A = 'D08C411B7C7EDD345F22C86C7D939399E4C5F253';
const FP_B = '2C921DCFC6ADFE8B9F02AC57F313B2DA813E6776';
const auth = {
  nickname: 'auth0',
  orPort: 21000,
  dirPort: 21001,
  v3Identity: FP_A,
  relayFingerprint: FP_B,
};

describe('testnet torrc', () => {
  it('writes the DirAuthority line docs/TESTNET.md describes', () => {
    expect(dirAuthorityLine(auth)).toBe(
      `DirAuthority auth0 orport=21000 no-v2 v3ident=${FP_A} 127.0.0.1:21001 ${FP_B}`,
    );
  });

  it('client lines are the shared lines plus one DirAuthority line per authority', () => {
    const lines = clientTestnetLines([
      auth,
      { ...auth, nickname: 'auth1', orPort: 21002, dirPort: 21003 },
    ]);
    expect(lines.slice(0, SHARED_TESTNET_LINES.length)).toEqual(SHARED_TESTNET_LINES);
    expect(lines).toContain('TestingTorNetwork 1');
    expect(lines.filter((l) => l.startsWith('DirAuthority '))).toHaveLength(2);
    expect(() => clientTestnetLines([])).toThrow(TorrcValueError);
  });

  it('plans authorities first, two consecutive ports each, inside the block', () => {
    const nodes = planNodes('/tmp/net', 21000, 3, 2);
    expect(nodes.map((n) => n.nickname)).toEqual(['auth0', 'auth1', 'auth2', 'relay0', 'relay1']);
    expect(nodes.map((n) => [n.orPort, n.dirPort])).toEqual([
      [21000, 21001],
      [21002, 21003],
      [21004, 21005],
      [21006, 21007],
      [21008, 21009],
    ]);
    expect(nodes[3]?.dataDir).toBe('/tmp/net/relay0');
    expect(portsNeeded(3, 2)).toBe(10);
  });

  it('never gives two nodes the same port (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 60000 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 20 }),
        (base, a, r) => {
          const ports = planNodes('/d', base, a, r).flatMap((n) => [n.orPort, n.dirPort]);
          expect(new Set(ports).size).toBe(ports.length);
          expect(Math.min(...ports)).toBe(base);
          expect(Math.max(...ports)).toBe(base + portsNeeded(a, r) - 1);
        },
      ),
    );
  });

  it('authority torrc: authority options, fast voting, loopback ports, no SOCKS, owner pid', () => {
    const [node] = planNodes('/tmp/net', 21000, 1, 0);
    if (!node) throw new Error('no node');
    const lines = nodeTorrc(node, [auth], 4242).split('\n');
    for (const expected of [
      'AuthoritativeDirectory 1',
      'V3AuthoritativeDirectory 1',
      'V3AuthVotingInterval 10',
      'TestingV3AuthInitialVotingInterval 5',
      'AuthDirVoteStableGuaranteeMinUptime 0',
      'AuthDirFastGuarantee 1 KBytes',
      'ORPort 127.0.0.1:21000',
      'DirPort 127.0.0.1:21001',
      'Address 127.0.0.1',
      'SocksPort 0',
      'ExitPolicy reject *:*',
      'DataDirectory "/tmp/net/auth0"',
      '__OwningControllerProcess 4242',
      dirAuthorityLine(auth),
      ...SHARED_TESTNET_LINES,
    ]) {
      expect(lines).toContain(expected);
    }
  });

  it('relay torrc: no authority options, exits off, SOCKS off', () => {
    const node = planNodes('/tmp/net', 21000, 1, 1)[1];
    if (!node) throw new Error('no node');
    const text = nodeTorrc(node, [auth]);
    expect(text).not.toContain('AuthoritativeDirectory');
    expect(text).not.toContain('__OwningControllerProcess');
    expect(text).toContain('ExitRelay 0');
    expect(text).toContain('SocksPort 0');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('rejects values that would corrupt a torrc', () => {
    const [node] = planNodes('/tmp/net', 21000, 1, 0);
    if (!node) throw new Error('no node');
    expect(() => nodeBaseLines({ ...node, dataDir: '/tmp/a"b' })).toThrow(TorrcValueError);
    expect(() => nodeBaseLines({ ...node, dataDir: 'relative' })).toThrow(TorrcValueError);
    expect(() => nodeBaseLines({ ...node, dataDir: '/tmp/a\nControlPort 9051' })).toThrow(
      TorrcValueError,
    );
    expect(() => nodeBaseLines({ ...node, nickname: 'bad nick' })).toThrow(TorrcValueError);
    expect(() => nodeBaseLines({ ...node, orPort: 70000 })).toThrow(TorrcValueError);
    expect(() => nodeBaseLines(node, 0)).toThrow(TorrcValueError);
    expect(() => dirAuthorityLine({ ...auth, v3Identity: 'abc' })).toThrow(TorrcValueError);
    expect(() => dirAuthorityLine({ ...auth, relayFingerprint: FP_B.toLowerCase() })).toThrow(
      TorrcValueError,
    );
    expect(() => planNodes('/d', 65530, 3, 2)).toThrow(TorrcValueError);
    expect(() => planNodes('/d', 21000, 0, 2)).toThrow(TorrcValueError);
  });
});

describe('testnet consensus reading', () => {
  const consensus = [
    'network-status-version 3 microdesc',
    'vote-status consensus',
    'r auth0 LJIdz8at/ouf 2026-11-27 14:33:10 127.0.0.1 21000 21001',
    'm abc',
    's Authority Fast Guard HSDir Running Stable V2Dir Valid',
    'r relay0 AAAA 2026-11-27 14:33:10 127.0.0.1 21006 21007',
    's Fast Guard HSDir V2Dir Valid',
    'r relay1 BBBB 2026-11-27 14:33:10 127.0.0.1 21008 21009',
    's Fast HSDir Running V2Dir Valid',
    'directory-footer',
  ].join('\n');

  it('lists routers with their flags', () => {
    const routers = routersInConsensus(consensus);
    expect([...routers.keys()]).toEqual(['auth0', 'relay0', 'relay1']);
    expect(routers.get('relay1')).toContain('HSDir');
  });

  it('reports routers that are absent or not Running', () => {
    expect(missingRunningRouters(consensus, ['auth0', 'relay0', 'relay1', 'relay2'])).toEqual([
      'relay0',
      'relay2',
    ]);
    expect(missingRunningRouters('', ['auth0'])).toEqual(['auth0']);
  });

  it('never throws on garbage (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        expect(Array.isArray(missingRunningRouters(text, ['auth0']))).toBe(true);
      }),
    );
  });
});
