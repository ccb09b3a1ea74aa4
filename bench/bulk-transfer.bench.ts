// Windowed files on a bulk connection against raw Tor, ten times over (issue 14): each run starts
// its own private Tor network (tor/testnet.ts), two Sotto users befriend each other, and in the
// same run Sotto's file (on its bulk connection, a fresh circuit) is compared with a raw byte
// stream over a FRESH circuit between the same two tors. Goals: file ≥ 0.9× the raw stream, and
// chat send → ack p95 during the transfer ≤ 1.5× idle chat p95, in at least 9 of 10 runs. Also
// measured: the bulk connection's set-up time, the same file on the control connection (the
// threshold below which files stay there), and — the control for the chat ratio — Sotto's chat
// during a raw stream of the same size on a fresh circuit (what tor alone does to the chat
// circuit) — timed too, so each run also shows a second fresh raw circuit against the first (tor's
// own spread, the floor under the file ratio). Every ratio of every run is printed, then the worst.
//
//   npm run bench:bulk                                  # the 10 runs
//   SOTTO_BENCH_RUNS=2 npm run bench:bulk               # a quick look
//   SOTTO_BENCH_FILE_BYTES=33554432 npm run bench:bulk  # another file size (default 8 MiB)
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, bench, describe } from 'vitest';
import type { CoreEvent } from '../src/api/core-api.js';
import type { RealTorProvider } from '../src/onion/real-tor-provider.js';
import type { SottoInstance } from '../test/tor/messenger-support.js';
import { dialWithRetry } from '../test/support/tor-test-helpers.js';
import {
  BenchReport,
  FILE_BYTES,
  RUN_ONCE,
  chatOnce,
  eachPairRun,
  echoOnce,
  echoOnion,
  envNumber,
  loadAverage,
  offerFile,
  quantile,
  sinkOnion,
  writeRawBytes,
} from './tor-bench-support.js';

const RUNS = envNumber('SOTTO_BENCH_RUNS', 10);
const IDLE_ROUNDS = 40;
const GOAL = { file: 0.9, chat: 1.5, runs: Math.ceil(RUNS * 0.9) };

interface RunResult {
  readonly run: number;
  readonly load: string;
  readonly rawSetupMs: number;
  readonly rawMs: number;
  readonly bulkSetupMs: number;
  readonly bulkMs: number;
  readonly controlMs: number;
  readonly idleChat: number[];
  readonly chatDuringBulk: number[];
  readonly chatDuringControl: number[];
  /** Raw baseline of the chat ratio: a 64-byte echo on its own circuit, idle and during the raw stream. */
  readonly echoIdle: number[];
  readonly echoDuringRaw: number[];
  /**
   * Sotto's chat during a raw stream of the same size on a fresh circuit: what tor alone does to
   * the chat circuit, measured with the chat itself (the control for chatDuringBulk).
   */
  readonly chatDuringRaw: number[];
  /** That second raw stream's time: a second fresh circuit against the first (tor's own spread). */
  readonly raw2Ms: number;
}
const results: RunResult[] = [];
const failedRuns: number[] = [];
const report = new BenchReport(
  'bulk file vs fresh-circuit raw stream: every run',
  `SOTTO_BENCH_RUNS=${RUNS} SOTTO_BENCH_FILE_BYTES=${FILE_BYTES} npm run bench:bulk`,
);
const say = (line: string): void => report.say(line);

afterAll(() => {
  console.log(report.text());
  console.log(summary());
});

const p95 = (xs: readonly number[]): number => quantile(xs, 0.95);
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const mibps = (x: number): string => `${(FILE_BYTES / 1024 / 1024 / (x / 1000)).toFixed(2)} MiB/s`;
const ratios = (r: RunResult) => ({
  file: r.rawMs / r.bulkMs,
  chat: p95(r.chatDuringBulk) / p95(r.idleChat),
  chatRaw: p95(r.chatDuringRaw) / p95(r.idleChat),
  raw2: r.rawMs / r.raw2Ms,
});
const meets = (r: RunResult): boolean => {
  const x = ratios(r);
  return x.file >= GOAL.file && x.chat <= GOAL.chat;
};
/** Size from which the bulk connection pays: set-up < time saved (∞ if it never does). */
function breakEvenBytes(r: RunResult): number {
  const saved = r.controlMs / FILE_BYTES - r.bulkMs / FILE_BYTES; // ms per byte
  return saved > 0 ? r.bulkSetupMs / saved : Number.POSITIVE_INFINITY;
}
const mib = (bytes: number): string =>
  Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : 'never';

