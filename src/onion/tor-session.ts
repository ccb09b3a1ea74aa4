// A configured connection to a running tor (launched or attached): control connection, SOCKS
// endpoint and which control features the port allows (a filter like onion-grater may refuse
// commands with `510 Command filtered`, control-spec §4). Shared by launch and attach modes.
import type { TorControlConnection } from './control/control-connection.js';
import { TorControlError } from './control/errors.js';
import { parseKeywordLine } from './control/quote.js';
import type { HostPort } from './attach-config.js';
import type { TorProcess } from './tor-process.js';

export const FILTERED_STATUS = 510;

export interface TorCapabilities {
  /** STATUS_CLIENT events and GETINFO status/bootstrap-phase are available. */
  readonly bootstrapStatus: boolean;
  /** HS_DESC events are delivered (publish can be confirmed). */
  readonly hsDescEvents: boolean;
}

export interface TorSession {
  readonly control: TorControlConnection;
  readonly socks: HostPort;
  readonly capabilities: TorCapabilities;
  /** Present in launch mode only. */
  readonly process?: TorProcess;
}

export function isFiltered(error: unknown): boolean {
  return error instanceof TorControlError && error.status === FILTERED_STATUS;
}

/** Runs `GETINFO <key>` and returns the value (single-line `key=value` or a `+` data block). */
export async function getInfoValue(
  control: TorControlConnection,
  key: string,
  signal?: AbortSignal,
): Promise<string> {
  const reply = await control.send(`GETINFO ${key}`, signal !== undefined ? { signal } : {});
  for (const line of reply.lines) {
    if (line.text.startsWith(`${key}=`)) {
      return line.separator === '+' ? (line.data ?? '') : line.text.slice(key.length + 1);
    }
  }
  throw new TorControlError(reply.status, 'reply has no value for the key', 'GETINFO');
}

/** `GETINFO net/listeners/socks` → the first loopback or other TCP listener. */
export function parseSocksListeners(value: string): HostPort | undefined {
  for (const word of parseKeywordLine(value).positional) {
    const match = /^(\[[0-9a-fA-F:]+\]|[0-9.]+):(\d{1,5})$/u.exec(word);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      return { host: match[1].replace(/^\[|\]$/gu, ''), port: Number(match[2]) };
    }
  }
  return undefined;
}

export interface BootstrapPhase {
  readonly severity: string;
  readonly progress: number;
  readonly tag: string;
  readonly summary: string;
  readonly warning?: string;
  readonly reason?: string;
  readonly recommendation?: string;
}

/**
 * Parses the text after `STATUS_CLIENT ` (event) or the value of `status/bootstrap-phase`:
 * `NOTICE BOOTSTRAP PROGRESS=50 TAG=loading_descriptors SUMMARY="…"` (control-spec §5.5.4).
 */
export function parseBootstrapPhase(text: string): BootstrapPhase | undefined {
  const { positional, keywords } = parseKeywordLine(text);
  if (positional[1] !== 'BOOTSTRAP') return undefined;
  const progress = Number(keywords.get('PROGRESS'));
  if (!Number.isInteger(progress) || progress < 0 || progress > 100) return undefined;
  const warning = keywords.get('WARNING');
  const reason = keywords.get('REASON');
  const recommendation = keywords.get('RECOMMENDATION');
  return {
    severity: positional[0] ?? '',
    progress,
    tag: keywords.get('TAG') ?? '',
    summary: keywords.get('SUMMARY') ?? '',
    ...(warning !== undefined ? { warning } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(recommendation !== undefined ? { recommendation } : {}),
  };
}

export type HsDescEvent =
  | { readonly action: 'UPLOADED'; readonly serviceId: string }
  | { readonly action: 'FAILED'; readonly serviceId: string; readonly reason: string }
  | { readonly action: 'OTHER'; readonly serviceId: string };

/** Parses the text after `HS_DESC ` (control-spec §5.5.15): `Action HSAddress AuthType HsDir …`. */
export function parseHsDesc(text: string): HsDescEvent | undefined {
  const { positional, keywords } = parseKeywordLine(text);
  const [action, serviceId] = positional;
  if (action === undefined || serviceId === undefined) return undefined;
  if (action === 'UPLOADED') return { action, serviceId };
  if (action === 'FAILED')
    return { action, serviceId, reason: keywords.get('REASON') ?? 'UNKNOWN' };
  return { action: 'OTHER', serviceId };
}
