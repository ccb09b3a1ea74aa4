// The one way tests wait for something that happens later: poll a condition until it holds, and
// fail loudly, naming what was awaited, when it has not held within the timeout (never hang, never
// give up silently). A condition holds when it returns anything but `false` without throwing, so
// both `() => done` and `() => expect(x).toBe(y)` work; the last assertion error is rethrown.

export interface UntilOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Poll every so many ms; 0 polls on every turn of the event loop (default 5 ms). */
  readonly intervalMs?: number;
}

/** Thrown when a condition has not held in time; `cause` is its last assertion error, if any. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

export async function until(
  condition: () => boolean | void,
  what?: string | (() => string),
  options: UntilOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      if (condition() !== false) return;
    } catch (error) {
      failure = error;
    }
    if (performance.now() >= deadline) {
      if (failure instanceof Error && what === undefined) throw failure;
      const described = typeof what === 'function' ? what() : (what ?? condition.toString());
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for: ${described}`, {
        cause: failure,
      });
    }
    await new Promise((resolve) =>
      intervalMs === 0 ? setImmediate(resolve) : setTimeout(resolve, intervalMs),
    );
  }
}
