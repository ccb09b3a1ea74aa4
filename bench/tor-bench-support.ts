// Shared by the benches on the private Tor network: the run report (command, load, every line
// again at the end), numeric knobs from the environment, quantiles, raw echo/sink onions and raw
// streams, chat send → ack, a file offered and accepted, runs that each start their own network
// with two befriended users, and the launch → published comparison of the bare tor layer with a
// whole Sotto core.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { IdentityKey } from '../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../src/onion/real-tor-provider.js';
import type { CircuitStatus } from '../src/core/circuit-moves.js';
import type { MessengerOptions } from '../src/core/messenger.js';
import { startTestNetwork } from '../tor/testnet.js';
import { SottoInstance, befriend } from '../test/tor/messenger-support.js';

/** vitest's options for a bench that runs its own loop once and prints its own figures. */
export const RUN_ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 } as const;

/** A bench's numeric knob from the environment (`SOTTO_BENCH_RUNS=2`), `fallback` when unset. */
export const envNumber = (name: string, fallback: number): number =>
  Number(process.env[name] ?? fallback);

/** The size of the file and raw streams the bulk benches send (SOTTO_BENCH_FILE_BYTES, 8 MiB). */
export const FILE_BYTES = envNumber('SOTTO_BENCH_FILE_BYTES', 8 * 1024 * 1024);

/** The 1/5/15-minute load averages, `12.34 10.02 8.77` (2 shared cores: say it next to figures). */
export const loadAverage = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * A bench's report: its first lines are the command that ran it and the load; every line is
 * printed at once and kept, so `text()` prints them all again (with the load at the end) after
 * vitest's own table.
 */
export class BenchReport {
  readonly #lines: string[] = [];
  constructor(
    readonly title: string,
    command: string,
  ) {
    this.say(`command: ${command}`);
    this.say(`load average at start: ${loadAverage()}`);
  }

  say(...lines: string[]): void {
    for (const line of lines) {
      this.#lines.push(line);
      console.log(line);
    }
  }

  /** Says that run `run` failed, with the load and the error (the run's other figures are lost). */
  runFailed(run: number, error: unknown): void {
    this.say(`run ${run} FAILED (load ${loadAverage()}): ${String(error)}`);
  }

  text(): string {
    const end = `load average at the end: ${loadAverage()}`;
    return ['', `==== ${this.title} ====`, ...this.#lines, end].join('\n');
  }
}

/** The q-quantile (nearest rank below) of `xs`; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

/** Resolves once `n` more bytes arrived on `socket` (the raw baselines). */
export function readExactly(socket: Duplex, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (chunk: Buffer): void => {
      got += chunk.length;
      if (got < n) return;
      socket.off('data', onData);
      socket.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      socket.off('data', onData);
      reject(error);
    };
    socket.on('data', onData);
    socket.once('error', onError);
  });
}

/** Writes `bytes` of filler to `socket` in 64 KiB blocks, waiting for `drain` (a raw bulk stream). */
export async function writeRawBytes(socket: Duplex, bytes: number): Promise<void> {
  const block = Buffer.alloc(64 * 1024, 0x5a);
  for (let sent = 0; sent < bytes; sent += block.length) {
    if (!socket.write(block.subarray(0, Math.min(block.length, bytes - sent)))) {
      await once(socket, 'drain');
    }
  }
}

/** A sink onion on `host`'s tor: answers one byte once `bytes` arrived on a stream. */
export function sinkOnion(host: RealTorProvider, bytes: number) {
  return host.listen(IdentityKey.generate().expandedKey(), ({ socket }) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= bytes) socket.write(Buffer.of(1));
    });
  });
}

/** An echo onion on `host`'s tor: every stream sends back what it gets. */
export function echoOnion(host: RealTorProvider) {
  return host.listen(IdentityKey.generate().expandedKey(), ({ socket }) => socket.pipe(socket));
}

/** launch → published, `samples` times each, alternating: the bare tor layer, then Sotto (ms). */
export async function launchSamples(
  testnet: readonly string[],
  samples: number,
): Promise<{ bare: number[]; full: number[] }> {
  const bare: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < samples; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-bare-'));
    let t0 = performance.now();
    const tor = createTorProvider({ mode: 'launch', dataDir: dir, extraTorrcLines: testnet });
    await tor.bootstrap();
    await tor.listen(IdentityKey.generate().expandedKey(), ({ socket }) => socket.destroy());
    bare.push(performance.now() - t0);
    await tor.close();
    await rm(dir, { recursive: true, force: true });
    const inst = await SottoInstance.create(`launch${i}`, testnet);
    t0 = performance.now();
    await inst.start();
    full.push(performance.now() - t0);
    await inst.remove();
  }
  return { bare, full };
}

/** One round trip of 64 bytes (about a chat frame) on a raw echo stream (ms). */
export async function echoOnce(socket: Duplex): Promise<number> {
  const t0 = performance.now();
  const back = readExactly(socket, 64);
  socket.write(Buffer.alloc(64, 7));
  await back;
  return performance.now() - t0;
}

