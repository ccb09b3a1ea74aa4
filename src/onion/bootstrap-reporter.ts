// Turns tor's bootstrap status (control-spec §4.1.10 BOOTSTRAP) into `bootstrap-problem` TorEvents
// in words a user can act on: warnings explained by bootstrap-problems.ts, and a bootstrap stuck in
// one phase (BootstrapStallDetector). Sans-IO: the provider feeds phases and calls check() on a timer.
import {
  BootstrapStallDetector,
  explainBootstrapWarning,
  type BootstrapContext,
  type BootstrapProblem,
} from './bootstrap-problems.js';
import { BRIDGE_TRANSPORTS, type BridgeTransport } from './bridges.js';
import type { BootstrapStatus } from './control/events.js';
import type { TorEvent } from './tor-provider.js';

/** A bootstrap that stays in one phase this long is reported (tor often says nothing else). */
export const DEFAULT_STALL_AFTER_MS = 30_000;

/** What the launched tor was configured with, read from its extra torrc lines. */
export function bootstrapContextFromTorrc(lines: readonly string[]): BootstrapContext {
  let usingBridges = false;
  let usingProxy = false;
  let transport: BridgeTransport | undefined;
  for (const line of lines) {
    const [keyword = '', first = ''] = line.trim().split(/\s+/u);
    const key = keyword.toLowerCase();
    if (key === 'usebridges' && first === '1') usingBridges = true;
    if (key === 'bridge') {
      usingBridges = true;
      const named = BRIDGE_TRANSPORTS.find((t) => t === first);
      if (named !== undefined) transport ??= named;
    }
    if (key === 'socks4proxy' || key === 'socks5proxy' || key === 'httpsproxy') usingProxy = true;
  }
  return { usingBridges, usingProxy, ...(transport === undefined ? {} : { transport }) };
}

export interface BootstrapReporterOptions {
  readonly stallAfterMs?: number;
  readonly now: () => number;
}

export class BootstrapProblemReporter {
  readonly #context: BootstrapContext;
  readonly #emit: (event: TorEvent) => void;
  readonly #now: () => number;
  readonly #stalls: BootstrapStallDetector;
  /** Summary last reported in the current phase: tor repeats a warning with a growing COUNT. */
  #lastSummary: string | undefined;
  #progress = -1;

  constructor(
    context: BootstrapContext,
    emit: (event: TorEvent) => void,
    options: BootstrapReporterOptions,
  ) {
    this.#context = context;
    this.#emit = emit;
    this.#now = options.now;
    this.#stalls = new BootstrapStallDetector(
      context,
      options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS,
      options.now(),
    );
  }

  /** One BOOTSTRAP status (event or GETINFO answer). */
  onPhase(phase: BootstrapStatus): void {
    if (phase.warning !== undefined || phase.severity === 'WARN') {
      const problem = explainBootstrapWarning(
        {
          progress: phase.progress,
          tag: phase.tag,
          ...(phase.reason === undefined ? {} : { reason: phase.reason }),
          ...(phase.hostAddress === undefined ? {} : { hostAddress: phase.hostAddress }),
        },
        this.#context,
      );
      this.#report((phase.reason ?? 'UNKNOWN').toUpperCase(), problem);
      return;
    }
    if (phase.progress <= this.#progress) return; // a repeat, or an older GETINFO answer
    this.#progress = phase.progress;
    this.#lastSummary = undefined;
    this.#stalls.progress(phase.progress, phase.tag, this.#now());
  }

  /** Reports a stall once per phase; call it periodically while bootstrapping. */
  check(): void {
    const problem = this.#stalls.check(this.#now());
    if (problem !== undefined) this.#report('STALLED', problem);
  }

  #report(reason: string, problem: BootstrapProblem): void {
    if (problem.summary === this.#lastSummary) return;
    this.#lastSummary = problem.summary;
    this.#emit({
      type: 'bootstrap-problem',
      reason,
      summary: problem.summary,
      recommendation: problem.suggestion,
    });
  }
}
