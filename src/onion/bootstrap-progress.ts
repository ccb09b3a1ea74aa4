// Tracks a tor's bootstrap progress (control-spec "status/bootstrap-phase" and STATUS_CLIENT
// BOOTSTRAP events): progress only grows, each new percentage becomes a `bootstrap` TorEvent,
// warnings and stalls go to the BootstrapProblemReporter, and waiters wake on every change.
import { BootstrapProblemReporter, bootstrapContextFromTorrc } from './bootstrap-reporter.js';
import type { BootstrapStatus } from './control/events.js';
import type { TorEvent } from './tor-provider.js';

export interface BootstrapProgressOptions {
  readonly emit: (event: TorEvent) => void;
  /** The clock of the stall detector. */
  readonly now: () => number;
  /** A bootstrap stuck this long in one phase is reported as a `bootstrap-problem`. */
  readonly stallAfterMs?: number;
}

export class BootstrapProgress {
  readonly #options: BootstrapProgressOptions;
  readonly #waiters = new Set<() => void>();
  #phase: BootstrapStatus | undefined;
  #problems: BootstrapProblemReporter | undefined;

  constructor(options: BootstrapProgressOptions) {
    this.#options = options;
  }

  /** The last percentage tor reported (0 before any). */
  get progress(): number {
    return this.#phase?.progress ?? 0;
  }

  /** A new tor starts bootstrapping with these torrc lines (they tell bridges and proxies apart). */
  restart(torrcLines: readonly string[]): void {
    const { emit, now, stallAfterMs } = this.#options;
    this.#phase = undefined;
    this.#problems = new BootstrapProblemReporter(bootstrapContextFromTorrc(torrcLines), emit, {
      now,
      ...(stallAfterMs === undefined ? {} : { stallAfterMs }),
    });
  }

  onPhase(phase: BootstrapStatus): void {
    // Warnings and stalls become `bootstrap-problem` events in words (bootstrap-reporter.ts).
    if (phase.warning !== undefined || phase.severity === 'WARN') {
      this.#problems?.onPhase(phase);
      return;
    }
    const previous = this.#phase?.progress ?? -1;
    // Tor's progress only grows. A GETINFO answer can be older than an event handled while that
    // answer was in flight (both arrive in one chunk); it must not move progress backwards.
    if (phase.progress < previous) return;
    this.#phase = phase;
    this.#problems?.onPhase(phase);
    if (phase.progress !== previous) {
      this.#options.emit({
        type: 'bootstrap',
        progress: phase.progress,
        tag: phase.tag,
        summary: phase.summary,
      });
    }
    this.wakeAll();
  }

  /** Reports a stall if the current phase has lasted too long. */
  checkStall(): void {
    this.#problems?.check();
  }

  /** Wakes every `changed()` waiter (progress moved, tor went away, the provider closes). */
  wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves on the next change, after `ms`, or when `signal` aborts, whichever comes first. */
  changed(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
      this.#waiters.add(wake);
    });
  }
}
