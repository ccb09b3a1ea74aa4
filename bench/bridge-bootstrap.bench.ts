// Bootstrap time of a Sotto-launched tor on the private loopback network: direct vs through an
// obfs4 bridge (obfs4proxy on both ends). Launch → "Bootstrapped 100%"; alternating, 5 each.
// Run: npx vitest bench --run --project unit bench/bridge-bootstrap.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { type NetworkSettings } from '../src/onion/network-settings.js';
import { torConfigForNetworkSettings } from '../src/onion/network-torrc.js';
import { createTorProvider } from '../src/onion/real-tor-provider.js';
import { findTransportPrograms, transportLookup } from '../src/onion/transport-binaries.js';
import { startObfs4Bridge } from '../tor/testnet-bridge.js';
import { startTestNetwork } from '../tor/testnet.js';

const network = await startTestNetwork({ timeoutMs: 150_000 });
const bridge = await startObfs4Bridge({ testnetLines: network.clientTorrcLines });
const lookup = transportLookup(await findTransportPrograms());
const samples: Record<'direct' | 'obfs4', number[]> = { direct: [], obfs4: [] };

afterAll(async () => {
  await bridge.stop();
  await network.stop();
  for (const [name, xs] of Object.entries(samples)) {
    const sorted = [...xs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
    console.log(
      `${name.padEnd(6)} launch → bootstrap 100%: median ${median.toFixed(0)} ms ` +
        `(${xs.map((x) => x.toFixed(0)).join(', ')} ms)`,
    );
  }
});

async function timeBootstrap(settings: NetworkSettings): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sotto-bench-bridge-'));
  const config = torConfigForNetworkSettings(settings, lookup);
  const provider = createTorProvider({
    mode: 'launch',
    dataDir: dir,
    extraTorrcLines: [...network.clientTorrcLines, ...config.torrcLines],
  });
  try {
    const t0 = performance.now();
    await provider.bootstrap();
    return performance.now() - t0;
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('bootstrap on the private network', () => {
  bench(
    'direct, then through the obfs4 bridge',
    async () => {
      samples.direct.push(await timeBootstrap({ mode: 'direct' }));
      samples.obfs4.push(
        await timeBootstrap({ mode: 'custom', customBridges: [bridge.bridgeLine] }),
      );
    },
    { iterations: 5, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
