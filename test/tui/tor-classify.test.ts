// How the UI names a tor problem from the core's plain-words summary: network refusals during
// bootstrap are not a filtered control port, and tor's raw "ignore"/"warn" is not shown as advice.
import { describe, expect, it } from 'vitest';
import { classifyTorProblem, initialTor, torProblem } from '../../src/tui/state/tor.js';

describe('classifyTorProblem', () => {
  it.each([
    ['Connection refused', 'bootstrap-stuck'],
    ['No route to host', 'bootstrap-stuck'],
    ['Tor cannot reach the Tor network (127.0.0.1:9): connection refused.', 'bootstrap-stuck'],
    ['Control port filtered: ADD_ONION refused', 'control-filtered'],
    ['onion-grater rejected ADD_ONION', 'control-filtered'],
    ['tor was not found (no executable at /x)', 'tor-missing'],
    ['something else entirely', 'other'],
  ] as const)('%s → %s', (summary, kind) => {
    expect(classifyTorProblem(summary)).toBe(kind);
  });
});

describe('torProblem', () => {
  it.each(['ignore', 'warn', ' WARN '])('drops tor severity %j as a recommendation', (raw) => {
    expect(torProblem(initialTor, 'Connection refused', raw).problem?.recommendation).toBe('');
  });

  it('keeps real advice', () => {
    const tor = torProblem(initialTor, 'Connection refused', 'Configure bridges.');
    expect(tor.problem?.recommendation).toBe('Configure bridges.');
  });
});
