// Sotto against its physical limits on one private Tor network, each as a ratio measured in the
// same run: launch → published vs the bare tor layer; chat send → ack vs a raw echo round trip;
// file transfer (windowed) vs a raw byte stream; plain 3.0.41 mode vs its stop-and-wait bound.
// Run: npx vitest bench --run --project unit bench/tor-ratios.bench.ts   (prints a table at the end)
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { MAX_FILE_CHUNK } from '../src/protocol/limits.js';
import { RicochetConnection } from '../src/protocol/connection.js';
import { IdentityKey } from '../src/identity/identity-key.js';
import type { RealTorProvider } from '../src/onion/real-tor-provider.js';
import { startTestNetwork } from '../tor/testnet.js';
import { SottoInstance, befriend } from '../test/tor/messenger-support.js';
import {
  BenchReport,
  acceptFile,
  chatAckMs,
  echoRtts,
  launchSamples,
  offerFile,
  quantile,
  readExactly,
} from './tor-bench-support.js';

const FILE_BYTES = Number(process.env['SOTTO_BENCH_FILE_BYTES'] ?? 8 * 1024 * 1024);
const PLAIN_FILE_BYTES = Number(process.env['SOTTO_BENCH_PLAIN_BYTES'] ?? 2 * 1024 * 1024);
const ROUNDS = 40;
const LAUNCH_SAMPLES = 3;
const report = new BenchReport(
  'Sotto against raw tor, same network',
  `SOTTO_BENCH_FILE_BYTES=${FILE_BYTES} SOTTO_BENCH_PLAIN_BYTES=${PLAIN_FILE_BYTES} ` +
    'npx vitest bench --run --project unit bench/tor-ratios.bench.ts',
);
const network = await startTestNetwork({ timeoutMs: 150_000 });
const testnet = network.clientTorrcLines;

afterAll(async () => {
  await network.stop();
  console.log(report.text());
});

const median = (xs: number[]): number => quantile(xs, 0.5);
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const mibps = (bytes: number, msTaken: number): number => bytes / 1024 / 1024 / (msTaken / 1000);

/** Publishes an echo onion and a sink onion (1-byte ack after `n` bytes) on `host`'s tor. */
async function rawOnions(host: RealTorProvider, sinkBytes: number) {
  const echoKey = IdentityKey.generate();
  const sinkKey = IdentityKey.generate();
  const echo = await host.listen(echoKey.expandedKey(), ({ socket }) => socket.pipe(socket));
  const sink = await host.listen(sinkKey.expandedKey(), ({ socket }) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= sinkBytes) socket.write(Buffer.of(1));
    });
  });
  const acker = await host.listen(IdentityKey.generate().expandedKey(), ({ socket }) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      const before = Math.floor(got / MAX_FILE_CHUNK);
      got += chunk.length;
      const acks = Math.floor(got / MAX_FILE_CHUNK) - before;
      if (acks > 0) socket.write(Buffer.alloc(acks, 1));
    });
  });
  return { echo, sink, acker };
}

/**
 * The raw shape of a Ricochet transfer on a raw circuit: 64,512-byte chunks, a 1-byte ack per
 * chunk, at most `window` chunks unacknowledged (1 = plain 3.0.41 stop-and-wait).
 */
async function rawChunkedMs(
  dialer: RealTorProvider,
  ackerId: string,
  bytes: number,
  window: number,
): Promise<number> {
  const socket = await dialer.connect(ackerId, 9878, `bench-acker-${window}-${bytes}`);
  const chunks = Math.ceil(bytes / MAX_FILE_CHUNK);
  const block = Buffer.alloc(MAX_FILE_CHUNK, 0x5a);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    let acked = 0;
    const pump = (): void => {
      while (sent < chunks && sent - acked < window) {
        socket.write(block); // whole chunks: ≤ 1 chunk more than `bytes`, never less
        sent++;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      acked += chunk.length;
      if (acked >= chunks) resolve();
      else pump();
    });
    pump();
  });
  const taken = performance.now() - t0;
  socket.destroy();
  return taken;
}

