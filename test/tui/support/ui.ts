// Helpers for driving Ink components in tests: wait for a frame that satisfies an expectation
// (polling the render loop, no fixed sleeps) and send named keys.
import { until } from '../../support/wait.js';

export interface Rendered {
  readonly lastFrame: () => string | undefined;
  readonly stdin: { write: (data: string) => void };
}

/** Resolves once `check` passes against the latest frame (retries while React re-renders). */
export async function frameWhere(r: Rendered, check: (frame: string) => void): Promise<string> {
  let frame = '';
  await until(
    () => {
      frame = r.lastFrame() ?? '';
      check(frame);
    },
    undefined,
    { timeoutMs: 5_000 },
  );
  return frame;
}

/** Lets pending effects (input subscriptions) and renders run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export async function press(r: Rendered, ...keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await settle();
    r.stdin.write(key);
    await settle();
  }
}

export const KEY = {
  enter: '\r',
  altEnter: '\x1b\r',
  ctrlJ: '\n',
  tab: '\t',
  esc: '\x1b',
  up: '\x1b[A',
  down: '\x1b[B',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  backspace: '\x7f',
  ctrlC: '\x03',
  ctrlN: '\x0e',
} as const;

/** Resolves once `check` passes (for effects that run after the frame is drawn). */
export { until };
