// Helpers for tests that run real tor over the private test network: temporary data directories,
// a liveness check for a pid, and bounded waits (one provider event, N bytes of a stream, dialling
// an onion whose descriptor may still be spreading).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  OnionDescriptorNotFoundError,
  OnionIntroductionFailedError,
  OnionIntroductionTimeoutError,
  OnionRendezvousFailedError,
} from '../../src/onion/tor-errors.js';
import type { TorEvent, TorProvider } from '../../src/onion/tor-provider.js';

export async function tempDir(
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `sotto-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Generous bound for one network step in tests: long enough for a loaded CI machine. */
export const NETWORK_STEP_TIMEOUT_MS = 60_000;

/** Limits for a launched tor in tests: stalls become typed errors inside vitest's timeouts. */
export const TOR_TEST_LIMITS = {
  bootstrapTimeoutMs: 120_000,
  publishTimeoutMs: 60_000,
  socksTimeoutMs: 60_000,
};

/** A test helper's wait ran out (says what it waited for instead of hanging until vitest's timeout). */
export class TestWaitTimeoutError extends Error {
  override name = 'TestWaitTimeoutError';
}

/** Resolves with the next event of `type`; rejects after `timeoutMs`. Subscribe before acting. */
export function nextEvent<T extends TorEvent['type']>(
  provider: TorProvider,
  type: T,
  timeoutMs = NETWORK_STEP_TIMEOUT_MS,
): Promise<Extract<TorEvent, { type: T }>> {
  const next = new Promise<Extract<TorEvent, { type: T }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new TestWaitTimeoutError(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = provider.onEvent((event) => {
      if (event.type === type) {
        off();
        clearTimeout(timer);
        resolve(event as Extract<TorEvent, { type: T }>);
      }
    });
  });
  // Created before the action that triggers the event and awaited after it: a timeout in between
  // still reaches the awaiting test, but is not reported as an unhandled rejection.
  next.catch(() => undefined);
  return next;
}

/**
 * Reads from `stream` until `length` bytes arrived. Rejects if the stream ends, closes or fails
 * first, or after `timeoutMs`: a lost byte shows up as an error, never as a hang.
 */
export function readBytes(
  stream: Duplex,
  length: number,
  timeoutMs = NETWORK_STEP_TIMEOUT_MS,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) finish();
    };
    const onError = (error: Error): void => finish(error);
    const onEnd = (): void =>
      finish(new Error(`stream ended after ${total} of ${length} expected bytes`));
    const timer = setTimeout(
      () =>
        finish(
          new TestWaitTimeoutError(
            `only ${total} of ${length} expected bytes within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.once('error', onError);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
  });
}

/** Onion errors that a fresh publish can cause for a while: no descriptor yet, or a stale one
 * (a restarted service's old introduction points) that the client has not refetched. */
const TRANSIENT_ONION_ERRORS = [
  OnionDescriptorNotFoundError,
  OnionIntroductionFailedError,
  OnionIntroductionTimeoutError,
  OnionRendezvousFailedError,
];

/**
 * Dials `<serviceId>.onion:port` through `provider`, retrying the transient onion errors (0xF0,
 * 0xF2, 0xF3, 0xF7) until `phaseMs` is spent. Tor reports a publish on the first `HS_DESC
 * UPLOADED`, while a client may still ask an HSDir whose copy is in flight (or, behind a filter,
 * one not yet uploaded), or hold the descriptor of a service's previous tor; each attempt uses a
 * fresh isolation key. Any other error, or the phase running out, is thrown as is.
 */
export async function dialWithRetry(
  provider: TorProvider,
  serviceId: string,
  port: number,
  isolationPrefix: string,
  phaseMs = NETWORK_STEP_TIMEOUT_MS,
): Promise<Duplex> {
  const phase = AbortSignal.timeout(phaseMs);
  for (let attempt = 0; ; attempt++) {
    try {
      return await provider.connect(serviceId, port, `${isolationPrefix}-${attempt}`, phase);
    } catch (error) {
      const transient = TRANSIENT_ONION_ERRORS.some((type) => error instanceof type);
      if (!transient || phase.aborted) throw error;
      await sleep(2_000, undefined, { signal: phase }).catch(() => undefined);
      if (phase.aborted) throw error;
    }
  }
}

/**
 * Collects the inbound connections of an onion listener and finds the one that carries the dialled
 * stream. The first accepted socket is not necessarily it: when tor's CONNECTED is late (a loaded
 * machine), the dialling tor gives up on that stream and retries with a new one, so the listener
 * sees an empty connection that closes, then the real one.
 */
export class InboundConnections {
  readonly sockets: Duplex[] = [];
  readonly #received = new Map<Duplex, Buffer[]>();
  readonly #collectors = new Map<Duplex, (chunk: Buffer) => void>();
  #wake: (() => void) | undefined;

  /** Pass as the listener's connection callback. */
  readonly accept = ({ socket }: { socket: Duplex }): void => {
    this.sockets.push(socket);
    const chunks: Buffer[] = [];
    this.#received.set(socket, chunks);
    const collect = (chunk: Buffer): void => {
      chunks.push(chunk);
      this.#wake?.();
    };
    this.#collectors.set(socket, collect);
    socket.on('data', collect);
    socket.on('error', () => undefined);
  };

  /**
   * The first connection that delivered at least `length` bytes, with those bytes; it is handed
   * over (no longer read here). Rejects after `timeoutMs` saying what each connection got.
   */
  async firstDelivering(
    length: number,
    timeoutMs = NETWORK_STEP_TIMEOUT_MS,
  ): Promise<{ socket: Duplex; bytes: Buffer }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const socket of this.sockets) {
        const bytes = Buffer.concat(this.#received.get(socket) ?? []);
        if (bytes.length >= length) {
          const collect = this.#collectors.get(socket);
          if (collect !== undefined) socket.off('data', collect);
          return { socket, bytes };
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const got = this.sockets.map((s) => Buffer.concat(this.#received.get(s) ?? []).length);
        throw new TestWaitTimeoutError(
          `no inbound connection delivered ${length} bytes within ${timeoutMs} ms (got ${JSON.stringify(got)})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1_000));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }
}

/** PIDs whose command line mentions `text` (Linux /proc), e.g. a tor started on a data directory. */
export async function pidsWithArgument(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => arg.includes(text))) pids.push(Number(entry));
  }
  return pids;
}
