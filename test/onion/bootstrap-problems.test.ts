import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BootstrapStallDetector,
  explainBootstrapWarning,
  explainStall,
  explainTorLogLine,
  type BootstrapContext,
} from '../../src/onion/bootstrap-problems.js';
import { parseClientStatus, type BootstrapStatus } from '../../src/onion/control/events.js';

// STATUS_CLIENT event bodies and log lines captured from tor 0.4.9.11 on the private network
// (exploratory runs; the scenarios are re-run in test/tor/bridges.test.ts and network-proxy.test.ts):
// a bridge line pointing at a closed port without a transport,
// a Socks5Proxy pointing at a closed port, an obfs4 bridge line with the wrong port, obfs4 with no
// ClientTransportPlugin, and a ClientTransportPlugin pointing at a missing program.
const BRIDGE_CLOSED_PORT =
  'WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=9 RECOMMENDATION=warn HOSTID="0000000000000000000000000000000000000000" HOSTADDR="127.0.0.1:11402"';
const PROXY_CLOSED_PORT =
  'WARN BOOTSTRAP PROGRESS=3 TAG=conn_proxy SUMMARY="Connecting to proxy" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=10 RECOMMENDATION=warn HOSTID="96CF32E5F3D98A18FDF8419A24797AB58F78E802" HOSTADDR="127.0.0.1:10714"';
const OBFS4_WRONG_PORT_LOG =
  'Nov 27 14:55:11.000 [warn] Proxy Client: unable to connect OR connection (handshaking (proxy)) with 127.0.0.1:21336 ID=<none> RSA_ID=437CBEC8CA8A7737FA2FF89FCCDDD66B4AE90B56 ("general SOCKS server failure")';
const NO_TRANSPORT_LOG =
  'Nov 27 14:54:47.000 [warn] Can\'t use bridge at [scrubbed]: there is no configured transport called "obfs4".';
const MISSING_PROGRAM_LOG =
  'Nov 27 14:56:07.000 [warn] Managed proxy "/nonexistent/obfs4proxy" having PID 8833 terminated with status code 1';

const direct: BootstrapContext = { usingBridges: false, usingProxy: false };
const bridges: BootstrapContext = { usingBridges: true, usingProxy: false };
const obfs4: BootstrapContext = { usingBridges: true, usingProxy: false, transport: 'obfs4' };
const proxied: BootstrapContext = { usingBridges: false, usingProxy: true };

function status(body: string): BootstrapStatus {
  const parsed = parseClientStatus(body);
  if (parsed.type !== 'bootstrap') throw new Error('not a bootstrap status');
  return parsed;
}

describe('explainBootstrapWarning (captured events)', () => {
  it('a bridge on a closed port: bridge-unreachable, naming the address', () => {
    const problem = explainBootstrapWarning(status(BRIDGE_CLOSED_PORT), bridges);
    expect(problem.problem).toBe('bridge-unreachable');
    expect(problem.summary).toContain('127.0.0.1:11402');
    expect(problem.summary).toContain('refused');
    expect(problem.suggestion).toMatch(/another bridge or another transport/);
  });

  it('the same refusal without bridges means the network blocks Tor: try bridges', () => {
    const problem = explainBootstrapWarning(status(BRIDGE_CLOSED_PORT), direct);
    expect(problem.problem).toBe('blocked');
    expect(problem.suggestion).toMatch(/use bridges/);
  });

  it('a proxy on a closed port: proxy-refused', () => {
    const problem = explainBootstrapWarning(status(PROXY_CLOSED_PORT), proxied);
    expect(problem).toMatchObject({ problem: 'proxy-refused' });
    expect(problem.summary).toContain('127.0.0.1:10714');
  });
});

