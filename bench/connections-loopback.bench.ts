// 1,000 authenticated Ricochet connections on loopback in one process: a real Messenger (behind the
// loopback TorProvider of test/abuse) with 1,000 contacts, each dialled by a raw client. Prints the
// handshake rate and retained memory per idle connection (both ends live in this process).
// Run: npx vitest bench --run --project unit bench/connections-loopback.bench.ts
import { afterAll, bench, describe } from 'vitest';
import { IdentityKey } from '../src/identity/identity-key.js';
import { LoopbackSotto, RawPeer, collectGarbage } from '../test/abuse/loopback-support.js';

const N = Number(process.env['SOTTO_BENCH_CONNECTIONS'] ?? 1_000);
const CONCURRENCY = 32;
const lines: string[] = [];

afterAll(() => {
  for (const line of lines) console.log(line);
});

describe(`${N} idle authenticated connections`, () => {
  bench(
    'connect, authenticate, open chat + file channels, then idle',
    async () => {
      const keys = Array.from({ length: N }, () => IdentityKey.generate());
      const server = await LoopbackSotto.start(keys);
      const peers: RawPeer[] = [];
      await collectGarbage();
      const before = process.memoryUsage();
      const started = performance.now();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < N) {
          const key = keys[next++] as IdentityKey;
          const peer = new RawPeer(key, server.key.serviceId, server.port);
          peers.push(peer);
          await peer.waitFor('chat-ready', 60_000);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const elapsed = (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 2_000)); // let channel opening settle
      await collectGarbage();
      const after = process.memoryUsage();
      const perConn = (a: number, b: number): string => `${((a - b) / N / 1024).toFixed(1)} KiB`;
      lines.push(
        `connections: ${N} (client and server ends both in this process)`,
        `handshake rate: ${(N / elapsed).toFixed(0)} connections/s (${elapsed.toFixed(2)} s, concurrency ${CONCURRENCY})`,
        `RSS per connection (both ends): ${perConn(after.rss, before.rss)}`,
        `heap used per connection (both ends): ${perConn(after.heapUsed, before.heapUsed)}`,
        `external+arrayBuffers per connection: ${perConn(after.external + after.arrayBuffers, before.external + before.arrayBuffers)}`,
      );
      for (const p of peers) p.link.destroy();
      await server.stop();
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
