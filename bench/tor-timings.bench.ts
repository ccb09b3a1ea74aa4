// Tor runtime timings on the private loopback network (real tor): launch → bootstrap 100%,
// ADD_ONION → first HS_DESC UPLOADED, first SOCKS connection to the fresh onion. Prints each phase.
// Run: npx vitest bench --run --project unit bench/tor-timings.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { IdentityKey } from '../src/identity/identity-key.js';
import { createTorProvider } from '../src/onion/real-tor-provider.js';
import { startTestNetwork } from '../tor/testnet.js';

const network = await startTestNetwork({ timeoutMs: 150_000 });
const dialerDir = await mkdtemp(path.join(tmpdir(), 'sotto-bench-dialer-'));
const dialer = createTorProvider({
  mode: 'launch',
  dataDir: dialerDir,
  extraTorrcLines: network.clientTorrcLines,
});
await dialer.bootstrap();
const samples: { bootstrap: number; publish: number; connect: number }[] = [];

afterAll(async () => {
  await dialer.close();
  await network.stop();
  await rm(dialerDir, { recursive: true, force: true });
  const fmt = (xs: number[]): string => xs.map((x) => `${x.toFixed(0)} ms`).join(', ');
  console.log(`launch → bootstrap 100%:        ${fmt(samples.map((s) => s.bootstrap))}`);
  console.log(`ADD_ONION → HS_DESC UPLOADED:   ${fmt(samples.map((s) => s.publish))}`);
  console.log(`first SOCKS connection (onion): ${fmt(samples.map((s) => s.connect))}`);
});

describe('tor runtime on the private network', () => {
  bench(
    'cold launch, bootstrap, publish, first connection',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'sotto-bench-'));
      const provider = createTorProvider({
        mode: 'launch',
        dataDir: dir,
        extraTorrcLines: network.clientTorrcLines,
      });
      try {
        const t0 = performance.now();
        await provider.bootstrap();
        const t1 = performance.now();
        const key = IdentityKey.generate();
        const listener = await provider.listen(key.expandedKey(), ({ socket }) => socket.end());
        const t2 = performance.now();
        const stream = await dialer.connect(listener.serviceId, 9878, `bench-${samples.length}`);
        const t3 = performance.now();
        stream.destroy();
        samples.push({ bootstrap: t1 - t0, publish: t2 - t1, connect: t3 - t2 });
      } finally {
        await provider.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
    { iterations: 3, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
