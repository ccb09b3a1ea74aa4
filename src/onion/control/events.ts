// Sans-IO parsers for the async events Sotto's Tor layer needs (torspec control-spec §4.1.10
// STATUS_CLIENT incl. BOOTSTRAP, §4.1.25 HS_DESC, §4.1.27 NETWORK_LIVENESS) and for
// `GETINFO status/bootstrap-phase`. Unknown actions and extra fields are tolerated (§1.1).
import type { TorAsyncEvent } from './control-connection.js';
import { MalformedControlFieldError } from './errors.js';
import { parseKeywordLine } from './quote.js';

export type StatusSeverity = 'NOTICE' | 'WARN' | 'ERR' | (string & {});

export interface BootstrapStatus {
  readonly type: 'bootstrap';
  readonly severity: StatusSeverity;
  /** 0–100 */
  readonly progress: number;
  readonly tag: string;
  readonly summary: string;
  /** Only on WARN bootstrap problems. */
  readonly warning?: string;
  readonly reason?: string;
  /** 'ignore' or 'warn' (tolerate others). */
  readonly recommendation?: string;
  readonly count?: number;
  readonly hostAddress?: string;
}

export interface OtherClientStatus {
  readonly type: 'client-status';
  readonly severity: StatusSeverity;
  /** e.g. CIRCUIT_ESTABLISHED, CIRCUIT_NOT_ESTABLISHED, ENOUGH_DIR_INFO, NOT_ENOUGH_DIR_INFO. */
  readonly action: string;
  readonly arguments: ReadonlyMap<string, string>;
}

export type ClientStatus = BootstrapStatus | OtherClientStatus;

export interface NetworkLiveness {
  readonly type: 'network-liveness';
  readonly up: boolean;
}

export interface HsDescEvent {
  readonly type: 'hs-desc';
  /** REQUESTED, UPLOAD, RECEIVED, UPLOADED, IGNORE, FAILED, CREATED (tolerate others). */
  readonly action: string;
  /** Onion address without `.onion` (or UNKNOWN). */
  readonly address: string;
  readonly authType: string;
  readonly hsDir: string;
  readonly descriptorId?: string;
  readonly reason?: string;
  readonly arguments: ReadonlyMap<string, string>;
}

function parseProgress(value: string | undefined): number {
  if (value === undefined || !/^\d{1,3}$/.test(value) || Number(value) > 100) {
    throw new MalformedControlFieldError('BOOTSTRAP PROGRESS is not 0–100');
  }
  return Number(value);
}

/** Parses `<severity> <action> [args]` — the body of STATUS_CLIENT and of bootstrap-phase. */
export function parseClientStatus(text: string): ClientStatus {
  const { positional, keywords } = parseKeywordLine(text);
  const [severity, action] = positional;
  if (severity === undefined || action === undefined) {
    throw new MalformedControlFieldError('status line lacks severity or action');
  }
  if (action !== 'BOOTSTRAP')
    return { type: 'client-status', severity, action, arguments: keywords };
  const tag = keywords.get('TAG');
  const summary = keywords.get('SUMMARY');
  if (tag === undefined || summary === undefined) {
    throw new MalformedControlFieldError('BOOTSTRAP lacks TAG or SUMMARY');
  }
  const warning = keywords.get('WARNING');
  const reason = keywords.get('REASON');
  const recommendation = keywords.get('RECOMMENDATION');
  const count = keywords.get('COUNT');
  const hostAddress = keywords.get('HOSTADDR');
  return {
    type: 'bootstrap',
    severity,
    progress: parseProgress(keywords.get('PROGRESS')),
    tag,
    summary,
    ...(warning !== undefined ? { warning } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(recommendation !== undefined ? { recommendation } : {}),
    ...(count !== undefined && /^\d{1,9}$/.test(count) ? { count: Number(count) } : {}),
    ...(hostAddress !== undefined ? { hostAddress } : {}),
  };
}

/** Parses the value of `GETINFO status/bootstrap-phase`. */
export function parseBootstrapPhase(value: string): BootstrapStatus {
  const status = parseClientStatus(value);
  if (status.type !== 'bootstrap') {
    throw new MalformedControlFieldError('status/bootstrap-phase is not a BOOTSTRAP line');
  }
  return status;
}

/** `650 NETWORK_LIVENESS UP|DOWN` */
export function parseNetworkLiveness(line: string): NetworkLiveness {
  const state = line.split(' ', 1)[0];
  if (state !== 'UP' && state !== 'DOWN') {
    throw new MalformedControlFieldError('NETWORK_LIVENESS is neither UP nor DOWN');
  }
  return { type: 'network-liveness', up: state === 'UP' };
}

const KEYWORD_ARGUMENT = /^[A-Za-z_]+=/;

/** `650 HS_DESC Action HSAddress AuthType HsDir [DescriptorID] [REASON=…] [REPLICA=…] …` */
export function parseHsDesc(line: string): HsDescEvent {
  const words = line.split(' ');
  const [action, address, authType, hsDir] = words;
  if (
    action === undefined ||
    address === undefined ||
    authType === undefined ||
    hsDir === undefined
  ) {
    throw new MalformedControlFieldError('HS_DESC has fewer than four fields');
  }
  let rest = words.slice(4);
  let descriptorId: string | undefined;
  const fifth = rest[0];
  if (fifth !== undefined && !KEYWORD_ARGUMENT.test(fifth)) {
    descriptorId = fifth;
    rest = rest.slice(1);
  }
  const { keywords } = parseKeywordLine(rest.join(' '));
  const reason = keywords.get('REASON');
  return {
    type: 'hs-desc',
    action,
    address,
    authType,
    hsDir,
    ...(descriptorId !== undefined ? { descriptorId } : {}),
    ...(reason !== undefined ? { reason } : {}),
    arguments: keywords,
  };
}

export type ParsedTorEvent = ClientStatus | NetworkLiveness | HsDescEvent;

/** Parses the events above; returns undefined for other event keywords. */
export function parseTorEvent(event: TorAsyncEvent): ParsedTorEvent | undefined {
  switch (event.keyword) {
    case 'STATUS_CLIENT':
      return parseClientStatus(event.line);
    case 'NETWORK_LIVENESS':
      return parseNetworkLiveness(event.line);
    case 'HS_DESC':
      return parseHsDesc(event.line);
    default:
      return undefined;
  }
}
