// The records of a conversation's history log (sans-IO; each record is sealed by sealed-log.ts):
// UTF-8 JSON, one change per record — `{"m":{…}}` a new message (HistoryMessageRecord, the vault's
// validation), `{"s":{"id","state","timeDelta"}}` a new delivery state of an outgoing message.
// Replaying the records in order rebuilds the conversation as the core held it (the newest
// LIMITS.historyPerContact messages). docs/PROFILE.md "History logs".
import { LIMITS } from '../schema/limits.js';
import { yieldToEventLoop } from './sealed-log-format.js';
import {
  VaultStateError,
  historyMessage,
  type HistoryDeliveryState,
  type HistoryMessageRecord,
} from './vault-state.js';

export type HistoryChange =
  | { readonly kind: 'message'; readonly message: HistoryMessageRecord }
  | {
      readonly kind: 'state';
      readonly id: number;
      readonly state: HistoryDeliveryState;
      readonly timeDelta: number;
    };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeHistoryChange(change: HistoryChange): Uint8Array {
  if (change.kind === 'message') {
    const m = change.message;
    const message = {
      id: m.id,
      direction: m.direction,
      text: m.text,
      at: m.at,
      timeDelta: m.timeDelta,
      state: m.state,
    };
    historyMessage(message, 'message'); // nothing invalid is ever written
    return encoder.encode(JSON.stringify({ m: message }));
  }
  const s = { id: change.id, state: change.state, timeDelta: change.timeDelta };
  historyMessage({ ...s, direction: 'out', text: '', at: 0 }, 'state');
  return encoder.encode(JSON.stringify({ s }));
}

function decode(record: Uint8Array): HistoryChange {
  const value: unknown = JSON.parse(decoder.decode(record));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VaultStateError('record', 'expected an object');
  }
  const keys = Object.keys(value);
  const o = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === 'm') {
    return { kind: 'message', message: historyMessage(o['m'], 'record.m') };
  }
  if (keys.length === 1 && keys[0] === 's') {
    const s = o['s'] as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null) throw new VaultStateError('record.s', 'expected');
    const checked = historyMessage(
      {
        id: s['id'],
        state: s['state'],
        timeDelta: s['timeDelta'],
        direction: 'out',
        text: '',
        at: 0,
      },
      'record.s',
    );
    return { kind: 'state', id: checked.id, state: checked.state, timeDelta: checked.timeDelta };
  }
  throw new VaultStateError('record', 'unknown record kind');
}

export interface ReplayedHistory {
  /** Oldest first, at most `max`. */
  readonly messages: HistoryMessageRecord[];
  /** Authenticated records that did not validate (written by a newer or broken release). */
  readonly skipped: number;
}

type MutableRecord = { -readonly [K in keyof HistoryMessageRecord]: HistoryMessageRecord[K] };

/** Replays records one at a time (so a caller can yield between them). */
class Replayer {
  #messages: MutableRecord[] = [];
  readonly #outgoing = new Map<number, MutableRecord>();
  #skipped = 0;

  constructor(readonly max: number) {}

  add(record: Uint8Array): void {
    let change: HistoryChange;
    try {
      change = decode(record);
    } catch {
      this.#skipped++;
      return;
    }
    if (change.kind === 'message') {
      const entry = { ...change.message };
      this.#messages.push(entry);
      if (entry.direction === 'out') this.#outgoing.set(entry.id, entry);
      // Bound memory while reading.
      if (this.#messages.length > 2 * this.max) this.#messages = this.#messages.slice(-this.max);
    } else {
      const entry = this.#outgoing.get(change.id);
      if (entry !== undefined) {
        entry.state = change.state;
        entry.timeDelta = change.timeDelta;
      }
    }
  }

  result(): ReplayedHistory {
    return { messages: this.#messages.slice(-this.max), skipped: this.#skipped };
  }
}

/** Rebuild a conversation from its log records, in order. */
export function replayHistory(
  records: readonly Uint8Array[],
  max: number = LIMITS.historyPerContact,
): ReplayedHistory {
  const replayer = new Replayer(max);
  for (const record of records) replayer.add(record);
  return replayer.result();
}

/** replayHistory in slices of about `sliceMs`, yielding to the event loop between them. */
export async function replayHistoryInSlices(
  records: readonly Uint8Array[],
  max: number = LIMITS.historyPerContact,
  sliceMs = 4,
): Promise<ReplayedHistory> {
  const replayer = new Replayer(max);
  let i = 0;
  while (i < records.length) {
    const until = performance.now() + sliceMs;
    for (; i < records.length && performance.now() < until; i++) {
      replayer.add(records[i] as Uint8Array);
    }
    if (i < records.length) await yieldToEventLoop();
  }
  return replayer.result();
}
