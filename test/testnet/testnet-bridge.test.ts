import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TestBridgeError,
  obfs4BridgeTorrc,
  parseObfs4BridgelineFile,
} from '../../tor/testnet-bridge.js';
import { parseBridgeLine } from '../../src/onion/bridges.js';

const CERT = 'qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ';
// The shape of <datadir>/pt_state/obfs4_bridgeline.txt (comment header, then a placeholder line);
// the real file is read in test/tor/bridges.test.ts.
const FILE = `# obfs4 torrc client bridge line
#
# This file is an automatically generated bridge line based on
# the current obfs4proxy configuration.  EDITING IT WILL HAVE NO
# EFFECT.
#
# Before distributing this Bridge, edit the placeholder fields
# to contain the actual values:
#  <IP ADDRESS>  - The public IP address of your obfs4 bridge.
#  <PORT>        - The TCP/IP port of your obfs4 bridge.
#  <FINGERPRINT> - The bridge's fingerprint.

Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=${CERT} iat-mode=0
`;

const SPEC = {
  testnetLines: ['TestingTorNetwork 1', 'DirAuthority a orport=1 no-v2 127.0.0.1:2 X'],
  nickname: 'bridge0',
  dataDir: '/tmp/bridge0',
  orPort: 5000,
  obfs4Port: 5001,
  transportPath: '/usr/bin/obfs4proxy',
  owningPid: 42,
};

describe('obfs4 test bridge', () => {
  it('reads cert and iat-mode from obfs4_bridgeline.txt', () => {
    const { cert, iatMode } = parseObfs4BridgelineFile(FILE);
    expect({ cert, iatMode }).toEqual({ cert: CERT, iatMode: 0 });
    // What startObfs4Bridge builds from it is a valid bridge line.
    const line = `obfs4 127.0.0.1:5001 ${'AB'.repeat(20)} cert=${cert} iat-mode=${iatMode}`;
    expect(parseBridgeLine(line).line).toBe(line);
  });

  it('refuses a file without a usable line, and never throws anything else', () => {
    expect(() => parseObfs4BridgelineFile('# only comments\n')).toThrow(TestBridgeError);
    expect(() => parseObfs4BridgelineFile(FILE.replace(CERT, CERT.slice(1)))).toThrow(
      TestBridgeError,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          parseObfs4BridgelineFile(text);
        } catch (error) {
          expect(error).toBeInstanceOf(TestBridgeError);
        }
      }),
    );
  });

  it('writes a bridge relay torrc with the obfs4 server transport, unpublished', () => {
    const lines = obfs4BridgeTorrc(SPEC).trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(SPEC.testnetLines);
    for (const expected of [
      'BridgeRelay 1',
      'PublishServerDescriptor 0',
      'ServerTransportPlugin obfs4 exec /usr/bin/obfs4proxy',
      'ServerTransportListenAddr obfs4 127.0.0.1:5001',
      'ExtORPort auto',
      'ORPort 127.0.0.1:5000',
      'SocksPort 0',
      '__OwningControllerProcess 42',
    ]) {
      expect(lines).toContain(expected);
    }
  });

  it('refuses values that would break the torrc', () => {
    expect(() => obfs4BridgeTorrc({ ...SPEC, nickname: 'bad name' })).toThrow(TestBridgeError);
    expect(() => obfs4BridgeTorrc({ ...SPEC, dataDir: '/tmp/a b' })).toThrow(TestBridgeError);
    expect(() => obfs4BridgeTorrc({ ...SPEC, transportPath: 'obfs4proxy' })).toThrow(
      TestBridgeError,
    );
    expect(() => obfs4BridgeTorrc({ ...SPEC, obfs4Port: 70000 })).toThrow(TestBridgeError);
    expect(() =>
      obfs4BridgeTorrc({ ...SPEC, testnetLines: ['TestingTorNetwork 1\nControlPort 1'] }),
    ).toThrow(TestBridgeError);
  });
});
