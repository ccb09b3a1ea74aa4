// Storage under traffic (issue 12, docs/PERFORMANCE.md "Storage"), real Messengers on a loopback
// Tor network (src/onion/loopback-tor-provider.ts), history on everywhere:
// 3. a contact floods 2,000-character messages at full speed (a raw Ricochet client in a child
//    process, 64 messages in flight): another contact's send → ack round trips to the same Sotto,
//    during the flood vs idle (goal ≤ 1.2×), and Sotto's worst event-loop stall;
// 4. the durable write before `queued`: dispatch → `queued` and send → ack, for a Sotto that saves
//    the whole vault before `queued` (no journal: the behaviour before the journal) and one that
//    appends to the send-queue journal, alternating in the same run (goal: ≤ 2 ms median added).
// The Sotto under test holds SOTTO_BENCH_HISTORY messages of history (default 10,000).
// SOTTO_BENCH_FLOOD_WAIT_MS (default 0) waits that long after the flooder is online before the
// flooded rounds: 0 measures during the flooder's first burst (its chat budget: 500 at once),
// ~12000 measures the steady state past it (50 messages/s). Keep SOTTO_BENCH_ROUNDS ≤ ~200: the
// measuring contact sends one message per round trip and would spend its own chat budget. Prints,
// asserts nothing. Run (the flooder runs from dist/):
//   npm run build && npx vitest bench --run --project unit bench/storage-traffic.bench.ts
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { afterAll, bench, describe } from 'vitest';
import { IdentityKey } from '../src/identity/identity-key.js';
import type { LoopbackTorNetwork } from '../src/onion/loopback-tor-provider.js';
import {
  Side,
  historyFor,
  loadLine,
  messageText,
  ms,
  newNetwork,
  percentile,
  stateWith,
  summary,
  timedSend,
} from './storage-support.js';

const HISTORY = Number(process.env['SOTTO_BENCH_HISTORY'] ?? 10_000);
const ROUNDS = Number(process.env['SOTTO_BENCH_ROUNDS'] ?? 40);
const FLOOD_WAIT_MS = Number(process.env['SOTTO_BENCH_FLOOD_WAIT_MS'] ?? 0);
const lines: string[] = [
  'command: npm run build && npx vitest bench --run --project unit bench/storage-traffic.bench.ts',
  `the Sotto under test holds ${HISTORY} messages of history (280 characters each)`,
];
afterAll(() => {
  for (const line of lines) console.log(line);
});

/** Sotto with `peers` as contacts (history on) and HISTORY messages with extra contacts. */
async function sottoWith(
  network: LoopbackTorNetwork,
  key: IdentityKey,
  peers: readonly IdentityKey[],
  journal: boolean,
  peerHistory = true,
): Promise<Side> {
  const filler = Array.from({ length: Math.ceil(HISTORY / 5_000) }, () => IdentityKey.generate());
  const ids = [...peers, ...filler].map((k) => k.serviceId);
  const off = new Set(peerHistory ? [] : peers.map((k) => k.serviceId));
  const history = historyFor(
    filler.map((k) => k.serviceId),
    HISTORY,
    280,
  );
  const state = stateWith(key, ids, history, off);
  return Side.create(key, state, network, journal);
}

async function online(a: Side, b: Side): Promise<void> {
  await Promise.all([
    a.waitFor((e) => e.type === 'online' && e.address === b.address),
    b.waitFor((e) => e.type === 'online' && e.address === a.address),
  ]);
}

/** A raw Ricochet client in a child process (dist/) flooding `sotto` with 2,000-char messages. */
function startFlood(flooder: IdentityKey, sotto: Side, port: number): () => Promise<number> {
  const dist = (path: string): string =>
    JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', 'dist', 'src', path)).href);
  const script = `
    const { createConnection } = await import('node:net');
    const { randomBytes } = await import('node:crypto');
    const { IdentityKey } = await import(${dist('identity/identity-key.js')});
    const { RicochetConnection } = await import(${dist('protocol/connection.js')});
    const { PeerLink } = await import(${dist('core/peer-link.js')});
    let hex = '';
    for await (const chunk of process.stdin) hex += chunk;
    const key = IdentityKey.fromExpandedKey(Uint8Array.from(Buffer.from(hex.trim(), 'hex')));
    const text = 'f'.repeat(2000);
    let acked = 0;
    const socket = createConnection({ host: '127.0.0.1', port: Number(process.argv[2]) });
    const link = new PeerLink({
      socket,
      connection: new RicochetConnection({ role: 'client', identity: key,
        peerServiceId: process.argv[1], now: Date.now,
        random: (n) => new Uint8Array(randomBytes(n)) }),
      onEvent: (l, e) => {
        if (e.type === 'chat-ready') for (let i = 0; i < 64; i++) l.run((c) => c.sendChatMessage(text));
        if (e.type === 'chat-ack') { acked++; l.run((c) => c.sendChatMessage(text)); }
      },
    });
    process.on('SIGTERM', () => { process.stdout.write(String(acked) + '\\n'); process.exit(0); });
  `;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', script, sotto.key.serviceId, String(port)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.stdin.end(Buffer.from(flooder.expandedKey()).toString('hex'));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    return Number(out.trim());
  };
}

