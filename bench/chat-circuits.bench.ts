// Chat against raw Tor, ten times over (issue 14): each run starts its own private Tor network
// (tor/testnet.ts), two Sotto users befriend each other, (Sotto peers) move to their endpoint
// onions, and both sides' live link gets its round-trip verdict, with any circuit move it
// triggered done (`befriendAndSettleCircuits`). Chat is measured after that — steady state — and
// compared with a raw echo over a FRESH circuit between the same two tors, in the same run. The
// chat round trips sent from connect until then are printed per run too ("first seconds after
// connect"), with how long the verdicts took and whether a move happened: outside the goal, not
// hidden. Fresh circuits can be
// slow too (tor's slow mode hits raw sockets alike), so the echo runs on two fresh circuits and the
// faster one (lower p50) is the baseline: the stricter comparison. Goal: chat p50 ≤ 1.1× and
// p95 ≤ 1.3× that echo in at least 9 of 10 runs. The first run also compares start-up
// (launch → onion published, median of 5) with the bare tor layer (goal ≤ 1.2×).
// Every ratio of every run is printed, then a summary with the worst run.
//
//   npm run bench:circuits                       # the 10 runs (≈ 15–25 min on 2 busy cores)
//   SOTTO_BENCH_RUNS=2 SOTTO_BENCH_LAUNCH_SAMPLES=3 npm run bench:circuits   # a quick look
//   SOTTO_BENCH_PEER=compat npm run bench:circuits   # the peer offers no extensions
//   SOTTO_BENCH_MOVES=off npm run bench:circuits     # control: no slow-circuit moves
//   SOTTO_BENCH_SETTLE=off npm run bench:circuits    # no waiting: chat right after befriending
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import type { CircuitMove, CircuitStatus } from '../src/core/circuit-moves.js';
import { IdentityKey } from '../src/identity/identity-key.js';
import type { RealTorProvider } from '../src/onion/real-tor-provider.js';
import { startTestNetwork, type TestNetwork } from '../tor/testnet.js';
import { SottoInstance } from '../test/tor/messenger-support.js';
import {
  BenchReport,
  befriendAndSettleCircuits,
  type Settled,
  chatAckMs,
  echoRtts,
  launchSamples,
  loadAverage,
  quantile,
} from './tor-bench-support.js';

const RUNS = Number(process.env['SOTTO_BENCH_RUNS'] ?? 10);
const ROUNDS = Number(process.env['SOTTO_BENCH_ROUNDS'] ?? 40);
const LAUNCH_SAMPLES = Number(process.env['SOTTO_BENCH_LAUNCH_SAMPLES'] ?? 5);
const PEER_FEATURES = process.env['SOTTO_BENCH_PEER'] === 'compat' ? [] : undefined;
const MOVES_OFF = process.env['SOTTO_BENCH_MOVES'] === 'off';
const SETTLE_CIRCUITS = process.env['SOTTO_BENCH_SETTLE'] !== 'off';
const SETTLE = SETTLE_CIRCUITS && PEER_FEATURES === undefined;
const GOAL = { p50: 1.1, p95: 1.3, launch: 1.2, runs: Math.ceil(RUNS * 0.9) };

interface RunResult {
  readonly run: number;
  readonly load: string;
  readonly echo: number[];
  readonly chat: number[];
  readonly moves: CircuitMove[];
  readonly settled: Settled;
}
const results: RunResult[] = [];
const report = new BenchReport(
  'chat vs fresh-circuit raw echo: every run',
  Object.entries(process.env)
    .filter(([name]) => name.startsWith('SOTTO_BENCH_'))
    .map(([name, value]) => `${name}=${value ?? ''} `)
    .join('') + 'npm run bench:circuits',
);
const say = (...lines: string[]): void => report.say(...lines);

afterAll(() => {
  console.log(report.text());
  console.log(summary());
});

const p50 = (xs: readonly number[]): number => quantile(xs, 0.5);
const p95 = (xs: readonly number[]): number => quantile(xs, 0.95);
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const ratios = (r: RunResult) => ({
  p50: p50(r.chat) / p50(r.echo),
  p95: p95(r.chat) / p95(r.echo),
});
const meets = (r: RunResult): boolean => {
  const x = ratios(r);
  return x.p50 <= GOAL.p50 && x.p95 <= GOAL.p95;
};