/** `rounds` round trips (after 3 warm-up ones) of a 64-byte echo through `dialer` to `echoId`. */
export async function echoRtts(
  dialer: RealTorProvider,
  echoId: string,
  isolationKey: string,
  rounds: number,
): Promise<number[]> {
  const socket = await dialer.connect(echoId, 9878, isolationKey);
  const rtts: number[] = [];
  for (let i = 0; i < rounds + 3; i++) {
    const rtt = await echoOnce(socket);
    if (i >= 3) rtts.push(rtt);
  }
  socket.destroy();
  return rtts;
}

/** One chat message from `a` to `b`: send → delivered (ms). */
export async function chatOnce(a: SottoInstance, b: SottoInstance, text: string): Promise<number> {
  const from = a.events.mark;
  const t0 = performance.now();
  await a.core.dispatch({ type: 'send', address: b.address, text });
  await a.events.waitFor((e) => e.type === 'delivered', 60_000, from);
  return performance.now() - t0;
}

/** `rounds` chat messages from `a` to `b` (after 3 warm-up ones): send → delivered (ms). */
export async function chatAckMs(
  a: SottoInstance,
  b: SottoInstance,
  rounds: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds + 3; i++) {
    const ms = await chatOnce(a, b, `ping ${i}`);
    if (i >= 3) out.push(ms);
  }
  return out;
}

/** Two users settled for a steady-state figure (`befriendAndSettleCircuits`). */
export interface Settled {
  /** befriended → both connected to the other's endpoint onion (ms); undefined: not waited for. */
  readonly upgradeMs: number | undefined;
  /**
   * Then → both live links have their round-trip verdict and no move is under way (ms);
   * undefined: not waited for, or not within the timeout (`timedOut`).
   */
  readonly verdictMs: number | undefined;
  readonly timedOut: boolean;
  /** Each side's view of the other's circuit at that point (`Messenger.circuitStatus`). */
  readonly a: CircuitStatus | undefined;
  readonly b: CircuitStatus | undefined;
  /**
   * Chat a → b (send → delivered, ms) sent meanwhile, by the phase it was sent in: the first
   * seconds after connect, which a user sees too, kept apart from the steady-state figure.
   */
  readonly early: { readonly upgrade: number[]; readonly verdict: number[] };
}

const settledNow = (s: CircuitStatus | undefined): s is CircuitStatus =>
  s?.verdict !== undefined && !s.moving;

/** Both sides' live links judged and no move under way, at the same moment. */
async function circuitsSettled(
  a: SottoInstance,
  b: SottoInstance,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    await Promise.all([
      a.core.circuitSettled(b.address, signal),
      b.core.circuitSettled(a.address, signal),
    ]);
    // One side's move changes the other's live link: both must hold at once.
    const now = [a.core.circuitStatus(b.address), b.core.circuitStatus(a.address)];
    if (now.every(settledNow)) return;
  }
}

/**
 * `a` asks `b` to be contacts and `b` accepts (test/tor/messenger-support.ts `befriend`); then
 * (`endpoints`: both speak Sotto's endpoint feature) waits until each side is connected to the
 * other's endpoint onion (docs/ENDPOINTS.md) — a one-off per pair of contacts that publishes two
 * onions and moves the connection — and then (`circuits`) until both sides' live link has its
 * round-trip verdict (5 KeepAlive probes, chat acks) and any circuit move it triggered is done
 * (`Messenger.circuitSettled`, issue 14), at most `timeoutMs`. A steady-state figure is taken
 * after that. With `chat`, `a` chats with `b` all along, and those round trips are returned by
 * phase (`early`): they are what a user sees in the first seconds, and must not vanish.
 */
export async function befriendAndSettleCircuits(
  a: SottoInstance,
  b: SottoInstance,
  options: {
    readonly endpoints: boolean;
    readonly circuits: boolean;
    readonly chat: boolean;
    readonly timeoutMs?: number;
  },
): Promise<Settled> {
  const [fromA, fromB] = [a.events.mark, b.events.mark];
  await befriend(a, b);
  const early = { upgrade: [] as number[], verdict: [] as number[] };
  const at: { phase: keyof typeof early | 'done' } = { phase: 'upgrade' };
  const chatter = (async () => {
    for (let i = 0; options.chat && at.phase !== 'done'; i++) {
      const sentIn = at.phase;
      const ms = await chatOnce(a, b, `first seconds ${i}`);
      early[sentIn].push(ms);
    }
  })();
  try {
    let upgradeMs: number | undefined;
    const t0 = performance.now();
    if (options.endpoints) {
      const onEndpointOf =
        (of: SottoInstance) => (e: { type: string; state?: string; address?: string }) =>
          e.type === 'endpoint' && e.state === 'connected' && e.address === of.address;
      await Promise.all([
        a.events.waitFor(onEndpointOf(b), 300_000, fromA),
        b.events.waitFor(onEndpointOf(a), 300_000, fromB),
      ]);
      upgradeMs = performance.now() - t0;
    }
    at.phase = 'verdict';
    let verdictMs: number | undefined;
    let timedOut = false;
    if (options.circuits) {
      const t1 = performance.now();
      try {
        await circuitsSettled(a, b, AbortSignal.timeout(options.timeoutMs ?? 60_000));
        verdictMs = performance.now() - t1;
      } catch (error) {
        if (!(error instanceof Error && error.name === 'TimeoutError')) throw error;
        timedOut = true;
      }
    }
    return {
      upgradeMs,
      verdictMs,
      timedOut,
      a: a.core.circuitStatus(b.address),
      b: b.core.circuitStatus(a.address),
      early,
    };
  } finally {
    at.phase = 'done';
    await chatter;
  }
}

