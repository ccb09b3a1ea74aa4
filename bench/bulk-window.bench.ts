// What caps a windowed file on a bulk connection (issue 14): per transfer, the chunk → ack round
// trip over the transfer, the bytes in flight, the receiver's per-chunk work, the event-loop delay
// and this process's CPU; window sizes on the bulk link alternated in the same run, each against a
// raw stream on a fresh circuit between the same two tors (raw, w1, w2, w3, raw, w3, w2, w1).
// Both users run in this one process, as in bench:bulk.
//
//   SOTTO_BENCH_RUNS=2 npx vitest bench --run --project unit bench/bulk-window.bench.ts
//   SOTTO_BENCH_WINDOWS=16,32,48 (default; `d` = the bulk window file-window.ts gives)
//   SOTTO_BENCH_FILE_BYTES=8388608 (default)
// The window is set by wrapping FileWindow's `chunks` getter, the trace by wrapping the file
// channels' methods: bench-only instrumentation, nothing in src/ reads an environment variable.
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { bench, describe } from 'vitest';
import type { RealTorProvider } from '../src/onion/real-tor-provider.js';
import { FileSendChannel } from '../src/protocol/channels/file-send.js';
import { FileReceiveChannel } from '../src/protocol/channels/file-receive.js';
import { FileWindow } from '../src/protocol/channels/file-window.js';
import { decodeFilePacket } from '../src/protocol/messages.js';
import type { SottoInstance } from '../test/tor/messenger-support.js';
import { dialWithRetry } from '../test/support/tor-test-helpers.js';
import {
  BenchReport,
  FILE_BYTES,
  RUN_ONCE,
  acceptFile,
  eachPairRun,
  envNumber,
  loadAverage,
  offerFile,
  quantile,
  sinkOnion,
  writeRawBytes,
} from './tor-bench-support.js';

const RUNS = envNumber('SOTTO_BENCH_RUNS', 2);
/** Windows to try on the bulk link (chunks), and `d`: what file-window.ts gives bulk links. */
const WINDOWS = (process.env['SOTTO_BENCH_WINDOWS'] ?? '16,32,48').split(',');
const report = new BenchReport(
  'bulk window: what caps the bulk link',
  `SOTTO_BENCH_RUNS=${RUNS} SOTTO_BENCH_WINDOWS=${WINDOWS.join(',')} npx vitest bench --run --project unit bench/bulk-window.bench.ts`,
);
const say = (line: string): void => report.say(line);
const mibps = (ms: number): string => (FILE_BYTES / 1024 / 1024 / (ms / 1000)).toFixed(2);
const f1 = (x: number): string => x.toFixed(1);

/** Chunk → ack trace of the sender's channel, and the receiver's per-chunk work (this process). */
const trace = {
  on: false,
  sentAt: new Map<number, number>(),
  rtts: [] as number[],
  inflight: [] as number[],
  sent: 0,
  acked: 0,
  recvWork: [] as number[],
  /** A window for bulk connections (undefined: file-window.ts's own), the largest and last used. */
  fixed: undefined as number | undefined,
  maxWindow: 0,
  lastWindow: 0,
  reset(): void {
    this.maxWindow = 0;
    this.lastWindow = 0;
    this.sentAt.clear();
    this.rtts = [];
    this.inflight = [];
    this.sent = 0;
    this.acked = 0;
    this.recvWork = [];
  },
};
/* eslint-disable @typescript-eslint/unbound-method */
const provide = FileSendChannel.prototype.provideChunk;
FileSendChannel.prototype.provideChunk = function (fileId, offset, data) {
  if (trace.on) {
    trace.sent = offset + data.length;
    trace.sentAt.set(trace.sent, performance.now());
    trace.inflight.push(trace.sent - trace.acked);
  }
  provide.call(this, fileId, offset, data);
};
const sendReceive = FileSendChannel.prototype.receive;
FileSendChannel.prototype.receive = function (data) {
  if (trace.on) {
    const p = decodeFilePacket(data);
    if (p.kind === 'file-chunk-ack') {
      const at = trace.sentAt.get(p.bytesReceived);
      if (at !== undefined) trace.rtts.push(performance.now() - at);
      trace.acked = p.bytesReceived;
    }
  }
  sendReceive.call(this, data);
};
const recvReceive = FileReceiveChannel.prototype.receive;
FileReceiveChannel.prototype.receive = function (data) {
  const t0 = performance.now();
  recvReceive.call(this, data);
  if (trace.on && data.length > 1000) trace.recvWork.push(performance.now() - t0);
};
const chunksOf = Object.getOwnPropertyDescriptor(FileWindow.prototype, 'chunks')?.get;
Object.defineProperty(FileWindow.prototype, 'chunks', {
  get(this: FileWindow): number {
    const own = chunksOf?.call(this) as number;
    const chunks = this.mode === 'bulk' && trace.fixed !== undefined ? trace.fixed : own;
    if (trace.on) trace.maxWindow = Math.max(trace.maxWindow, chunks);
    if (trace.on) trace.lastWindow = chunks;
    return chunks;
  },
});
/* eslint-enable @typescript-eslint/unbound-method */