function summary(): string {
  if (results.length === 0) return 'no run finished';
  const worstFile = [...results].sort((a, b) => ratios(a).file - ratios(b).file)[0] as RunResult;
  const worstChat = [...results].sort((a, b) => ratios(b).chat - ratios(a).chat)[0] as RunResult;
  const ok = results.filter(meets).length;
  const lines = [
    '==== summary ====',
    'run | load (1/5/15 min) | raw fresh | Sotto bulk | file ratio | 2nd raw stream | chat p95 idle / during | chat ratio | chat during raw stream | raw echo ratio | bulk set-up | control conn. | chat p95 during control | break-even | goal',
    ...results.map((r) => {
      const x = ratios(r);
      return `${r.run} | ${r.load} | ${mibps(r.rawMs)} | ${mibps(r.bulkMs)} | ${x.file.toFixed(2)}× | ${mibps(r.raw2Ms)} → ${x.raw2.toFixed(2)}× | ${ms(p95(r.idleChat))} / ${ms(p95(r.chatDuringBulk))} | ${x.chat.toFixed(2)}× | ${ms(p95(r.chatDuringRaw))} → ${x.chatRaw.toFixed(2)}× | ${(p95(r.echoDuringRaw) / p95(r.echoIdle)).toFixed(2)}× | ${ms(r.bulkSetupMs)} (raw dial ${ms(r.rawSetupMs)}) | ${mibps(r.controlMs)} | ${ms(p95(r.chatDuringControl))} | ${mib(breakEvenBytes(r))} | ${meets(r) ? 'met' : 'MISSED'}`;
    }),
    `worst file run: ${worstFile.run} (${ratios(worstFile).file.toFixed(2)}×); worst chat run: ${worstChat.run} (${ratios(worstChat).chat.toFixed(2)}×)`,
    `runs that failed: ${failedRuns.length === 0 ? 'none' : failedRuns.join(', ')}`,
    `chat p95 during the raw stream ≤ ${GOAL.chat}× idle (tor alone) in ${results.filter((r) => ratios(r).chatRaw <= GOAL.chat).length} runs; chat during Sotto's file ≤ chat during the raw stream in ${results.filter((r) => ratios(r).chat <= ratios(r).chatRaw).length} runs`,
    `a 2nd raw stream on another fresh circuit ≥ ${GOAL.file}× the first (tor alone, no Sotto code) in ${results.filter((r) => ratios(r).raw2 >= GOAL.file).length} runs`,
    `file ≥ ${GOAL.file}× in ${results.filter((r) => ratios(r).file >= GOAL.file).length} runs; chat p95 ≤ ${GOAL.chat}× in ${results.filter((r) => ratios(r).chat <= GOAL.chat).length} runs`,
    `goal (file ≥ ${GOAL.file}× and chat p95 ≤ ${GOAL.chat}×) met in ${ok} of ${RUNS} runs (needed: ${GOAL.runs})`,
  ];
  return lines.join('\n');
}

/**
 * Dials a raw onion just published: its descriptor may not have reached every HSDir yet, so tor's
 * transient answers ("descriptor not found") are retried, 2 s apart, within a minute.
 */
const dialFresh = (dialer: RealTorProvider, serviceId: string, isolation: string) =>
  dialWithRetry(dialer, serviceId, 9878, isolation);

/**
 * A raw stream of FILE_BYTES on a fresh circuit (new isolation key): dial time, stream time, and
 * the raw echo's round trips while it runs (the chat ratio's raw counterpart).
 */
async function rawStream(dialer: RealTorProvider, sinkId: string, echo: Duplex, run: number) {
  const t0 = performance.now();
  const socket: Duplex = await dialFresh(dialer, sinkId, `bench-raw-${run}-${Date.now()}`);
  const setupMs = performance.now() - t0;
  const t1 = performance.now();
  let finished = false;
  const acked = once(socket, 'data').then(() => {
    finished = true;
    return performance.now();
  });
  const sending = writeRawBytes(socket, FILE_BYTES);
  const echoDuring: number[] = [];
  while (!finished) echoDuring.push(await echoOnce(echo));
  await sending;
  const streamMs = (await acked) - t1;
  socket.destroy();
  return { setupMs, streamMs, echoDuring };
}

/**
 * Another raw stream of FILE_BYTES on another fresh circuit, with Sotto's chat sampled while it
 * runs: the same chat probe as during Sotto's file, under tor's load alone.
 */
async function rawStreamWithChat(
  dialer: RealTorProvider,
  sinkId: string,
  a: SottoInstance,
  b: SottoInstance,
  run: number,
): Promise<{ chat: number[]; streamMs: number }> {
  const socket: Duplex = await dialFresh(dialer, sinkId, `bench-raw-chat-${run}-${Date.now()}`);
  let finished = false;
  const t0 = performance.now();
  const acked = once(socket, 'data').then(() => {
    finished = true;
    return performance.now();
  });
  const sending = writeRawBytes(socket, FILE_BYTES);
  const chat: number[] = [];
  while (!finished) chat.push(await chatOnce(a, b, `during raw ${chat.length}`));
  await sending;
  const streamMs = (await acked) - t0;
  socket.destroy();
  return { chat, streamMs };
}