describe('explainBootstrapWarning (each REASON)', () => {
  const cases: [string, BootstrapContext, string][] = [
    ['NOROUTE', direct, 'blocked'],
    ['TIMEOUT', direct, 'blocked'],
    ['CONNECTRESET', direct, 'blocked'],
    ['DONE', direct, 'blocked'],
    ['IOERROR', direct, 'blocked'],
    ['MISC', direct, 'blocked'],
    ['TIMEOUT', bridges, 'bridge-unreachable'],
    ['DONE', bridges, 'bridge-unreachable'],
    ['IDENTITY', bridges, 'bridge-identity'],
    ['IDENTITY', direct, 'blocked'],
    ['PT_MISSING', obfs4, 'transport-missing'],
    ['CLOCK_SKEW', direct, 'clock-skew'],
    ['RESOURCELIMIT', direct, 'resource-limit'],
    ['SOMETHING_NEW', direct, 'blocked'],
  ];
  it.each(cases)('%s (%o) → %s', (reason, context, kind) => {
    const problem = explainBootstrapWarning({ progress: 10, tag: 'conn_done', reason }, context);
    expect(problem.problem).toBe(kind);
    expect(problem.summary.length).toBeGreaterThan(10);
    expect(problem.suggestion.length).toBeGreaterThan(10);
  });

  it('names the Debian package of the missing transport', () => {
    expect(
      explainBootstrapWarning(
        { progress: 1, tag: 'conn_pt', reason: 'PT_MISSING' },
        {
          ...obfs4,
          transport: 'snowflake',
        },
      ).suggestion,
    ).toContain('snowflake-client');
    expect(
      explainBootstrapWarning({ progress: 1, tag: 'conn_pt', reason: 'PT_MISSING' }, obfs4)
        .suggestion,
    ).toContain('obfs4proxy');
  });

  it('property: every reason, tag and progress gives a problem with words', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        fc.boolean(),
        (reason, tag, progress, usingBridges, usingProxy) => {
          const problem = explainBootstrapWarning(
            { progress, tag, reason },
            { usingBridges, usingProxy },
          );
          expect(problem.summary).not.toBe('');
          expect(problem.suggestion).not.toBe('');
        },
      ),
    );
  });
});

describe('explainTorLogLine (captured log lines)', () => {
  it('obfs4 to a wrong port: the transport could not reach the bridge', () => {
    expect(explainTorLogLine(OBFS4_WRONG_PORT_LOG, obfs4)?.problem).toBe('bridge-unreachable');
  });
  it('no ClientTransportPlugin, or a missing program: transport-missing', () => {
    expect(explainTorLogLine(NO_TRANSPORT_LOG, obfs4)?.problem).toBe('transport-missing');
    expect(explainTorLogLine(MISSING_PROGRAM_LOG, obfs4)?.problem).toBe('transport-missing');
  });
  it('ordinary lines explain nothing', () => {
    expect(
      explainTorLogLine(
        'Nov 27 14:50:45.000 [notice] Bootstrapped 10% (conn_done): Connected to a relay',
        obfs4,
      ),
    ).toBeUndefined();
  });
});

describe('stalls', () => {
  it('obfs4 stuck at 2% (conn_done_pt), as with a wrong cert or port: bridge-unreachable', () => {
    const problem = explainStall({ progress: 2, tag: 'conn_done_pt', stalledForMs: 30_000 }, obfs4);
    expect(problem.problem).toBe('bridge-unreachable');
    expect(problem.summary).toContain('stuck at 2% (conn_done_pt) for 30 s');
  });
  it('a transport stuck at 0%: its program did not start', () => {
    expect(
      explainStall({ progress: 0, tag: 'starting', stalledForMs: 60_000 }, obfs4).problem,
    ).toBe('transport-missing');
  });
  it('direct stuck while connecting: blocked; late phases: stalled', () => {
    expect(explainStall({ progress: 5, tag: 'conn', stalledForMs: 60_000 }, direct).problem).toBe(
      'blocked',
    );
    expect(
      explainStall({ progress: 75, tag: 'enough_dirinfo', stalledForMs: 60_000 }, direct).problem,
    ).toBe('stalled');
  });

  it('the detector reports once per phase, after the threshold, and never at 100%', () => {
    const detector = new BootstrapStallDetector(obfs4, 1_000, 0);
    detector.progress(2, 'conn_done_pt', 100);
    expect(detector.check(1_099)).toBeUndefined();
    expect(detector.check(1_100)?.problem).toBe('bridge-unreachable');
    expect(detector.check(5_000)).toBeUndefined();
    detector.progress(2, 'conn_done_pt', 6_000); // same phase: no new report
    expect(detector.check(9_000)).toBeUndefined();
    detector.progress(75, 'enough_dirinfo', 10_000);
    expect(detector.check(11_000)?.problem).toBe('stalled');
    detector.progress(100, 'done', 12_000);
    expect(detector.check(99_000)).toBeUndefined();
  });
});