function summary(): string {
  if (results.length === 0) return 'no run finished';
  const worst = [...results].sort((a, b) => ratios(b).p95 - ratios(a).p95)[0] as RunResult;
  const ok = results.filter(meets).length;
  const lines = [
    '==== summary ====',
    'run | load (1/5/15 min) | echo p50/p95 | chat p50/p95 | ratio p50 | ratio p95 | moves | goal | verdicts after | first seconds: n, p50/p95',
    ...results.map((r) => {
      const x = ratios(r);
      const moves = r.moves.map((m) => m.reason).join(',') || '-';
      const first = [...r.settled.early.upgrade, ...r.settled.early.verdict];
      return `${r.run} | ${r.load} | ${ms(p50(r.echo))} / ${ms(p95(r.echo))} | ${ms(p50(r.chat))} / ${ms(p95(r.chat))} | ${x.p50.toFixed(2)}× | ${x.p95.toFixed(2)}× | ${moves} | ${meets(r) ? 'met' : 'MISSED'} | ${verdictText(r.settled)} | ${first.length}, ${spread(first)}`;
    }),
    `runs meeting chat p50 ≤ ${GOAL.p50}× and p95 ≤ ${GOAL.p95}×: ${ok} of ${results.length} (goal: ≥ ${GOAL.runs} of ${RUNS})`,
    `worst run: ${worst.run} (ratio p50 ${ratios(worst).p50.toFixed(2)}×, p95 ${ratios(worst).p95.toFixed(2)}×)`,
    `verdict: ${results.length === RUNS && ok >= GOAL.runs ? 'GOAL MET' : 'GOAL NOT MET'}`,
  ];
  return lines.join('\n');
}

const spread = (xs: readonly number[]): string =>
  xs.length === 0 ? '-' : `${ms(p50(xs))} / ${ms(p95(xs))}`;
const verdictText = (s: Settled): string =>
  s.timedOut ? 'TIMED OUT' : s.verdictMs === undefined ? 'not waited for' : ms(s.verdictMs);
const statusText = (s: CircuitStatus | undefined): string =>
  s === undefined
    ? 'no live link'
    : `link ${s.linkId} (${s.route}) verdict ${s.verdict ?? 'none'}` +
      `${s.medianMs === undefined ? '' : ` (median ${ms(s.medianMs)})`}, moves ${s.moves}` +
      `${s.moving ? ', MOVING' : ''}`;

/** launch → published: the bare tor layer vs a whole Sotto core, alternating. */
async function launchRatio(testnet: string[]): Promise<void> {
  const { bare, full } = await launchSamples(testnet, LAUNCH_SAMPLES);
  say(`start-up (launch → published), ${LAUNCH_SAMPLES} each, load ${loadAverage()}:`);
  say(`  bare tor layer ${bare.map(ms).join(', ')}`);
  say(`  Sotto          ${full.map(ms).join(', ')}`);
  say(`  ratio of medians ${(p50(full) / p50(bare)).toFixed(2)}× (goal ≤ ${GOAL.launch}×)`);
}

/** Tor's congestion-control and circuit parameters in this network's consensus. */
async function consensusParams(network: TestNetwork): Promise<string> {
  for (const node of network.nodes) {
    const dir = join(network.dir, node.nickname);
    for (const name of await readdir(dir).catch(() => [])) {
      if (!name.startsWith('cached-') || !name.includes('consensus')) continue;
      const text = await readFile(join(dir, name), 'utf8');
      const params = /^params (.*)$/m.exec(text);
      return params ? (params[1] ?? '') : '(no params line: tor defaults)';
    }
  }
  return '(no consensus file found)';
}