/** Sends a file of `size`, accepted at once; chat send → ack is sampled while it runs. */
async function fileWithChat(a: SottoInstance, b: SottoInstance, size: number) {
  const path = join(a.dir, `bench-${size}.bin`);
  await writeFile(path, Buffer.alloc(size, 0x33));
  const { fileId, fromA } = await offerFile(a, b, path);
  const t0 = performance.now();
  await b.core.dispatch({ type: 'accept-file', address: a.address, fileId });
  let finished = false;
  const done = a.events
    .waitFor((e) => e.type === 'file-done' && e.direction === 'out', 600_000, fromA)
    .then((e: CoreEvent) => {
      finished = true;
      return { e, at: performance.now() };
    });
  const chat: number[] = [];
  while (!finished) chat.push(await chatOnce(a, b, `during ${chat.length}`));
  const { e, at } = await done;
  if (e.type !== 'file-done' || e.result !== 'success') throw new Error('transfer failed');
  return { ms: at - t0, chat };
}

describe('bulk connection against raw Tor, every run', () => {
  bench(
    'runs',
    async () => {
      // A run that breaks (the network, a dial) is printed and counted as missed; the rest go on.
      const failed = (run: number, error: unknown): void => {
        failedRuns.push(run);
        say(
          `run ${run} FAILED (load ${loadAverage()}): ${error instanceof Error ? error.name : 'error'}`,
        );
      };
      await eachPairRun(
        // Files of FILE_BYTES take the bulk connection; FILE_BYTES - 1 stays on the control one.
        { runs: RUNS, tag: 'bulk', alice: { bulkMinFileBytes: FILE_BYTES }, failed },
        // Chat is measured once both are on their endpoint onions, never during that upgrade.
        async ({ run, alice, bob, upgradeMs }) => {
          say(
            `run ${run}: both on their endpoint onions ${ms(upgradeMs ?? Number.NaN)} after befriending`,
          );
          const runLoad = loadAverage();
          const sink = await sinkOnion(bob.tor as RealTorProvider, FILE_BYTES);
          const echoService = await echoOnion(bob.tor as RealTorProvider);
          const dialer = alice.tor as RealTorProvider;
          const echo = await dialFresh(dialer, echoService.serviceId, `bench-echo-${run}`);
          const echoIdle: number[] = [];
          for (let i = 0; i < IDLE_ROUNDS + 3; i++) {
            const rtt = await echoOnce(echo);
            if (i >= 3) echoIdle.push(rtt);
          }
          const idleChat: number[] = [];
          for (let i = 0; i < IDLE_ROUNDS + 3; i++) {
            const rtt = await chatOnce(alice, bob, `idle ${i}`);
            if (i >= 3) idleChat.push(rtt);
          }
          const raw = await rawStream(dialer, sink.serviceId, echo, run);
          echo.destroy();
          await echoService.close();
          const bulk = await fileWithChat(alice, bob, FILE_BYTES);
          const bulkSetupMs = alice.core.bulkStats.setupMs.at(-1) ?? Number.NaN;
          const { chat: chatDuringRaw, streamMs: raw2Ms } = await rawStreamWithChat(
            dialer,
            sink.serviceId,
            alice,
            bob,
            run,
          );
          const control = await fileWithChat(alice, bob, FILE_BYTES - 1);
          // Idle chat again after the transfers: the idle p95 pools both ends of the run.
          for (let i = 0; i < IDLE_ROUNDS; i++)
            idleChat.push(await chatOnce(alice, bob, `idle+${i}`));
          await sink.close();
          const r: RunResult = {
            run,
            load: runLoad,
            rawSetupMs: raw.setupMs,
            rawMs: raw.streamMs,
            bulkSetupMs,
            bulkMs: bulk.ms,
            controlMs: control.ms,
            idleChat,
            chatDuringBulk: bulk.chat,
            chatDuringControl: control.chat,
            echoIdle,
            echoDuringRaw: raw.echoDuring,
            chatDuringRaw,
            raw2Ms,
          };
          results.push(r);
          const x = ratios(r);
          say(
            `run ${run} (load ${runLoad}): raw fresh ${mibps(r.rawMs)}, Sotto bulk ${mibps(r.bulkMs)} → ${x.file.toFixed(2)}×; ` +
              `2nd raw stream ${mibps(raw2Ms)} → ${x.raw2.toFixed(2)}× the first; ` +
              `chat p95 idle ${ms(p95(idleChat))}, during ${ms(p95(bulk.chat))} (${bulk.chat.length} samples) → ${x.chat.toFixed(2)}×; ` +
              `chat p95 during a raw stream ${ms(p95(chatDuringRaw))} (${chatDuringRaw.length} samples) → ${x.chatRaw.toFixed(2)}×; ` +
              `raw echo p95 idle ${ms(p95(echoIdle))}, during the raw stream ${ms(p95(raw.echoDuring))} (${raw.echoDuring.length} samples) → ${(p95(raw.echoDuring) / p95(echoIdle)).toFixed(2)}×; ` +
              `bulk set-up ${ms(bulkSetupMs)} (raw dial ${ms(raw.setupMs)}); control connection ${mibps(r.controlMs)}, ` +
              `chat p95 during it ${ms(p95(control.chat))}; break-even ${mib(breakEvenBytes(r))}; ${meets(r) ? 'met' : 'MISSED'}`,
          );
        },
      );
    },
    RUN_ONCE,
  );
});