/** Publishes an onion on `host`'s tor that streams `bytes` to whoever connects (service → client). */
async function sourceOnion(host: RealTorProvider, bytes: number) {
  return host.listen(IdentityKey.generate().expandedKey(), ({ socket }) => {
    const block = Buffer.alloc(64 * 1024, 0x5a);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const n = Math.min(block.length, bytes - sent);
        sent += n;
        if (!socket.write(block.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

async function pullMs(dialer: RealTorProvider, sourceId: string, bytes: number): Promise<number> {
  const socket = await dialer.connect(sourceId, 9878, `bench-pull-${bytes}`);
  const t0 = performance.now();
  await readExactly(socket, bytes);
  const taken = performance.now() - t0;
  socket.destroy();
  return taken;
}

/** Which role (client = dialled, server = accepted) sent the file chunks, per connection. */
const chunkSenders = new Set<string>();
// Observed only; always called back with its own `this`.
// eslint-disable-next-line @typescript-eslint/unbound-method
const originalSendFileChunk = RicochetConnection.prototype.sendFileChunk;
RicochetConnection.prototype.sendFileChunk = function (
  this: RicochetConnection,
  ...args: Parameters<RicochetConnection['sendFileChunk']>
): void {
  chunkSenders.add(this.role);
  originalSendFileChunk.apply(this, args);
};

async function rawStreamMs(dialer: RealTorProvider, sinkId: string, bytes: number) {
  const socket = await dialer.connect(sinkId, 9878, `bench-sink-${bytes}`);
  const t0 = performance.now();
  const acked = readExactly(socket, 1);
  const block = Buffer.alloc(64 * 1024, 0x5a);
  for (let sent = 0; sent < bytes; sent += block.length) {
    if (!socket.write(block.subarray(0, Math.min(block.length, bytes - sent)))) {
      await once(socket, 'drain');
    }
  }
  await acked;
  const taken = performance.now() - t0;
  socket.destroy();
  return taken;
}

async function fileMs(a: SottoInstance, b: SottoInstance, bytes: number): Promise<number> {
  const path = join(a.dir, `bench-${bytes}.bin`);
  await writeFile(path, Buffer.alloc(bytes, 0x33));
  const offered = await offerFile(a, b, path, 60_000);
  const t0 = performance.now();
  await acceptFile(a, b, offered);
  return performance.now() - t0;
}

describe('Sotto against its limits on the private Tor network', () => {
  bench(
    'ratios',
    async () => {
      // 1. launch → online: the tor layer alone vs a whole Sotto core, alternating.
      const { bare, full } = await launchSamples(testnet, LAUNCH_SAMPLES);
      report.say(
        `launch → published: bare tor layer ${bare.map(ms).join(', ')}; Sotto ${full.map(ms).join(', ')}`,
        `  ratio of medians ${(median(full) / median(bare)).toFixed(2)}× (target ≤ 1.2×)`,
      );

      // 2–3. Windowed Sotto pair: chat ack vs echo RTT; file vs raw stream.
      const alice = await SottoInstance.create('bench-a', testnet);
      const bob = await SottoInstance.create('bench-b', testnet);
      await Promise.all([alice.start(), bob.start()]);
      await befriend(alice, bob);
      const raw = await rawOnions(bob.tor as RealTorProvider, FILE_BYTES);
      const dialer = alice.tor as RealTorProvider;
      const echo = await echoRtts(
        dialer,
        raw.echo.serviceId,
        `bench-echo-${raw.echo.serviceId}`,
        ROUNDS,
      );
      const chat = await chatAckMs(alice, bob, ROUNDS);
      report.say(
        `echo RTT (raw, 64 B): p50 ${ms(median(echo))}, p95 ${ms(quantile(echo, 0.95))}`,
        `chat send → ack:      p50 ${ms(median(chat))}, p95 ${ms(quantile(chat, 0.95))}`,
        `  ratio p50 ${(median(chat) / median(echo)).toFixed(2)}×, p95 ${(quantile(chat, 0.95) / quantile(echo, 0.95)).toFixed(2)}× (target ≤ 1.1×)`,
      );
      // Sotto before and after the raw baselines: order effects on the circuits show up here.
      const sottoFirstMs = await fileMs(alice, bob, FILE_BYTES);
      const rawMs = await rawStreamMs(dialer, raw.sink.serviceId, FILE_BYTES);
      const rawWindowMs = await rawChunkedMs(dialer, raw.acker.serviceId, FILE_BYTES, 16);
      const sottoLastMs = await fileMs(alice, bob, FILE_BYTES);
      const sottoMs = Math.min(sottoFirstMs, sottoLastMs);
      const source = await sourceOnion(alice.tor as RealTorProvider, FILE_BYTES);
      const pulledMs = await pullMs(bob.tor as RealTorProvider, source.serviceId, FILE_BYTES);
      await source.close();
      const rate = (x: number): string => `${ms(x)} = ${mibps(FILE_BYTES, x).toFixed(2)} MiB/s`;
      report.say(
        `raw stream ${FILE_BYTES} B: ${rate(rawMs)}`,
        `raw chunks+acks, 16 in flight: ${rate(rawWindowMs)}`,
        `Sotto file (windowed, 16 in flight): before the raw runs ${rate(sottoFirstMs)}; after ${rate(sottoLastMs)}`,
        `raw stream the other way (onion service end sends, B dials A): ${rate(pulledMs)}`,
        `Sotto's chunks were sent by the connection's ${[...chunkSenders].join(' and ')} role`,
        `  best Sotto: ratio ${(rawMs / sottoMs).toFixed(2)}× of the raw stream (target ≥ 0.9×),`,
        `  ${(rawWindowMs / sottoMs).toFixed(2)}× of raw chunks+acks with the same window`,
      );
      await raw.echo.close();
      await raw.sink.close();
      await raw.acker.close();
      await alice.remove();
      await bob.remove();

      // 4. Plain (3.0.41) mode vs its stop-and-wait bound on a fresh pair.
      const carol = await SottoInstance.create('bench-c', testnet, { features: [] });
      const dave = await SottoInstance.create('bench-d', testnet, { features: [] });
      await Promise.all([carol.start(), dave.start()]);
      await befriend(carol, dave);
      const raw2 = await rawOnions(dave.tor as RealTorProvider, PLAIN_FILE_BYTES);
      const dialer2 = carol.tor as RealTorProvider;
      const rtt2 = median(
        await echoRtts(dialer2, raw2.echo.serviceId, `bench-echo-${raw2.echo.serviceId}`, ROUNDS),
      );
      const raw2Ms = await rawStreamMs(dialer2, raw2.sink.serviceId, PLAIN_FILE_BYTES);
      const rawStopWaitMs = await rawChunkedMs(dialer2, raw2.acker.serviceId, PLAIN_FILE_BYTES, 1);
      const plainMs = await fileMs(carol, dave, PLAIN_FILE_BYTES);
      const chunks = Math.ceil(PLAIN_FILE_BYTES / MAX_FILE_CHUNK);
      const perChunkWire = (raw2Ms / PLAIN_FILE_BYTES) * MAX_FILE_CHUNK;
      const boundMs = chunks * (rtt2 + perChunkWire);
      report.say(
        `plain mode ${PLAIN_FILE_BYTES} B: ${ms(plainMs)}; stop-and-wait bound ${chunks} × (RTT ${ms(rtt2)} + ${ms(perChunkWire)} wire) = ${ms(boundMs)}`,
        `  ratio ${(boundMs / plainMs).toFixed(2)}× of the computed bound (target ≥ 0.95×)`,
        `raw stop-and-wait (64,512 B + 1 B ack) on a raw circuit: ${ms(rawStopWaitMs)}`,
        `  ratio ${(rawStopWaitMs / plainMs).toFixed(2)}× of the measured stop-and-wait bound`,
      );
      await raw2.echo.close();
      await raw2.sink.close();
      await raw2.acker.close();
      await carol.remove();
      await dave.remove();
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
