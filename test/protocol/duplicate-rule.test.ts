import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chooseSurvivingConnection,
  inboundBeatsPendingOutbound,
  type ConnectionCandidate,
} from '../../src/protocol/duplicate-rule.js';

// Peers of session-reconnect-known: B < A.
const A = 'u4tfodifb2dj2ms3hagyj47hrdo2ocixxdtium4agds5o77ftcgcktqd';
const B = 'jxbwube3nzsxoowwlel4thjabzr2p3injs3rzl4r7yjjgynlflqrboyd';
const conn = (
  client: string,
  server: string,
  establishedAt: number,
  connected = true,
): ConnectionCandidate => ({
  clientServiceId: client,
  serverServiceId: server,
  establishedAt,
  connected,
});

describe('chooseSurvivingConnection', () => {
  it('matches the recording: A→B (server B, the smaller id) survives on both sides', () => {
    const aToB = conn(A, B, 1000);
    const bToA = conn(B, A, 1010);
    expect(chooseSurvivingConnection(aToB, bToA, A, 1020)).toBe('existing');
    expect(chooseSurvivingConnection(bToA, aToB, B, 1020)).toBe('incoming');
  });

  it('same direction: the new one wins; old > 30 s: the new one wins; dead: the new one wins', () => {
    expect(chooseSurvivingConnection(conn(A, B, 0), conn(A, B, 5), A, 10)).toBe('incoming');
    expect(chooseSurvivingConnection(conn(A, B, 0), conn(B, A, 40_000), A, 30_001)).toBe(
      'incoming',
    );
    expect(chooseSurvivingConnection(conn(A, B, 0), conn(B, A, 40_000), A, 30_000)).toBe(
      'existing',
    );
    expect(chooseSurvivingConnection(conn(A, B, 0, false), conn(B, A, 1), A, 2)).toBe('incoming');
  });

  it('refuses connections between different peers', () => {
    const C = 'a'.repeat(56);
    expect(() => chooseSurvivingConnection(conn(A, B, 0), conn(A, C, 0), A, 0)).toThrow(RangeError);
    expect(() => chooseSurvivingConnection(conn(A, B, 0), conn(B, A, 0), C, 0)).toThrow(RangeError);
  });

  const id = fc.stringMatching(/^[a-z2-7]{56}$/);
  it('property: both peers keep the same connection for simultaneous opposite connections', () => {
    fc.assert(
      fc.property(
        id,
        id,
        fc.nat(29_000),
        fc.nat(29_000),
        fc.boolean(),
        fc.boolean(),
        (x, y, tX, tY, xFirst, yFirst) => {
          fc.pre(x !== y);
          const xToY = conn(x, y, tX);
          const yToX = conn(y, x, tY);
          const now = Math.max(tX, tY) + 500;
          const keptBy = (
            me: string,
            first: ConnectionCandidate,
            second: ConnectionCandidate,
          ): ConnectionCandidate =>
            chooseSurvivingConnection(first, second, me, now) === 'existing' ? first : second;
          const keptByX = xFirst ? keptBy(x, xToY, yToX) : keptBy(x, yToX, xToY);
          const keptByY = yFirst ? keptBy(y, xToY, yToX) : keptBy(y, yToX, xToY);
          expect(keptByX).toBe(keptByY);
          expect(keptByX.serverServiceId).toBe(x < y ? x : y);
        },
      ),
    );
  });

  it('pending outbound attempt: inbound wins unless outbound is authenticating and wins the compare', () => {
    expect(inboundBeatsPendingOutbound(B, A, true)).toBe(true); // B's view in the recording
    expect(inboundBeatsPendingOutbound(A, B, true)).toBe(false);
    expect(inboundBeatsPendingOutbound(A, B, false)).toBe(true);
  });
});
