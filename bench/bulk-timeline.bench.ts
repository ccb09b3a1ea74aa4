// Where the time of one bulk file goes (issue 14, the last ~10 % to a raw stream): the timeline of
// an 8 MiB file on a bulk connection, stamped in this process (both users run here, as in
// bench:bulk), next to a raw stream on a fresh circuit between the same two tors, timed as
// bench:bulk times them (Sotto: `accept-file` dispatched → the sender's `file-done`; raw: first
// write → the sink's 1-byte reply after all bytes). Order per run: raw, Sotto, raw, Sotto.
//
//   SOTTO_BENCH_RUNS=2 npx vitest bench --run --project unit bench/bulk-timeline.bench.ts
//   SOTTO_BENCH_FILE_BYTES=8388608 (default)
// Stamps come from wrapping the file channels' methods: bench-only instrumentation, nothing in
// src/ reads an environment variable.
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { bench, describe } from 'vitest';
import { IdentityKey } from '../src/identity/identity-key.js';
import type { RealTorProvider } from '../src/onion/real-tor-provider.js';
import { FileSendChannel } from '../src/protocol/channels/file-send.js';
import { FileReceiveChannel } from '../src/protocol/channels/file-receive.js';
import { decodeFilePacket } from '../src/protocol/messages.js';
import type { SottoInstance } from '../test/tor/messenger-support.js';
import { dialWithRetry } from '../test/support/tor-test-helpers.js';
import {
  BenchReport,
  FILE_BYTES,
  RUN_ONCE,
  eachPairRun,
  envNumber,
  loadAverage,
  offerFile,
  quantile,
  writeRawBytes,
} from './tor-bench-support.js';

const RUNS = envNumber('SOTTO_BENCH_RUNS', 2);
const report = new BenchReport(
  'bulk timeline: where a bulk file spends its time',
  `SOTTO_BENCH_RUNS=${RUNS} npx vitest bench --run --project unit bench/bulk-timeline.bench.ts`,
);
const say = (line: string): void => report.say(line);
const mibps = (ms: number): string => (FILE_BYTES / 1024 / 1024 / (ms / 1000)).toFixed(2);
const f0 = (x: number | undefined): string => (x === undefined ? '?' : x.toFixed(0));

/** Stamps of one transfer (performance.now(), ms). */
interface Stamps {
  receiverAccepts?: number;
  senderAccepted?: number;
  firstProvided?: number;
  lastProvided?: number;
  firstReceived?: number;
  lastReceived?: number;
  lastReceiveDone?: number;
  completeAtSender?: number;
  receiverDone?: number;
  senderDone?: number;
  ackRtts: number[];
  sentAt: Map<number, number>;
}
const fresh = (): Stamps => ({ ackRtts: [], sentAt: new Map() });
let stamps: Stamps | undefined;

/* eslint-disable @typescript-eslint/unbound-method */
const recvAccept = FileReceiveChannel.prototype.accept;
FileReceiveChannel.prototype.accept = function (fileId) {
  if (stamps) stamps.receiverAccepts = performance.now();
  recvAccept.call(this, fileId);
};
const provide = FileSendChannel.prototype.provideChunk;
FileSendChannel.prototype.provideChunk = function (fileId, offset, data) {
  provide.call(this, fileId, offset, data);
  if (stamps) {
    const now = performance.now();
    stamps.firstProvided ??= now;
    stamps.lastProvided = now;
    stamps.sentAt.set(offset + data.length, now);
  }
};
const sendReceive = FileSendChannel.prototype.receive;
FileSendChannel.prototype.receive = function (data) {
  if (stamps) {
    const now = performance.now();
    const p = decodeFilePacket(data);
    if (p.kind === 'file-header-response') stamps.senderAccepted = now;
    if (p.kind === 'file-transfer-complete') stamps.completeAtSender = now;
    if (p.kind === 'file-chunk-ack') {
      const at = stamps.sentAt.get(p.bytesReceived);
      if (at !== undefined) stamps.ackRtts.push(now - at);
    }
  }
  sendReceive.call(this, data);
};
const recvReceive = FileReceiveChannel.prototype.receive;
FileReceiveChannel.prototype.receive = function (data) {
  const chunk = stamps !== undefined && data.length > 1000;
  const now = performance.now();
  recvReceive.call(this, data);
  if (stamps && chunk) {
    stamps.firstReceived ??= now;
    stamps.lastReceived = now;
    stamps.lastReceiveDone = performance.now();
  }
};
/* eslint-enable @typescript-eslint/unbound-method */

