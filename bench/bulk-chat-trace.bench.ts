// Where chat's time goes during a bulk file transfer (issue 14, docs/PERFORMANCE.md "Bulk
// connections"). One private Tor network per run, two Sotto users in this one process (as in
// bench/bulk-transfer.bench.ts). Two probes — Sotto chat send → ack (split into its steps) and a
// raw 64-byte echo on its own fresh circuit — each measured idle, during Sotto's windowed file on
// its bulk connection, and during a raw stream of the same size on a fresh circuit between the
// same two tors (alternating, twice). If Sotto's sending added delay of its own, each probe would
// be slower during Sotto's file than during the raw stream. Also sampled during each load: this
// process's event-loop delay and CPU, and the CPU of every tor of the run.
//
//   SOTTO_BENCH_RUNS=1 npx vitest bench --run --project unit bench/bulk-chat-trace.bench.ts
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { bench, describe } from 'vitest';
import type { RealTorProvider } from '../src/onion/real-tor-provider.js';
import { dialWithRetry } from '../test/support/tor-test-helpers.js';
import { SottoInstance } from '../test/tor/messenger-support.js';
import {
  BenchReport,
  FILE_BYTES,
  RUN_ONCE,
  acceptFile,
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

const RUNS = envNumber('SOTTO_BENCH_RUNS', 1);
const IDLE_ROUNDS = 40;
const REPEATS = 2;
const report = new BenchReport(
  'chat and raw echo: idle, during Sotto bulk, during a raw stream',
  `SOTTO_BENCH_RUNS=${RUNS} npx vitest bench --run --project unit bench/bulk-chat-trace.bench.ts`,
);

/** One chat message a → b: send → `queued` (journal append) → b's `message` → a's `delivered`. */
interface Steps {
  total: number;
  queued: number;
  forward: number;
  back: number;
}

async function chatSteps(a: SottoInstance, b: SottoInstance, text: string): Promise<Steps> {
  const fromA = a.events.mark;
  const fromB = b.events.mark;
  let seenAt = 0;
  let deliveredAt = 0;
  const t0 = performance.now();
  const seen = b.events
    .waitFor((e) => e.type === 'message' && e.text === text, 60_000, fromB)
    .then(() => (seenAt = performance.now()));
  const delivered = a.events
    .waitFor((e) => e.type === 'delivered', 60_000, fromA)
    .then(() => (deliveredAt = performance.now()));
  await a.core.dispatch({ type: 'send', address: b.address, text });
  const queuedAt = performance.now();
  await Promise.all([seen, delivered]);
  return {
    total: deliveredAt - t0,
    queued: queuedAt - t0,
    forward: seenAt - queuedAt,
    back: deliveredAt - seenAt,
  };
}

/** CPU seconds so far of each tor this process started, by a short name. */
function torCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(tor)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const name =
        /sotto-msg-(\w+?)-/.exec(cmd)?.[1] ?? /(auth\d+|relay\d+)/.exec(cmd)?.[1] ?? entry;
      out.set(name, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

const pct = (seconds: number, wallMs: number): string =>
  `${((seconds / (wallMs / 1000)) * 100).toFixed(0)}%`;
const f1 = (x: number): string => x.toFixed(1);
const p = (xs: readonly number[], q: number): number => quantile(xs, q);

/** Runs `load` while `probe` samples back to back; returns samples, wall time and resources. */
async function during<T>(load: () => Promise<void>, probe: (i: number) => Promise<T>) {
  const loop = monitorEventLoopDelay({ resolution: 2 });
  const gcs: PerformanceEntry[] = [];
  const gcObserver = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const tor0 = torCpu();
  const t0 = performance.now();
  loop.enable();
  let finished = false;
  const loaded = load().finally(() => (finished = true));
  const samples: T[] = [];
  while (!finished) samples.push(await probe(samples.length));
  await loaded;
  loop.disable();
  gcObserver.disconnect();
  const ms = performance.now() - t0;
  const gcMs = gcs.reduce((sum, e) => sum + e.duration, 0);
  const gcMax = gcs.reduce((max, e) => Math.max(max, e.duration), 0);
  const cpu = process.cpuUsage(cpu0);
  let torTotal = 0;
  for (const [name, s] of torCpu()) torTotal += s - (tor0.get(name) ?? 0);
  const resources =
    `node cpu ${pct((cpu.user + cpu.system) / 1e6, ms)}, all tors ${pct(torTotal, ms)}, ` +
    `loop delay p99/max ${f1(loop.percentile(99) / 1e6)}/${f1(loop.max / 1e6)} ms, ` +
    `GC ${gcs.length}× ${f1(gcMs)} ms (longest ${f1(gcMax)} ms)`;
  return { samples, ms, resources };
}

const mibps = (ms: number): string => `${(FILE_BYTES / 1048576 / (ms / 1000)).toFixed(2)} MiB/s`;

function chatLine(label: string, s: readonly Steps[], idleP95: number): string {
  const col = (k: keyof Steps): string =>
    `${k} ${f1(
      p(
        s.map((x) => x[k]),
        0.5,
      ),
    )}/${f1(
      p(
        s.map((x) => x[k]),
        0.95,
      ),
    )}`;
  const ratio = p(
    s.map((x) => x.total),
    0.95,
  );
  return `${label}: chat (${s.length}) p50/p95 ${col('total')} → ${(ratio / idleP95).toFixed(2)}× idle; ${col('queued')}; ${col('forward')}; ${col('back')} ms`;
}

function echoLine(label: string, s: readonly number[], idleP95: number): string {
  return `${label}: raw echo (${s.length}) p50/p95 ${f1(p(s, 0.5))}/${f1(p(s, 0.95))} ms → ${(p(s, 0.95) / idleP95).toFixed(2)}× idle`;
}

describe('chat and raw echo during Sotto bulk and during a raw stream', () => {
  bench(
    'trace',
    async () => {
      // SOTTO_TRACE_RECEIVER_TMPDIR: the receiver's profile (and downloads) elsewhere, e.g. on
      // tmpfs, to tell its disk writes apart from the sender's journal fdatasync.
      const createBob = (name: string, testnet: readonly string[]): Promise<SottoInstance> => {
        const tmp = process.env['TMPDIR'];
        const receiverTmp = process.env['SOTTO_TRACE_RECEIVER_TMPDIR'];
        if (receiverTmp !== undefined) process.env['TMPDIR'] = receiverTmp;
        return SottoInstance.create(name, testnet).finally(() => {
          if (tmp === undefined) delete process.env['TMPDIR'];
          else process.env['TMPDIR'] = tmp;
        });
      };
      const created = (alice: SottoInstance, bob: SottoInstance, run: number): void =>
        report.say(`run ${run}: receiver profile in ${bob.dir}, sender's in ${alice.dir}`);
      const failed = (run: number, error: unknown): void =>
        report.say(`run ${run} FAILED: ${error instanceof Error ? error.message : 'error'}`);
      await eachPairRun(
        {
          runs: RUNS,
          tag: 'trace',
          alice: { bulkMinFileBytes: FILE_BYTES },
          createBob,
          created,
          failed,
        },
        // Measured once both are on their endpoint onions, never during that upgrade.
        async ({ run, alice, bob, upgradeMs }) => {
          report.say(
            `run ${run}: on endpoint onions ${f1(upgradeMs ?? Number.NaN)} ms after befriending`,
          );
          const aliceTor = alice.tor as RealTorProvider;
          const bobTor = bob.tor as RealTorProvider;
          const sink = await sinkOnion(bobTor, FILE_BYTES);
          const echoService = await echoOnion(bobTor);
          const echo = await dialWithRetry(aliceTor, echoService.serviceId, 9878, `echo${run}`);
          for (let i = 0; i < 3; i++) {
            await chatSteps(alice, bob, `warm ${i}`);
            await echoOnce(echo);
          }
          const idleChat: Steps[] = [];
          const idleEcho: number[] = [];
          for (let i = 0; i < IDLE_ROUNDS; i++) {
            idleChat.push(await chatSteps(alice, bob, `idle ${i}`));
            idleEcho.push(await echoOnce(echo));
          }
          const idleChatP95 = p(
            idleChat.map((x) => x.total),
            0.95,
          );
          const idleEchoP95 = p(idleEcho, 0.95);
          report.say(
            `run ${run} (load ${loadAverage()})`,
            chatLine('  idle', idleChat, idleChatP95),
            echoLine('  idle', idleEcho, idleEchoP95),
          );
          const path = join(alice.dir, 'trace.bin');
          await writeFile(path, Buffer.alloc(FILE_BYTES, 0x33));
          let n = 0;
          const sottoFile = async (): Promise<void> =>
            acceptFile(alice, bob, await offerFile(alice, bob, path));
          const rawFile = async (): Promise<void> => {
            const socket: Duplex = await dialWithRetry(
              aliceTor,
              sink.serviceId,
              9878,
              `raw${run}-${n++}`,
            );
            const acked = once(socket, 'data');
            await writeRawBytes(socket, FILE_BYTES);
            await acked;
            socket.destroy();
          };
          const chatProbe = (i: number): Promise<Steps> => chatSteps(alice, bob, `probe ${n} ${i}`);
          const echoProbe = (): Promise<number> => echoOnce(echo);
          const pooled = { sottoChat: [] as Steps[], rawChat: [] as Steps[] };
          const pooledEcho = { sotto: [] as number[], raw: [] as number[] };
          for (let rep = 1; rep <= REPEATS; rep++) {
            const a = await during(sottoFile, chatProbe);
            report.say(
              chatLine(`  #${rep} Sotto bulk ${mibps(a.ms)}`, a.samples, idleChatP95) +
                `; ${a.resources}`,
            );
            const b = await during(rawFile, chatProbe);
            report.say(
              chatLine(`  #${rep} raw stream ${mibps(b.ms)}`, b.samples, idleChatP95) +
                `; ${b.resources}`,
            );
            const c = await during(sottoFile, echoProbe);
            report.say(
              echoLine(`  #${rep} Sotto bulk ${mibps(c.ms)}`, c.samples, idleEchoP95) +
                `; ${c.resources}`,
            );
            const d = await during(rawFile, echoProbe);
            report.say(
              echoLine(`  #${rep} raw stream ${mibps(d.ms)}`, d.samples, idleEchoP95) +
                `; ${d.resources}`,
            );
            pooled.sottoChat.push(...a.samples);
            pooled.rawChat.push(...b.samples);
            pooledEcho.sotto.push(...c.samples);
            pooledEcho.raw.push(...d.samples);
          }
          report.say(
            chatLine('  pooled, during Sotto bulk', pooled.sottoChat, idleChatP95),
            chatLine('  pooled, during raw stream', pooled.rawChat, idleChatP95),
            echoLine('  pooled, during Sotto bulk', pooledEcho.sotto, idleEchoP95),
            echoLine('  pooled, during raw stream', pooledEcho.raw, idleEchoP95),
          );
          echo.destroy();
          await echoService.close();
          await sink.close();
        },
      );
      console.log(report.text());
    },
    RUN_ONCE,
  );
});
