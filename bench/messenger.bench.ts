// Measures the messenger core end to end on a private Tor network on loopback (tor/testnet.ts):
// time from start to `published` and to a contact `online`, chat round trip (send → delivered)
// over 20 messages, and 5 MB file throughput in windowed and plain modes. Prints, asserts nothing.
// Run (after `npm run build`, which also compiles tor/):
//   npx tsc --outDir node_modules/.cache/sotto-bench --rootDir . --module nodenext \
//     --moduleResolution nodenext --target es2023 --types node --skipLibCheck --strict \
//     bench/messenger.bench.ts && node node_modules/.cache/sotto-bench/bench/messenger.bench.js
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CoreEvent } from '../src/api/core-api.js';
import { startTestNetwork } from '../tor/testnet.js';
import { SottoInstance, befriend } from '../test/tor/messenger-support.js';

const FILE_SIZE = 5 * 1024 * 1024;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function timedStart(instance: SottoInstance): Promise<number> {
  const t0 = performance.now();
  await instance.start();
  return performance.now() - t0;
}

async function sendFile(from: SottoInstance, to: SottoInstance, label: string): Promise<void> {
  const path = join(from.dir, `${label}.bin`);
  await writeFile(path, randomBytes(FILE_SIZE), { mode: 0o600 });
  const markTo = to.events.mark;
  const markFrom = from.events.mark;
  const t0 = performance.now();
  await from.core.dispatch({ type: 'send-file', address: to.address, path });
  const offer = await to.events.waitFor(
    (e): e is Extract<CoreEvent, { type: 'file-offer' }> => e.type === 'file-offer',
    60_000,
    markTo,
  );
  const t1 = performance.now();
  await to.core.dispatch({ type: 'accept-file', address: from.address, fileId: offer.fileId });
  const done = await to.events.waitFor(
    (e): e is Extract<CoreEvent, { type: 'file-done' }> =>
      e.type === 'file-done' && e.direction === 'in',
    600_000,
    markTo,
  );
  const t2 = performance.now();
  await from.events.waitFor((e) => e.type === 'file-done', 60_000, markFrom);
  const seconds = (t2 - t1) / 1000;
  console.log(
    `file ${label}: ${FILE_SIZE} bytes ${done.result} in ${seconds.toFixed(2)} s after accept ` +
      `(${(FILE_SIZE / seconds / 1024 / 1024).toFixed(2)} MiB/s; offer+hash ${(t1 - t0).toFixed(0)} ms)`,
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const network = await startTestNetwork({ timeoutMs: 150_000 });
  console.log(`private network up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const lines = network.clientTorrcLines;
  const a = await SottoInstance.create('bench-a', lines);
  const b = await SottoInstance.create('bench-b', lines);
  const plain = await SottoInstance.create('bench-plain', lines, { features: [] });
  try {
    const [ta, tb] = await Promise.all([timedStart(a), timedStart(b)]);
    console.log(`start → published: ${ta.toFixed(0)} ms, ${tb.toFixed(0)} ms (two at once)`);
    const tf = performance.now();
    await befriend(a, b);
    console.log(`request → accept → both online: ${(performance.now() - tf).toFixed(0)} ms`);

    // Restart b: start → published → contact online (the usual "time to online").
    await b.stop();
    await a.events.waitFor((e) => e.type === 'offline', 60_000, 0);
    const tr = performance.now();
    const { log } = await b.start();
    const published = performance.now() - tr;
    await log.waitFor((e) => e.type === 'online', 120_000);
    console.log(
      `restart: start → published ${published.toFixed(0)} ms, → contact online ` +
        `${(performance.now() - tr).toFixed(0)} ms`,
    );

    const rtts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const mark = a.events.mark;
      const s = performance.now();
      await a.core.dispatch({ type: 'send', address: b.address, text: `ping ${i}` });
      await a.events.waitFor((e) => e.type === 'delivered', 60_000, mark);
      rtts.push(performance.now() - s);
    }
    console.log(
      `chat send → delivered over ${rtts.length}: p50 ${percentile(rtts, 50).toFixed(1)} ms, ` +
        `p90 ${percentile(rtts, 90).toFixed(1)} ms, max ${Math.max(...rtts).toFixed(1)} ms`,
    );

    await sendFile(a, b, 'windowed');
    await plain.start();
    await befriend(plain, a);
    await sendFile(a, plain, 'plain');
  } finally {
    await a.remove();
    await b.remove();
    await plain.remove();
    await network.stop();
  }
}

await main();