async function oneRun(run: number): Promise<void> {
  const network = await startTestNetwork({ timeoutMs: 240_000 });
  try {
    const testnet = network.clientTorrcLines;
    if (run === 1) {
      say(`tor: ${execFileSync('tor', ['--version']).toString().split('\n')[0] ?? ''}`);
      say(`consensus params: ${await consensusParams(network)}`);
      await launchRatio(testnet);
    }
    const moves: CircuitMove[] = [];
    const circuits = MOVES_OFF ? { explore: false, factor: 1e9 } : {};
    const alice = await SottoInstance.create(`run${run}-a`, testnet, {
      circuits: { ...circuits, onMove: (m) => moves.push(m) },
    });
    const bob = await SottoInstance.create(`run${run}-b`, testnet, {
      circuits: { ...circuits, onMove: (m) => moves.push(m) },
      ...(PEER_FEATURES ? { features: PEER_FEATURES } : {}),
    });
    try {
      await Promise.all([alice.start(), bob.start()]);
      const settled = await befriendAndSettleCircuits(alice, bob, {
        endpoints: SETTLE,
        circuits: SETTLE_CIRCUITS,
        chat: SETTLE_CIRCUITS,
      });
      const movesBeforeChat = moves.length;
      const echoHost = bob.tor as RealTorProvider;
      const echo = await echoHost.listen(IdentityKey.generate().expandedKey(), ({ socket }) =>
        socket.pipe(socket),
      );
      const dialer = alice.tor as RealTorProvider;
      const echoA = await echoRtts(
        dialer,
        echo.serviceId,
        `bench-echo-${run}-${performance.now()}`,
        ROUNDS,
      );
      const chat = await chatAckMs(alice, bob, ROUNDS);
      const echoB = await echoRtts(
        dialer,
        echo.serviceId,
        `bench-echo-${run}-${performance.now()}`,
        ROUNDS,
      );
      const echoes = p50(echoA) <= p50(echoB) ? echoA : echoB;
      await echo.close();
      const r: RunResult = {
        run,
        load: loadAverage(),
        echo: echoes,
        chat,
        moves: [...moves],
        settled,
      };
      results.push(r);
      const x = ratios(r);
      say(`run ${run} (load ${r.load}):`);
      const { upgradeMs, early } = settled;
      say(
        `  endpoint upgrade before measuring: ${upgradeMs === undefined ? 'not waited for' : ms(upgradeMs)}`,
        `  then circuit verdicts (both live links judged, no move under way): ${verdictText(settled)}`,
        `    alice's view of bob: ${statusText(settled.a)}`,
        `    bob's view of alice: ${statusText(settled.b)}`,
        `  first seconds after connect (outside the goal): ${early.upgrade.length + early.verdict.length} chat rounds`,
        `    during the endpoint upgrade: n ${early.upgrade.length}, p50/p95 ${spread(early.upgrade)}: ${early.upgrade.map((v) => v.toFixed(0)).join(' ')}`,
        `    until the circuit verdicts: n ${early.verdict.length}, p50/p95 ${spread(early.verdict)}: ${early.verdict.map((v) => v.toFixed(0)).join(' ')}`,
      );
      say(
        `  raw echo, fresh circuit 1 (before chat): p50 ${ms(p50(echoA))}, p95 ${ms(p95(echoA))}`,
      );
      say(
        `  raw echo, fresh circuit 2 (after chat):  p50 ${ms(p50(echoB))}, p95 ${ms(p95(echoB))}`,
      );
      say(`  baseline = the faster: p50 ${ms(p50(echoes))}, p95 ${ms(p95(echoes))}`);
      say(`  chat send → ack:         p50 ${ms(p50(chat))}, p95 ${ms(p95(chat))}`);
      say(
        `  ratio p50 ${x.p50.toFixed(2)}× (goal ≤ ${GOAL.p50}×), p95 ${x.p95.toFixed(2)}× (goal ≤ ${GOAL.p95}×): ${meets(r) ? 'met' : 'MISSED'}`,
      );
      const moveText = moves.map(
        (m) =>
          `${bob.address.endsWith(m.serviceId) ? 'alice' : 'bob'} ${m.reason} (median ${m.medianMs?.toFixed(1) ?? '?'} ms vs ${m.referenceMs?.toFixed(1) ?? 'none'})`,
      );
      say(
        `  circuit moves (both sides; ${movesBeforeChat} before the steady-state chat): ${moveText.join('; ') || 'none'}`,
      );
      say(`  chat samples (ms): ${chat.map((v) => v.toFixed(0)).join(' ')}`);
      say(`  echo 1 samples (ms): ${echoA.map((v) => v.toFixed(0)).join(' ')}`);
      say(`  echo 2 samples (ms): ${echoB.map((v) => v.toFixed(0)).join(' ')}`);
    } finally {
      await alice.remove();
      await bob.remove();
    }
  } finally {
    await network.stop();
  }
}

describe(`chat vs raw Tor, ${RUNS} runs, one private network each`, () => {
  bench(
    'runs',
    async () => {
      for (let run = 1; run <= RUNS; run++) {
        try {
          await oneRun(run);
        } catch (error) {
          say(`run ${run} FAILED: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
