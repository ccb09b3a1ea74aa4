// What endpoint onions cost in one tor (issue 13, docs/ENDPOINTS.md "Tor side and cost"): on the
// private network, a freshly launched tor publishes 1, 50 and 200 onions, each with one
// ClientAuthV3 key (as Sotto hosts one per contact); we time until every onion had a descriptor
// uploaded, read tor's RSS and CPU time from /proc before and after, then its CPU over an idle
// minute, and dial one endpoint with its key (it must work). Ratios are to the one-onion case of
// the same run. SOTTO_BENCH_ENDPOINTS="1,50,200" picks the cases; SOTTO_BENCH_BATCH=B publishes
// in batches of B (0: all at once).
// Run: npx vitest bench --run --project unit bench/endpoint-onions.bench.ts
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, bench, describe } from 'vitest';
import { IdentityKey } from '../src/identity/identity-key.js';
import { createTorProvider } from '../src/onion/real-tor-provider.js';
import type { OnionListener } from '../src/onion/tor-provider.js';
import { startTestNetwork } from '../tor/testnet.js';
import { dialWithRetry } from '../test/support/tor-test-helpers.js';

const CASES = (process.env['SOTTO_BENCH_ENDPOINTS'] ?? '1,50,200').split(',').map(Number);
const BATCH = Number(process.env['SOTTO_BENCH_BATCH'] ?? 0);
const IDLE_MS = Number(process.env['SOTTO_BENCH_IDLE_MS'] ?? 60_000);
const PUBLISH_TIMEOUT_MS = 900_000;
const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux

interface Sample {
  readonly onions: number;
  readonly publishMs: number;
  readonly rssBaseMiB: number;
  readonly rssAfterMiB: number;
  readonly rssIdleMiB: number;
  readonly publishCpuMs: number;
  readonly idleCpuMs: number;
  /** One endpoint dialled with its key after the idle window (retrying while "not yet"). */
  readonly dialMs: number;
}

const samples: Sample[] = [];
const network = await startTestNetwork({ timeoutMs: 150_000 });
const dialerDir = await mkdtemp(path.join(tmpdir(), 'sotto-bench-ep-dialer-'));
const dialer = createTorProvider({
  mode: 'launch',
  dataDir: dialerDir,
  extraTorrcLines: network.clientTorrcLines,
  socksTimeoutMs: 120_000,
});
await dialer.bootstrap();

afterAll(async () => {
  await dialer.close();
  await network.stop();
  await rm(dialerDir, { recursive: true, force: true });
  const one = samples.find((s) => s.onions === 1);
  console.log(
    `command: SOTTO_BENCH_ENDPOINTS=${CASES.join(',')} SOTTO_BENCH_BATCH=${BATCH} ` +
      `SOTTO_BENCH_IDLE_MS=${IDLE_MS} npx vitest bench --run --project unit bench/endpoint-onions.bench.ts`,
  );
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  console.log(`batch: ${BATCH === 0 ? 'all at once' : BATCH}; idle window ${IDLE_MS} ms`);
  console.log(
    'onions | all published | ×1 | tor RSS base → published → idle | RSS/onion | CPU publish/onion | idle CPU/onion/min | one dial',
  );
  for (const s of samples) {
    const ratio = one === undefined ? Number.NaN : s.publishMs / one.publishMs;
    const rssPer = (Math.max(s.rssAfterMiB, s.rssIdleMiB) - s.rssBaseMiB) / s.onions;
    const idlePerMin = (s.idleCpuMs / s.onions) * (60_000 / IDLE_MS);
    console.log(
      `${s.onions} | ${(s.publishMs / 1000).toFixed(1)} s | ${ratio.toFixed(2)}× | ` +
        `${s.rssBaseMiB.toFixed(1)} → ${s.rssAfterMiB.toFixed(1)} → ${s.rssIdleMiB.toFixed(1)} MiB | ` +
        `${(rssPer * 1024).toFixed(0)} KiB | ` +
        `${(s.publishCpuMs / s.onions).toFixed(0)} ms | ${idlePerMin.toFixed(1)} ms | ` +
        `${(s.dialMs / 1000).toFixed(1)} s`,
    );
  }
});

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024;
}

/** utime + stime of `pid` in ms (proc(5): fields 14 and 15, after the parenthesised name). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function publishAll(
  provider: ReturnType<typeof createTorProvider>,
  count: number,
  signal: AbortSignal,
): Promise<{ listeners: OnionListener[]; secrets: Uint8Array[] }> {
  const secrets = Array.from({ length: count }, () => x25519.utils.randomSecretKey());
  const listeners: OnionListener[] = [];
  const batch = BATCH === 0 ? count : BATCH;
  for (let start = 0; start < count; start += batch) {
    const chunk = secrets.slice(start, start + batch);
    listeners.push(
      ...(await Promise.all(
        chunk.map((secret) =>
          provider.listen(
            IdentityKey.generate().expandedKey(),
            ({ socket }) => socket.end('ok'),
            { clientAuthV3: [x25519.getPublicKey(secret)] },
            signal,
          ),
        ),
      )),
    );
  }
  return { listeners, secrets };
}

describe('endpoint onions in one tor', () => {
  for (const count of CASES) {
    bench(
      `${count} onion(s) with one ClientAuthV3 key each`,
      async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'sotto-bench-ep-'));
        const provider = createTorProvider({
          mode: 'launch',
          dataDir: dir,
          extraTorrcLines: network.clientTorrcLines,
          publishTimeoutMs: PUBLISH_TIMEOUT_MS,
        });
        const signal = AbortSignal.timeout(PUBLISH_TIMEOUT_MS + 60_000);
        setMaxListeners(count + 10, signal); // one abort listener per onion being published
        try {
          await provider.bootstrap(signal);
          const pid = provider.torPid;
          if (pid === undefined) throw new Error('no tor pid');
          await sleep(5_000, undefined, { signal }); // let bootstrap's own work settle
          const rssBase = rssMiB(pid);
          const cpu0 = cpuMs(pid);
          const t0 = performance.now();
          const { listeners, secrets } = await publishAll(provider, count, signal);
          const publishMs = performance.now() - t0;
          const cpu1 = cpuMs(pid);
          const rssAfter = rssMiB(pid);
          await sleep(IDLE_MS, undefined, { signal });
          const cpu2 = cpuMs(pid);
          const rssIdle = rssMiB(pid);
          // One endpoint, dialled with its key, must answer.
          const pick = Math.floor(count / 2);
          const target = listeners[pick];
          const secret = secrets[pick];
          if (target === undefined || secret === undefined) throw new Error('no endpoint');
          await dialer.addClientAuth(target.serviceId, secret, signal);
          const dialStart = performance.now();
          const socket = await dialWithRetry(
            dialer,
            target.serviceId,
            9878,
            `ep-${count}`,
            180_000,
          );
          const dialMs = performance.now() - dialStart;
          socket.destroy();
          await dialer.removeClientAuth(target.serviceId, signal);
          samples.push({
            onions: count,
            publishMs,
            rssBaseMiB: rssBase,
            rssAfterMiB: rssAfter,
            rssIdleMiB: rssIdle,
            publishCpuMs: cpu1 - cpu0,
            idleCpuMs: cpu2 - cpu1,
            dialMs,
          });
        } finally {
          await provider.close();
          await rm(dir, { recursive: true, force: true });
        }
      },
      { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
    );
  }
});