describe('storage under traffic', () => {
  bench(
    'a contact floods with history on: other round trips vs idle',
    async () => {
      const network = newNetwork();
      const [aKey, bKey, fKey] = [
        IdentityKey.generate(),
        IdentityKey.generate(),
        IdentityKey.generate(),
      ];
      const sotto = await sottoWith(network, aKey, [bKey, fKey], true);
      const other = await Side.create(bKey, stateWith(bKey, [aKey.serviceId], {}), network, true);
      try {
        await Promise.all([sotto.messenger.start(), other.messenger.start()]);
        await online(sotto, other);
        const rtt = async (n: number): Promise<number[]> => {
          const out: number[] = [];
          for (let i = 0; i < n; i++)
            out.push((await timedSend(other, sotto, messageText(i, 280))).ackMs);
          return out;
        };
        await rtt(5); // warm-up
        const idle = await rtt(ROUNDS);
        const port = network.portOf(aKey.serviceId) as number;
        const stop = startFlood(fKey, sotto, port);
        await sotto.waitFor(
          (e) => e.type === 'online' && e.address === `ricochet:${fKey.serviceId}`,
        );
        const waitStart = performance.now();
        await new Promise((resolve) => setTimeout(resolve, FLOOD_WAIT_MS));
        const waited = (performance.now() - waitStart) / 1000;
        const monitor = monitorEventLoopDelay({ resolution: 1 });
        monitor.enable();
        const t0 = performance.now();
        const flooded = await rtt(ROUNDS);
        const seconds = (performance.now() - t0) / 1000;
        monitor.disable();
        const acked = await stop();
        const ratio = percentile(flooded, 50) / percentile(idle, 50);
        lines.push(
          `flood: other contact's send → ack idle ${summary(idle)} [${loadLine()}]`,
          `flood: during the flood ${summary(flooded)}; median ratio ${ratio.toFixed(2)}× ` +
            `(goal ≤ 1.2×); p99 ratio ${(percentile(flooded, 99) / percentile(idle, 99)).toFixed(2)}×`,
          `flood: ${acked} messages of 2,000 characters acknowledged to the flooder ` +
            `(${(acked / (seconds + waited)).toFixed(0)}/s since it was online, ` +
            `${(seconds + waited).toFixed(1)} s; measured after ${waited.toFixed(1)} s); ` +
            `worst event-loop stall in this process during the flood ${ms(monitor.max / 1e6)} [${loadLine()}]`,
        );
      } finally {
        await sotto.close();
        await other.close();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );

  bench(
    'the durable write before queued: whole-vault save vs journal append',
    async () => {
      const network = newNetwork();
      const bKey = IdentityKey.generate();
      const [saveKey, journalKey] = [IdentityKey.generate(), IdentityKey.generate()];
      const quietKey = IdentityKey.generate();
      const saving = await sottoWith(network, saveKey, [bKey], false);
      const journaled = await sottoWith(network, journalKey, [bKey], true);
      // The same, with this conversation's history off: no history-log append beside the journal.
      const quiet = await sottoWith(network, quietKey, [bKey], true, false);
      const peer = await Side.create(
        bKey,
        stateWith(
          bKey,
          [saveKey, journalKey, quietKey].map((k) => k.serviceId),
          {},
        ),
        network,
        true,
      );
      try {
        await Promise.all([saving, journaled, quiet, peer].map((s) => s.messenger.start()));
        await online(saving, peer);
        await online(journaled, peer);
        await online(quiet, peer);
        const results = {
          saving: { q: [] as number[], a: [] as number[] },
          journal: { q: [] as number[], a: [] as number[] },
          quiet: { q: [] as number[], a: [] as number[] },
        };
        for (let i = 0; i < ROUNDS + 5; i++) {
          for (const [name, side] of [
            ['saving', saving],
            ['journal', journaled],
            ['quiet', quiet],
          ] as const) {
            const r = await timedSend(side, peer, messageText(i, 280));
            if (i < 5) continue; // warm-up
            results[name].q.push(r.queuedMs);
            results[name].a.push(r.ackMs);
          }
        }
        const added = percentile(results.journal.q, 50);
        lines.push(
          `durable write, journal append, this conversation's history off: dispatch → queued ${summary(results.quiet.q)}; send → ack ${summary(results.quiet.a)} [${loadLine()}]`,
        );
        lines.push(
          `durable write, whole-vault save (before the journal): dispatch → queued ${summary(results.saving.q)}; send → ack ${summary(results.saving.a)} [${loadLine()}]`,
          `durable write, journal append: dispatch → queued ${summary(results.journal.q)}; send → ack ${summary(results.journal.a)} [${loadLine()}]`,
          `durable write: the journal adds ${ms(added)} (median dispatch → queued, goal ≤ 2 ms); ` +
            `send → ack median ${ms(percentile(results.journal.a, 50))} vs ${ms(percentile(results.saving.a, 50))} with the whole-vault save`,
        );
      } finally {
        for (const s of [saving, journaled, quiet, peer]) await s.close();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
