// Explains why tor cannot bootstrap, in words a user can act on: from STATUS_CLIENT BOOTSTRAP
// warnings (control-spec §4.1.10 REASON=), from tor's log lines, and from a bootstrap that stopped
// moving ("stuck at N% for X s"; through a pluggable transport tor often reports nothing else). Sans-IO.
import type { BridgeTransport } from './bridges.js';

export type BootstrapProblemKind =
  | 'blocked'
  | 'proxy-refused'
  | 'bridge-unreachable'
  | 'bridge-identity'
  | 'transport-missing'
  | 'clock-skew'
  | 'resource-limit'
  | 'stalled';

export interface BootstrapProblem {
  readonly problem: BootstrapProblemKind;
  /** One sentence: what is wrong. */
  readonly summary: string;
  /** One sentence: what to try. */
  readonly suggestion: string;
}

/** What Sotto configured, so the same tor warning can be explained for this user's setup. */
export interface BootstrapContext {
  readonly usingBridges: boolean;
  readonly usingProxy: boolean;
  readonly transport?: BridgeTransport;
}

/** The fields of a BOOTSTRAP status that matter here (parseClientStatus output or TorEvent). */
export interface BootstrapWarning {
  readonly progress: number;
  readonly tag: string;
  readonly reason?: string;
  readonly hostAddress?: string;
}

const REASON_WORDS: Readonly<Record<string, string>> = {
  CONNECTREFUSED: 'the connection was refused',
  NOROUTE: 'there is no route to it (the network is down or blocks it)',
  TIMEOUT: 'the connection timed out',
  CONNECTRESET: 'the connection was reset',
  DONE: 'the connection was closed unexpectedly',
  IOERROR: 'the connection broke (often a reset by a firewall)',
  MISC: 'the connection failed',
  IDENTITY: 'it presented the wrong identity',
};

const TRY_BRIDGES =
  'Your network may block Tor: use bridges (the built-in obfs4 set, or snowflake or meek_lite if ' +
  'obfs4 is blocked too), or a bridge from bridges.torproject.org.';
const TRY_OTHER_BRIDGE =
  'The bridge may be down, wrong or blocked: check the bridge line, try another bridge or another ' +
  'transport (snowflake, meek_lite), or get new bridges from bridges.torproject.org.';
const CHECK_PROXY =
  'Check the proxy address, port and credentials and that the proxy is running, or remove the proxy.';

const PROXY_TAGS = new Set(['conn_proxy', 'conn_done_proxy']);
const PT_TAGS = new Set(['conn_pt', 'conn_done_pt']);

function place(hostAddress: string | undefined): string {
  return hostAddress === undefined ? '' : ` (${hostAddress})`;
}

function transportMissing(context: BootstrapContext): BootstrapProblem {
  const name = context.transport ?? 'pluggable transport';
  return {
    problem: 'transport-missing',
    summary: `Tor could not start the ${name} program that talks to the bridges.`,
    suggestion:
      name === 'snowflake'
        ? 'Install the Debian package snowflake-client, or choose obfs4 bridges.'
        : 'Install the Debian package obfs4proxy (or lyrebird), or choose another transport.',
  };
}

/** Explains one `STATUS_CLIENT WARN BOOTSTRAP … REASON=…` warning. */
export function explainBootstrapWarning(
  warning: BootstrapWarning,
  context: BootstrapContext,
): BootstrapProblem {
  const reason = (warning.reason ?? 'MISC').toUpperCase();
  const why = REASON_WORDS[reason] ?? `tor reported ${reason}`;
  if (reason === 'PT_MISSING') return transportMissing(context);
  if (reason === 'CLOCK_SKEW') {
    return {
      problem: 'clock-skew',
      summary: "Your computer's clock or time zone is wrong, so Tor rejects the network's answers.",
      suggestion: 'Set the correct date, time and time zone, then try again.',
    };
  }
  if (reason === 'RESOURCELIMIT') {
    return {
      problem: 'resource-limit',
      summary: 'Your computer ran out of connections or memory for Tor.',
      suggestion: 'Close other programs, then try again.',
    };
  }
  const proxyPhase =
    PROXY_TAGS.has(warning.tag) ||
    (context.usingProxy && warning.progress <= 4 && !PT_TAGS.has(warning.tag));
  if (context.usingProxy && proxyPhase) {
    return {
      problem: 'proxy-refused',
      summary: `Tor could not use your proxy${place(warning.hostAddress)}: ${why}.`,
      suggestion: CHECK_PROXY,
    };
  }
  if (reason === 'IDENTITY') {
    return context.usingBridges
      ? {
          problem: 'bridge-identity',
          summary: `The bridge${place(warning.hostAddress)} is not the one in your bridge line (fingerprint mismatch).`,
          suggestion: 'Copy the bridge line again exactly, or use another bridge.',
        }
      : {
          problem: 'blocked',
          summary:
            'A relay presented the wrong identity: something on your network may intercept Tor.',
          suggestion: TRY_BRIDGES,
        };
  }
  if (context.usingBridges) {
    return {
      problem: 'bridge-unreachable',
      summary: `Tor could not connect to your bridge${place(warning.hostAddress)}: ${why}.`,
      suggestion: TRY_OTHER_BRIDGE,
    };
  }
  return {
    problem: 'blocked',
    summary: `Tor cannot reach the Tor network${place(warning.hostAddress)}: ${why}.`,
    suggestion: TRY_BRIDGES,
  };
}