/**
 * `befriendAndSettleCircuits` without chat: befriended, on their endpoints (when `endpoints`),
 * circuits judged. Returns the endpoint upgrade's time (befriended → both on their endpoints,
 * ms), or undefined when the pair stays on the identity onion (`endpoints: false`).
 */
export async function befriendAndSettle(
  a: SottoInstance,
  b: SottoInstance,
  endpoints: boolean,
): Promise<number | undefined> {
  const settled = await befriendAndSettleCircuits(a, b, { endpoints, circuits: true, chat: false });
  return settled.upgradeMs;
}

/** A file `a` offered to `b` (`offerFile`): its id, and the event marks from before the offer. */
export interface OfferedFile {
  readonly fileId: number;
  readonly fromA: number;
  readonly fromB: number;
}

/** `a` offers the file at `path` to `b`; resolves once `b` has the offer (at most `timeoutMs`). */
export async function offerFile(
  a: SottoInstance,
  b: SottoInstance,
  path: string,
  timeoutMs = 120_000,
): Promise<OfferedFile> {
  const fromA = a.events.mark;
  const fromB = b.events.mark;
  await a.core.dispatch({ type: 'send-file', address: b.address, path });
  const offer = await b.events.waitFor((e) => e.type === 'file-offer', timeoutMs, fromB);
  if (offer.type !== 'file-offer') throw new Error('no offer');
  return { fileId: offer.fileId, fromA, fromB };
}

/** `b` accepts `offered`; resolves once `a` has sent all of it (its `file-done`), throws if not. */
export async function acceptFile(
  a: SottoInstance,
  b: SottoInstance,
  offered: OfferedFile,
): Promise<void> {
  await b.core.dispatch({ type: 'accept-file', address: a.address, fileId: offered.fileId });
  const done = await a.events.waitFor(
    (e) => e.type === 'file-done' && e.direction === 'out',
    600_000,
    offered.fromA,
  );
  if (done.type !== 'file-done' || done.result !== 'success') throw new Error('transfer failed');
}

/** One run of `eachPairRun`: its two users, started and on their endpoint onions. */
export interface PairRun {
  readonly run: number;
  readonly alice: SottoInstance;
  readonly bob: SottoInstance;
  /** befriended → both on their endpoint onions (ms, `befriendAndSettle`). */
  readonly upgradeMs: number | undefined;
}

/**
 * `runs` runs, each on its own private Tor network (tor/testnet.ts) with two new Sotto users,
 * `${tag}${run}a` (with `alice`'s Messenger options) and `${tag}${run}b` (made by `createBob` when
 * given); `created` is told of both before they start. Both start, befriend each other and settle
 * on their endpoint onions (`befriendAndSettle`), then `body` runs. A run that throws is handed to
 * `failed` and the next one goes on; both users and the network are removed after every run.
 */
export async function eachPairRun(
  options: {
    readonly runs: number;
    readonly tag: string;
    readonly alice?: Partial<MessengerOptions>;
    readonly createBob?: (name: string, testnet: readonly string[]) => Promise<SottoInstance>;
    readonly created?: (alice: SottoInstance, bob: SottoInstance, run: number) => void;
    readonly failed: (run: number, error: unknown) => void;
  },
  body: (pair: PairRun) => Promise<void>,
): Promise<void> {
  const createBob =
    options.createBob ??
    ((name: string, testnet: readonly string[]) => SottoInstance.create(name, testnet));
  for (let run = 1; run <= options.runs; run++) {
    const network = await startTestNetwork({ timeoutMs: 150_000 });
    const testnet = network.clientTorrcLines;
    const alice = await SottoInstance.create(`${options.tag}${run}a`, testnet, options.alice);
    const bob = await createBob(`${options.tag}${run}b`, testnet);
    options.created?.(alice, bob, run);
    try {
      await Promise.all([alice.start(), bob.start()]);
      const upgradeMs = await befriendAndSettle(alice, bob, true);
      await body({ run, alice, bob, upgradeMs });
    } catch (error) {
      options.failed(run, error);
    } finally {
      await alice.remove();
      await bob.remove();
      await network.stop();
    }
  }
}
