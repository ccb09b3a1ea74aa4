// Shared pieces of the storage benches (bench/storage-*.bench.ts, issue 12): profiles with a given
// amount of history, real Messengers on a loopback Tor network (src/onion/loopback-tor-provider.ts),
// the figures (median, p99, max) and the load line printed next to every figure.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CoreEvent } from '../src/api/core-api.js';
import { Messenger } from '../src/core/messenger.js';
import type { IdentityKey } from '../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../src/onion/loopback-tor-provider.js';
import { QueueJournal } from '../src/profile/queue-journal.js';
import { createVault, type Vault } from '../src/profile/vault.js';
import {
  emptyVaultState,
  type ContactRecord,
  type HistoryMessageRecord,
  type VaultState,
} from '../src/profile/vault-state.js';
import { LIMITS } from '../src/schema/limits.js';

/** `load average 1.23 0.98 0.70` — printed next to every figure (2 shared cores). */
export const loadLine = (): string =>
  `load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`;

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Bytes of every file under `dir` (the vault and everything beside it). */
export async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export const ms = (value: number): string => `${value.toFixed(2)} ms`;

export function summary(values: readonly number[]): string {
  return (
    `median ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, ` +
    `max ${ms(Math.max(...values))} (n=${values.length})`
  );
}

/** The worst event-loop stall while `run` runs (perf_hooks.monitorEventLoopDelay, 1 ms). */
export async function worstStall<T>(
  run: () => Promise<T>,
): Promise<{ result: T; stallMs: number }> {
  const monitor = monitorEventLoopDelay({ resolution: 1 });
  monitor.enable();
  try {
    const result = await run();
    return { result, stallMs: monitor.max / 1e6 };
  } finally {
    monitor.disable();
  }
}

/** A message text of `length` characters (what a chatty contact sends). */
export const messageText = (i: number, length: number): string =>
  `${i} the quick brown fox jumps over the lazy dog `
    .repeat(Math.ceil(length / 40))
    .slice(0, length);

/** Contact records for `serviceIds`, history on. */
export const contactRecords = (
  serviceIds: readonly string[],
  historyOff: ReadonlySet<string> = new Set(),
): ContactRecord[] =>
  serviceIds.map((serviceId, i) => ({
    serviceId,
    nickname: `contact ${i}`,
    addedAt: 1_700_000_000_000 + i,
    historyEnabled: !historyOff.has(serviceId),
  }));

/**
 * History for `messages` messages of `textLength` characters, spread over the first contacts at
 * most `LIMITS.historyPerContact` each (100,000 messages fill 20 conversations).
 */
export function historyFor(
  serviceIds: readonly string[],
  messages: number,
  textLength: number,
): Record<string, HistoryMessageRecord[]> {
  const history: Record<string, HistoryMessageRecord[]> = {};
  let left = messages;
  for (const serviceId of serviceIds) {
    if (left <= 0) break;
    const n = Math.min(left, LIMITS.historyPerContact);
    history[serviceId] = Array.from({ length: n }, (_, m) => ({
      id: m + 1,
      direction: m % 2 === 0 ? ('in' as const) : ('out' as const),
      text: messageText(m, textLength),
      at: 1_700_000_000_000 + m * 1000,
      timeDelta: 0,
      state: 'delivered' as const,
    }));
    left -= n;
  }
  if (left > 0) throw new RangeError(`${messages} messages need more contacts`);
  return history;
}

export function stateWith(
  key: IdentityKey,
  contacts: readonly string[],
  history: Record<string, HistoryMessageRecord[]>,
  historyOff: ReadonlySet<string> = new Set(),
): VaultState {
  return {
    ...emptyVaultState({ expandedKey: key.expandedKey() }),
    contacts: contactRecords(contacts, historyOff),
    history,
    settings: { historyDefault: true, blockUnknown: false },
  };
}

/** A real Messenger on an unprotected profile in a temp dir, behind a loopback Tor provider. */
export class Side {
  readonly events: CoreEvent[] = [];
  /** performance.now() when each event arrived (same index as `events`). */
  readonly times: number[] = [];
  readonly #waiters = new Set<() => void>();
  private constructor(
    readonly dir: string,
    readonly key: IdentityKey,
    readonly vault: Vault,
    readonly messenger: Messenger,
    readonly queueJournal: QueueJournal | undefined,
  ) {
    messenger.onEvent((e) => {
      this.events.push(e);
      this.times.push(performance.now());
      for (const w of [...this.#waiters]) w();
    });
  }

  get address(): string {
    return `ricochet:${this.key.serviceId}`;
  }

  /** With `journal`, `queued` waits for a send-queue journal append (the product's setup). */
  static async create(
    key: IdentityKey,
    state: VaultState,
    network: LoopbackTorNetwork,
    journal = true,
  ): Promise<Side> {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-storage-bench-'));
    const vault = await createVault(join(dir, 'vault.sotto'), null, state);
    const queueJournal = journal
      ? await QueueJournal.open(vault.path, vault.state.identity.expandedKey)
      : undefined;
    const messenger = new Messenger({
      tor: new LoopbackTorProvider({ network }),
      vault,
      ...(queueJournal === undefined ? {} : { queueJournal }),
      downloadsDir: dir,
      backoff: { baseMs: 200, capMs: 400, minMs: 50, likelyRejectedMs: 60_000 },
    });
    return new Side(dir, key, vault, messenger, queueJournal);
  }

  /** Resolves with the index of the first event from index `from` on that matches. */
  waitFor(match: (e: CoreEvent) => boolean, from = 0, timeoutMs = 60_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.events.length; i++) {
          if (match(this.events[i] as CoreEvent)) {
            clearTimeout(timer);
            this.#waiters.delete(wake);
            resolve(i);
            return true;
          }
        }
        return false;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.#waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    await this.messenger.close();
    await this.queueJournal?.close();
    this.vault.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export const newNetwork = (): LoopbackTorNetwork => new LoopbackTorNetwork();

/** One message from `from` to `to`: dispatch → `queued` event and dispatch → `delivered`, in ms. */
export async function timedSend(
  from: Side,
  to: Side,
  text: string,
): Promise<{ queuedMs: number; ackMs: number }> {
  const mark = from.events.length;
  const t0 = performance.now();
  await from.messenger.dispatch({ type: 'send', address: to.address, text });
  const q = await from.waitFor((e) => e.type === 'queued', mark);
  const queued = from.events[q] as Extract<CoreEvent, { type: 'queued' }>;
  const d = await from.waitFor((e) => e.type === 'delivered' && e.id === queued.id, mark);
  return { queuedMs: (from.times[q] as number) - t0, ackMs: (from.times[d] as number) - t0 };
}