/** A sink that stamps its first and last byte and answers 1 byte after all of them. */
function stampingSink(host: RealTorProvider) {
  const seen = { first: 0, firstChunk: 0, last: 0 };
  const service = host.listen(IdentityKey.generate().expandedKey(), ({ socket }) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      if (got === 0) seen.first = performance.now();
      if (got < 64512 && got + chunk.length >= 64512) seen.firstChunk = performance.now();
      got += chunk.length;
      if (got >= FILE_BYTES) {
        seen.last = performance.now();
        socket.write(Buffer.of(1));
      }
    });
  });
  return { service, seen };
}

async function rawStream(
  dialer: RealTorProvider,
  sink: ReturnType<typeof stampingSink>,
  serviceId: string,
  tag: string,
) {
  const socket: Duplex = await dialWithRetry(dialer, serviceId, 9878, `${tag}-${Date.now()}`);
  const t0 = performance.now();
  const acked = once(socket, 'data');
  await writeRawBytes(socket, FILE_BYTES);
  const written = performance.now();
  await acked;
  const end = performance.now();
  socket.destroy();
  const { first, firstChunk, last } = sink.seen;
  return {
    ms: end - t0,
    line:
      `first byte at sink +${f0(first - t0)}, first 63 KiB (a chunk) +${f0(firstChunk - t0)}, ` +
      `last written +${f0(written - t0)}, ` +
      `last byte at sink +${f0(last - t0)}, reply back +${f0(end - t0)} ms`,
  };
}

async function sottoFile(a: SottoInstance, b: SottoInstance, path: string) {
  const dials = a.core.bulkStats.dials;
  const { fileId, fromA, fromB } = await offerFile(a, b, path);
  const s = fresh();
  stamps = s;
  const t0 = performance.now();
  const receiverDone = b.events
    .waitFor((e) => e.type === 'file-done' && e.direction === 'in', 600_000, fromB)
    .then(() => (s.receiverDone = performance.now()));
  await b.core.dispatch({ type: 'accept-file', address: a.address, fileId });
  const dispatched = performance.now();
  const done = await a.events.waitFor(
    (e) => e.type === 'file-done' && e.direction === 'out',
    600_000,
    fromA,
  );
  s.senderDone = performance.now();
  await receiverDone;
  stamps = undefined;
  if (done.type !== 'file-done' || done.result !== 'success') throw new Error('transfer failed');
  const at = (x: number | undefined) => (x === undefined ? '?' : `+${(x - t0).toFixed(0)}`);
  const gap = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined ? '?' : (y - x).toFixed(0);
  const r = s.ackRtts;
  return {
    ms: s.senderDone - t0,
    line:
      `new bulk dial ${a.core.bulkStats.dials > dials ? 'yes' : 'no'}; ` +
      `receiver accepts ${at(s.receiverAccepts)} (dispatch returned ${at(dispatched)}), ` +
      `sender sees accept ${at(s.senderAccepted)}, 1st chunk queued ${at(s.firstProvided)}, ` +
      `1st chunk in ${at(s.firstReceived)}, last chunk queued ${at(s.lastProvided)}, ` +
      `last chunk in ${at(s.lastReceived)} (hash + result ${gap(s.lastReceived, s.lastReceiveDone)}), ` +
      `result at sender ${at(s.completeAtSender)}, sender file-done ${at(s.senderDone)}, ` +
      `receiver file-done ${at(s.receiverDone)} ms; ` +
      `data phase (1st chunk queued → last in) ${gap(s.firstProvided, s.lastReceived)} ms; ` +
      `ack rtt min/p50 ${f0(Math.min(...r))}/${f0(quantile(r, 0.5))} ms`,
  };
}

describe('bulk timeline', () => {
  bench(
    'runs',
    async () => {
      const failed = (run: number, error: unknown): void => report.runFailed(run, error);
      await eachPairRun(
        { runs: RUNS, tag: 'bt', alice: { bulkMinFileBytes: FILE_BYTES }, failed },
        async ({ run, alice, bob }) => {
          const path = join(alice.dir, 'bench.bin');
          await writeFile(path, Buffer.alloc(FILE_BYTES, 0x33));
          const sink = stampingSink(bob.tor as RealTorProvider);
          const { serviceId } = await sink.service;
          const dialer = alice.tor as RealTorProvider;
          for (const [i, what] of ['raw', 'sotto', 'raw', 'sotto'].entries()) {
            const load = loadAverage();
            if (what === 'raw') {
              const r = await rawStream(dialer, sink, serviceId, `raw-${run}-${i}`);
              say(`run ${run} #${i} (load ${load}): raw ${mibps(r.ms)} MiB/s; ${r.line}`);
            } else {
              const r = await sottoFile(alice, bob, path);
              say(`run ${run} #${i} (load ${load}): Sotto ${mibps(r.ms)} MiB/s; ${r.line}`);
            }
          }
          await (await sink.service).close();
        },
      );
      console.log(report.text());
    },
    RUN_ONCE,
  );
});
