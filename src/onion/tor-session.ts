// A configured connection to a running tor (launched or attached): control connection, SOCKS
// endpoint and which control features the port allows (a filter like onion-grater may refuse
// commands with `510 Command filtered`, control-spec §4). Shared by launch and attach modes.
import type { TorControlConnection } from './control/control-connection.js';
import { TorControlError } from './control/errors.js';
import { getInfo } from './control/commands.js';
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

/** Runs `GETINFO <key>` and returns its value. */
export async function getInfoValue(
  control: TorControlConnection,
  key: string,
  signal?: AbortSignal,
): Promise<string> {
  const values = await getInfo(control, [key], signal !== undefined ? { signal } : {});
  return values.get(key) ?? '';
}

/** `GETINFO net/listeners/socks` → the first loopback or other TCP listener. */
export function parseSocksListeners(value: string): HostPort | undefined {
  for (const word of parseKeywordLine(value).positional) {
    const match = /^(\[[0-9a-fA-F:]+\]|[0-9.]+):(\d{1,5})$/u.exec(word);
    const port = Number(match?.[2]);
    if (match?.[1] !== undefined && port >= 1 && port <= 65_535) {
      return { host: match[1].replace(/^\[|\]$/gu, ''), port };
    }
  }
  return undefined;
}