async function rawStream(dialer: RealTorProvider, sinkId: string, tag: string): Promise<number> {
  const socket: Duplex = await dialWithRetry(dialer, sinkId, 9878, `${tag}-${Date.now()}`);
  const t0 = performance.now();
  const acked = once(socket, 'data');
  await writeRawBytes(socket, FILE_BYTES);
  await acked;
  const ms = performance.now() - t0;
  socket.destroy();
  return ms;
}

async function sottoFile(a: SottoInstance, b: SottoInstance, window: string, path: string) {
  trace.fixed = window === 'd' ? undefined : Number(window);
  const offered = await offerFile(a, b, path);
  trace.reset();
  trace.on = true;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let ms = 0;
  let cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  try {
    await acceptFile(a, b, offered);
  } finally {
    ms = performance.now() - t0;
    cpu = process.cpuUsage(cpu0);
    loop.disable();
    trace.on = false;
  }
  const r = trace.rtts;
  const half = Math.floor(r.length / 2);
  return {
    ms,
    line:
      `ack rtt p10/p50/p90 ${f1(quantile(r, 0.1))}/${f1(quantile(r, 0.5))}/${f1(quantile(r, 0.9))} ms ` +
      `(1st half p50 ${f1(quantile(r.slice(0, half), 0.5))}, 2nd ${f1(quantile(r.slice(half), 0.5))}); ` +
      `in flight p50 ${(quantile(trace.inflight, 0.5) / 1024).toFixed(0)} KiB; ` +
      `window largest ${trace.maxWindow}, last ${trace.lastWindow} chunks; ` +
      `recv work p50/p99/max ${quantile(trace.recvWork, 0.5).toFixed(2)}/${quantile(trace.recvWork, 0.99).toFixed(2)}/${Math.max(...trace.recvWork).toFixed(2)} ms; ` +
      `loop delay p99/max ${f1(loop.percentile(99) / 1e6)}/${f1(loop.max / 1e6)} ms; ` +
      `cpu ${(((cpu.user + cpu.system) / 1000 / ms) * 100).toFixed(0)}%`,
  };
}

describe('bulk window', () => {
  bench(
    'runs',
    async () => {
      const failed = (run: number, error: unknown): void => report.runFailed(run, error);
      await eachPairRun(
        { runs: RUNS, tag: 'bw', alice: { bulkMinFileBytes: 1 }, failed },
        async ({ run, alice, bob }) => {
          const path = join(alice.dir, 'bench.bin');
          await writeFile(path, Buffer.alloc(FILE_BYTES, 0x33));
          const sink = await sinkOnion(bob.tor as RealTorProvider, FILE_BYTES);
          const dialer = alice.tor as RealTorProvider;
          const order = ['raw', ...WINDOWS, 'raw', ...[...WINDOWS].reverse()];
          for (const [i, w] of order.entries()) {
            const load = loadAverage();
            if (w === 'raw') {
              const ms = await rawStream(dialer, sink.serviceId, `raw-${run}-${i}`);
              say(`run ${run} #${i} (load ${load}): raw fresh ${mibps(ms)} MiB/s`);
            } else {
              const r = await sottoFile(alice, bob, w, path);
              const via = alice.core.bulkStats.viaEndpoint;
              say(
                `run ${run} #${i} (load ${load}): window ${w}: ${mibps(r.ms)} MiB/s (bulk dials via endpoint so far ${via}/${alice.core.bulkStats.dials}); ${r.line}`,
              );
            }
          }
          await sink.close();
        },
      );
      console.log(report.text());
    },
    RUN_ONCE,
  );
});
