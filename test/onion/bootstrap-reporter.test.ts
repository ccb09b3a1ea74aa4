// Bootstrap problems as TorEvents: tor's BOOTSTRAP warnings (captured from tor 0.4.9.11 on the
// private network) explained in words, repeats not re-reported, and a stall reported once per phase
// — all with an injected clock, no timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  explainBootstrapWarning,
  explainStall,
  type BootstrapContext,
} from '../../src/onion/bootstrap-problems.js';
import {
  BootstrapProblemReporter,
  DEFAULT_STALL_AFTER_MS,
  bootstrapContextFromTorrc,
} from '../../src/onion/bootstrap-reporter.js';
import { parseClientStatus, type BootstrapStatus } from '../../src/onion/control/events.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';

const BRIDGE_CLOSED_PORT = (count: number): string =>
  `WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=${count} RECOMMENDATION=warn HOSTID="0000000000000000000000000000000000000000" HOSTADDR="127.0.0.1:11402"`;
const progress = (n: number, tag: string): string =>
  `NOTICE BOOTSTRAP PROGRESS=${n} TAG=${tag} SUMMARY="phase ${tag}"`;

function status(body: string): BootstrapStatus {
  const parsed = parseClientStatus(body);
  if (parsed.type !== 'bootstrap') throw new Error('not a bootstrap status');
  return parsed;
}

function reporter(context: BootstrapContext, stallAfterMs?: number) {
  let now = 1_000_000;
  const events: TorEvent[] = [];
  const r = new BootstrapProblemReporter(context, (e) => events.push(e), {
    now: () => now,
    ...(stallAfterMs === undefined ? {} : { stallAfterMs }),
  });
  return {
    r,
    events,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const bridges: BootstrapContext = { usingBridges: true, usingProxy: false };

describe('BootstrapProblemReporter', () => {
  it("explains tor's BOOTSTRAP warning in words, once per phase", () => {
    const { r, events } = reporter(bridges);
    r.onPhase(status(progress(5, 'conn')));
    r.onPhase(status(BRIDGE_CLOSED_PORT(1)));
    r.onPhase(status(BRIDGE_CLOSED_PORT(2))); // tor repeats it with a growing COUNT
    const expected = explainBootstrapWarning(
      { progress: 5, tag: 'conn', reason: 'CONNECTREFUSED', hostAddress: '127.0.0.1:11402' },
      bridges,
    );
    expect(events).toEqual([
      {
        type: 'bootstrap-problem',
        reason: 'CONNECTREFUSED',
        summary: expected.summary,
        recommendation: expected.suggestion,
      },
    ]);
    expect(expected.summary).toContain('bridge (127.0.0.1:11402)');
    // A new phase: the same problem is worth telling again.
    r.onPhase(status(progress(10, 'conn_done')));
    r.onPhase(status(BRIDGE_CLOSED_PORT(3)));
    expect(events).toHaveLength(2);
  });

  it('reports a bootstrap stuck in one phase after stallAfterMs, once per phase', () => {
    const { r, events, advance } = reporter(bridges);
    r.onPhase(status(progress(5, 'conn')));
    advance(DEFAULT_STALL_AFTER_MS - 1);
    r.check();
    expect(events).toEqual([]);
    advance(1);
    r.check();
    const stall = explainStall(
      { progress: 5, tag: 'conn', stalledForMs: DEFAULT_STALL_AFTER_MS },
      bridges,
    );
    expect(events).toEqual([
      {
        type: 'bootstrap-problem',
        reason: 'STALLED',
        summary: stall.summary,
        recommendation: stall.suggestion,
      },
    ]);
    expect(stall.summary).toContain('stuck at 5%');
    advance(60_000);
    r.check();
    expect(events).toHaveLength(1);
    // Progress moves on: the clock restarts; a stall in the new phase is reported again.
    r.onPhase(status(progress(50, 'loading_descriptors')));
    r.check();
    expect(events).toHaveLength(1);
    advance(DEFAULT_STALL_AFTER_MS);
    r.check();
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ reason: 'STALLED' });
  });

  it('an older GETINFO answer does not restart the stall clock; 100% never stalls', () => {
    const { r, events, advance } = reporter(bridges, 10_000);
    r.onPhase(status(progress(50, 'loading_descriptors')));
    advance(6_000);
    r.onPhase(status(progress(45, 'requesting_descriptors')));
    advance(4_000);
    r.check();
    expect(events).toHaveLength(1);
    r.onPhase(status(progress(100, 'done')));
    advance(1_000_000);
    r.check();
    expect(events).toHaveLength(1);
  });

  it('a bootstrap that never reports any phase is a stall at 0%', () => {
    const { r, events, advance } = reporter({ usingBridges: false, usingProxy: false });
    advance(DEFAULT_STALL_AFTER_MS);
    r.check();
    expect(events).toMatchObject([{ type: 'bootstrap-problem', reason: 'STALLED' }]);
  });
});

describe('bootstrapContextFromTorrc', () => {
  it('reads bridges, their transport and a proxy from the launched tor torrc lines', () => {
    expect(bootstrapContextFromTorrc([])).toEqual({ usingBridges: false, usingProxy: false });
    expect(
      bootstrapContextFromTorrc([
        'UseBridges 1',
        'Bridge obfs4 192.0.2.1:443 0123456789ABCDEF0123456789ABCDEF01234567 cert=x iat-mode=0',
        'ClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy',
        'Socks5Proxy 127.0.0.1:1080',
      ]),
    ).toEqual({ usingBridges: true, usingProxy: true, transport: 'obfs4' });
    expect(bootstrapContextFromTorrc(['Bridge 192.0.2.1:443', 'HTTPSProxy h:3128'])).toEqual({
      usingBridges: true,
      usingProxy: true,
    });
  });

  it('never throws on arbitrary lines (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 20 }), (lines) => {
        const context = bootstrapContextFromTorrc(lines);
        expect(typeof context.usingBridges).toBe('boolean');
      }),
    );
  });
});
