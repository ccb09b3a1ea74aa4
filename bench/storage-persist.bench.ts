// Storage cost against the size of the history (issue 12, docs/PERFORMANCE.md "Storage"):
// 1. persisting one incoming message with history on, at 1,000, 10,000 and 100,000 messages of
//    history: median, p99 and the worst event-loop stall (goals: 100,000 / 1,000 ≤ 1.5×, no stall
//    over 20 ms);
// 2. opening (after the KDF: an unprotected vault) a profile with 1,000 contacts and 100,000
//    messages, up to the Messenger's models (goal ≤ 2 s).
// Messages are SOTTO_BENCH_TEXT characters long (default 280). Prints, asserts nothing.
// Run: npx vitest bench --run --project unit bench/storage-persist.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { Messenger } from '../src/core/messenger.js';
import { HistoryWriter } from '../src/core/history-writer.js';
import { modelFromVault, toAddress } from '../src/core/vault-mapping.js';
import { IdentityKey } from '../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../src/onion/loopback-tor-provider.js';
import { createVault, openVault } from '../src/profile/vault.js';
import {
  bytesUnder,
  historyFor,
  loadLine,
  messageText,
  ms,
  percentile,
  stateWith,
  summary,
  worstStall,
} from './storage-support.js';

const TEXT = Number(process.env['SOTTO_BENCH_TEXT'] ?? 280);
const SIZES = [1_000, 10_000, 100_000];
/** Samples per size: fewer at 100,000 where one save of the whole vault takes seconds. */
const SAMPLES: Record<number, number> = { 1_000: 200, 10_000: 200, 100_000: 200 };
const lines: string[] = [
  'command: npx vitest bench --run --project unit bench/storage-persist.bench.ts',
  `messages of ${TEXT} characters`,
];

afterAll(() => {
  for (const line of lines) console.log(line);
});

/** Contacts enough to hold `messages` (at most LIMITS.historyPerContact each), and more. */
function contactIds(count: number): string[] {
  return Array.from({ length: count }, () => IdentityKey.generate().serviceId);
}

/**
 * The profile's persist of one incoming message: what the Messenger does when a message arrives in
 * a conversation with history on (the conversation takes it; the HistoryWriter appends it to the
 * contact's log). Before the history logs (main before 3d64872) this was a whole-vault save.
 */
async function persistSamples(
  historySize: number,
  samples: number,
): Promise<{ times: number[]; stallMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-persist-'));
  try {
    const key = IdentityKey.generate();
    const contacts = contactIds(Math.max(20, Math.ceil(historySize / 5_000)));
    const state = stateWith(key, contacts, historyFor(contacts, historySize, TEXT));
    const vault = await createVault(join(dir, 'vault.sotto'), null, state);
    const { model } = modelFromVault(vault.state, key.serviceId, Date.now());
    // As the Messenger wires it: a conversation change is one append to that contact's log.
    let failure: unknown;
    const writer = new HistoryWriter(vault, model, (error) => (failure = error));
    model.conversations.onChange = (address, change) => writer.changed(address, change);
    const conversation = model.conversations.of(toAddress(contacts[0] as string));
    const { result: times, stallMs } = await worstStall(async () => {
      const out: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        conversation.receive(100_000 + i, messageText(i, TEXT), 0, Date.now());
        await writer.settled();
        out.push(performance.now() - t0);
      }
      return out;
    });
    if (failure instanceof Error) throw failure;
    if (failure !== undefined) throw new Error('a history append failed');
    vault.close();
    return { times, stallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('storage against the size of the history', () => {
  bench(
    'persist one incoming message (history on)',
    async () => {
      const medians: Record<number, number> = {};
      for (const size of SIZES) {
        const samples = SAMPLES[size] ?? 10;
        const { times: result, stallMs } = await persistSamples(size, samples);
        medians[size] = percentile(result, 50);
        lines.push(
          `persist one incoming message, ${size} messages of history: ${summary(result)}; ` +
            `worst event-loop stall ${ms(stallMs)} [${loadLine()}]`,
        );
      }
      const ratio = (medians[100_000] ?? NaN) / (medians[1_000] ?? NaN);
      lines.push(`persist median 100,000 / 1,000: ${ratio.toFixed(2)}× (goal ≤ 1.5×)`);
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );

  bench(
    'open 1,000 contacts and 100,000 messages (after the KDF)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-open-'));
      try {
        const key = IdentityKey.generate();
        const contacts = contactIds(1_000);
        const path = join(dir, 'vault.sotto');
        const made = await createVault(
          path,
          null,
          stateWith(key, contacts, historyFor(contacts, 100_000, TEXT)),
        );
        made.close();
        const size = await bytesUnder(dir);
        const opens: number[] = [];
        const models: number[] = [];
        const cpus: number[] = [];
        const firstLoads: number[] = [];
        let stall = 0;
        let loadStall = 0;
        for (let i = 0; i < 3; i++) {
          const { stallMs } = await worstStall(async () => {
            const t0 = performance.now();
            const cpu0 = process.cpuUsage();
            const vault = await openVault(path, null);
            const t1 = performance.now();
            const messenger = new Messenger({
              tor: new LoopbackTorProvider({ offline: true }),
              vault,
              downloadsDir: dir,
            });
            const t2 = performance.now();
            const cpu = process.cpuUsage(cpu0);
            cpus.push((cpu.user + cpu.system) / 1000);
            opens.push(t2 - t0);
            models.push(t2 - t1);
            // The first use of one full conversation (5,000 messages): its log is read now.
            const first = await worstStall(async () => {
              const address = toAddress(contacts[0] as string);
              const t3 = performance.now();
              const shown = new Promise<number>((resolve) => {
                const stop = messenger.onEvent((event) => {
                  if (event.type !== 'messages') return;
                  stop();
                  resolve(event.messages.length);
                });
              });
              await messenger.dispatch({ type: 'messages', address });
              if ((await shown) !== 5_000) throw new Error('the conversation did not load whole');
              firstLoads.push(performance.now() - t3);
            });
            loadStall = Math.max(loadStall, first.stallMs);
            await messenger.close();
            vault.close();
          });
          stall = Math.max(stall, stallMs);
        }
        lines.push(
          `open 1,000 contacts + 100,000 messages (${(size / 2 ** 20).toFixed(1)} MiB on disk), ` +
            `open + models: ${summary(opens)}; CPU time (user + system) ${summary(cpus)}; ` +
            `of which models ${summary(models)}; ` +
            `worst stall ${ms(stall)} (goal ≤ 2 s) [${loadLine()}]`,
        );
        lines.push(
          `first use of one conversation of 5,000 messages (its log read then): ` +
            `${summary(firstLoads)}; worst stall while it loads ${ms(loadStall)} ` +
            `(goal ≤ 20 ms) [${loadLine()}]`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
