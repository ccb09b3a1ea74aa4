// Event parsers for STATUS_CLIENT (BOOTSTRAP), NETWORK_LIVENESS, HS_DESC (control-spec §4.1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedControlFieldError } from '../../../src/onion/control/errors.js';
import {
  parseBootstrapPhase,
  parseClientStatus,
  parseHsDesc,
  parseNetworkLiveness,
  parseTorEvent,
} from '../../../src/onion/control/events.js';
import { ControlReplyParser } from '../../../src/onion/control/reply-parser.js';

describe('STATUS_CLIENT', () => {
  it('parses a BOOTSTRAP notice', () => {
    expect(parseClientStatus('NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"')).toEqual({
      type: 'bootstrap',
      severity: 'NOTICE',
      progress: 100,
      tag: 'done',
      summary: 'Done',
    });
  });

  it('parses a BOOTSTRAP warning with reason and recommendation', () => {
    const status = parseClientStatus(
      'WARN BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay" ' +
        'WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=ignore ' +
        'HOSTID="0123" HOSTADDR="127.0.0.1:22001"',
    );
    expect(status).toEqual({
      type: 'bootstrap',
      severity: 'WARN',
      progress: 10,
      tag: 'conn_done',
      summary: 'Connected to a relay',
      warning: 'Connection refused',
      reason: 'CONNECTREFUSED',
      recommendation: 'ignore',
      count: 3,
      hostAddress: '127.0.0.1:22001',
    });
  });

  it('parses other client statuses', () => {
    const status = parseClientStatus('NOTICE CIRCUIT_ESTABLISHED');
    expect(status.type).toBe('client-status');
    expect(status.type === 'client-status' && status.action).toBe('CIRCUIT_ESTABLISHED');
  });

  it('refuses bad progress and missing fields', () => {
    expect(() => parseClientStatus('NOTICE BOOTSTRAP PROGRESS=101 TAG=a SUMMARY=b')).toThrow(
      MalformedControlFieldError,
    );
    expect(() => parseClientStatus('NOTICE BOOTSTRAP PROGRESS=1 TAG=a')).toThrow(
      MalformedControlFieldError,
    );
    expect(() => parseClientStatus('NOTICE')).toThrow(MalformedControlFieldError);
  });

  it('parses GETINFO status/bootstrap-phase', () => {
    expect(
      parseBootstrapPhase('NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting"').progress,
    ).toBe(0);
    expect(() => parseBootstrapPhase('NOTICE CIRCUIT_ESTABLISHED')).toThrow(
      MalformedControlFieldError,
    );
  });
});

describe('NETWORK_LIVENESS and HS_DESC', () => {
  it('parses UP and DOWN', () => {
    expect(parseNetworkLiveness('UP').up).toBe(true);
    expect(parseNetworkLiveness('DOWN').up).toBe(false);
    expect(() => parseNetworkLiveness('SIDEWAYS')).toThrow(MalformedControlFieldError);
  });

  const id = 'a'.repeat(56);
  it('parses UPLOAD with a descriptor id and HSDIR_INDEX', () => {
    const event = parseHsDesc(
      `UPLOAD ${id} UNKNOWN $ABCDEF0123456789ABCDEF0123456789ABCDEF01~relay DESCID123 HSDIR_INDEX=00FF`,
    );
    expect(event).toMatchObject({
      action: 'UPLOAD',
      address: id,
      authType: 'UNKNOWN',
      hsDir: '$ABCDEF0123456789ABCDEF0123456789ABCDEF01~relay',
      descriptorId: 'DESCID123',
    });
    expect(event.arguments.get('HSDIR_INDEX')).toBe('00FF');
  });

  it('parses UPLOADED and FAILED with REASON', () => {
    expect(parseHsDesc(`UPLOADED ${id} UNKNOWN $AB~x`).action).toBe('UPLOADED');
    const failed = parseHsDesc(`FAILED ${id} UNKNOWN $AB~x REASON=UPLOAD_REJECTED`);
    expect(failed.reason).toBe('UPLOAD_REJECTED');
    expect(failed.descriptorId).toBeUndefined();
    expect(() => parseHsDesc('UPLOADED x')).toThrow(MalformedControlFieldError);
  });

  it('routes a parsed wire event by keyword', () => {
    const [reply] = new ControlReplyParser().push(
      new TextEncoder().encode('650 NETWORK_LIVENESS DOWN\r\n'),
    );
    const first = reply!.lines[0]!.text;
    expect(
      parseTorEvent({
        keyword: 'NETWORK_LIVENESS',
        line: first.slice(17),
        lines: reply!.lines,
        reply: reply!,
      }),
    ).toEqual({ type: 'network-liveness', up: false });
    expect(parseTorEvent({ keyword: 'CIRC', line: '1 BUILT', lines: [], reply: reply! })).toBe(
      undefined,
    );
  });

  it('random event lines only raise MalformedControlFieldError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('STATUS_CLIENT', 'NETWORK_LIVENESS', 'HS_DESC'),
        fc.string({ maxLength: 80 }),
        (keyword, line) => {
          const reply = { status: 650, isAsync: true, lines: [] };
          try {
            parseTorEvent({ keyword, line, lines: [], reply });
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedControlFieldError);
          }
        },
      ),
    );
  });
});
