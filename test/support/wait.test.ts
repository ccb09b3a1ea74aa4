// The one wait helper fails loudly: a condition that never holds ends in WaitTimeoutError naming
// what was awaited, an assertion that never passes rethrows its own error.
import { describe, expect, it } from 'vitest';
import { until, WaitTimeoutError } from './wait.js';

describe('until', () => {
  it('resolves once the condition holds', async () => {
    let ticks = 0;
    await until(() => ++ticks >= 3);
    expect(ticks).toBe(3);
  });

  it('throws WaitTimeoutError naming what it waited for', async () => {
    const waiting = until(() => false, 'the peer to answer', { timeoutMs: 20 });
    await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(waiting).rejects.toThrow(/the peer to answer/);
  });

  it('rethrows the last assertion error of a check that never passes', async () => {
    const waiting = until(() => expect(1).toBe(2), undefined, { timeoutMs: 20, intervalMs: 0 });
    await expect(waiting).rejects.toMatchObject({ name: 'AssertionError' });
  });
});