/** Explains a bootstrap stuck at `progress`/`tag` for `stalledForMs`. */
export function explainStall(
  stall: { readonly progress: number; readonly tag: string; readonly stalledForMs: number },
  context: BootstrapContext,
): BootstrapProblem {
  const seconds = Math.round(stall.stalledForMs / 1000);
  const stuck = `Tor has been stuck at ${stall.progress}% (${stall.tag}) for ${seconds} s`;
  if (context.usingBridges && context.transport !== undefined && stall.progress < 1) {
    return {
      ...transportMissing(context),
      summary: `${stuck}: the ${context.transport} program did not start.`,
    };
  }
  if (PROXY_TAGS.has(stall.tag) && context.usingProxy) {
    return {
      problem: 'proxy-refused',
      summary: `${stuck}: your proxy does not answer.`,
      suggestion: CHECK_PROXY,
    };
  }
  if (stall.progress < 15) {
    return context.usingBridges
      ? {
          problem: 'bridge-unreachable',
          summary: `${stuck}: no bridge completed a handshake.`,
          suggestion: TRY_OTHER_BRIDGE,
        }
      : { problem: 'blocked', summary: `${stuck}: no relay answers.`, suggestion: TRY_BRIDGES };
  }
  return {
    problem: 'stalled',
    summary: `${stuck}: it is connected but gets no usable directory information.`,
    suggestion: context.usingBridges
      ? `Check your computer's clock, then wait or try another bridge. ${TRY_OTHER_BRIDGE}`
      : "Check your computer's clock, then wait; if it stays stuck, try bridges.",
  };
}

/** Explains one tor log line that reveals a bootstrap problem, or undefined for other lines. */
export function explainTorLogLine(
  line: string,
  context: BootstrapContext,
): BootstrapProblem | undefined {
  if (
    /Can't use bridge at .*: there is no configured transport called/.test(line) ||
    /Managed proxy ".*" having PID \d+ terminated with status code/.test(line) ||
    /Could not launch managed proxy executable/.test(line) ||
    /Managed proxy at '.*' failed the configuration protocol/.test(line)
  ) {
    return transportMissing(context);
  }
  if (/Proxy Client: unable to connect OR connection \(handshaking \(proxy\)\)/.test(line)) {
    return context.usingBridges && !context.usingProxy
      ? {
          problem: 'bridge-unreachable',
          summary: 'The transport could not reach or handshake with your bridge.',
          suggestion: TRY_OTHER_BRIDGE,
        }
      : {
          problem: 'proxy-refused',
          summary: 'Your proxy refused to connect Tor onwards.',
          suggestion: CHECK_PROXY,
        };
  }
  if (/Our clock is .* (behind|ahead)|clock skew|skewed time/i.test(line)) {
    return {
      problem: 'clock-skew',
      summary: "Your computer's clock is wrong, so Tor rejects the network's answers.",
      suggestion: 'Set the correct date, time and time zone, then try again.',
    };
  }
  return undefined;
}

/**
 * Watches bootstrap progress and reports one stall per phase: feed it every progress update
 * (`progress`) and call `check` from a timer; time comes from the caller.
 */
export class BootstrapStallDetector {
  #progress = -1;
  #tag = 'starting';
  #since: number;
  #reported = false;

  constructor(
    readonly context: BootstrapContext,
    readonly stallAfterMs: number,
    nowMs: number,
  ) {
    this.#since = nowMs;
  }

  progress(progress: number, tag: string, nowMs: number): void {
    if (progress === this.#progress) return;
    this.#progress = progress;
    this.#tag = tag;
    this.#since = nowMs;
    this.#reported = false;
  }

  /** A problem once the current phase has lasted `stallAfterMs` (once per phase), else undefined. */
  check(nowMs: number): BootstrapProblem | undefined {
    if (this.#reported || this.#progress >= 100) return undefined;
    const stalledForMs = nowMs - this.#since;
    if (stalledForMs < this.stallAfterMs) return undefined;
    this.#reported = true;
    return explainStall(
      { progress: Math.max(0, this.#progress), tag: this.#tag, stalledForMs },
      this.context,
    );
  }
}
