// Turns the TorProvider's events into the core's `tor` / `tor-problem` / `published` events and
// keeps tor alive under a running core: after `tor-exited` it restarts (launch) or re-attaches
// (attach) with growing delays, and tells the connection manager when dialling can resume.
import type { CoreEvent } from '../api/core-api.js';
import type { ConnectionManager } from './connection-manager.js';
import { toAddress } from './vault-mapping.js';
import type { TorEvent, TorProvider } from '../onion/tor-provider.js';

export interface TorSupervisorHooks {
  /** Our own onion's service id (only its `onion-published` counts). */
  readonly serviceId: string;
  readonly emit: (event: CoreEvent) => void;
  readonly manager: ConnectionManager;
  /** True once our onion listener exists (dialling waits for it). */
  readonly isPublished: () => boolean;
}

export const MAX_RESTART_DELAY_MS = 60_000;

export class TorSupervisor {
  readonly #tor: TorProvider & { restart?(signal?: AbortSignal): Promise<void> };
  readonly #hooks: TorSupervisorHooks;
  #restarting = false;
  #stopped = false;

  constructor(
    tor: TorProvider & { restart?(signal?: AbortSignal): Promise<void> },
    hooks: TorSupervisorHooks,
  ) {
    this.#tor = tor;
    this.#hooks = hooks;
  }

  stop(): void {
    this.#stopped = true;
  }

  onTorEvent(event: TorEvent): void {
    const { emit, manager } = this.#hooks;
    switch (event.type) {
      case 'bootstrap':
        return emit({ type: 'tor', progress: event.progress, summary: event.summary });
      case 'bootstrap-problem':
        return emit({
          type: 'tor-problem',
          summary: event.summary,
          recommendation: event.recommendation,
        });
      case 'onion-published':
        if (event.serviceId === this.#hooks.serviceId) {
          emit({ type: 'published', address: toAddress(event.serviceId) });
          if (this.#hooks.isPublished()) manager.setTorUp(true);
        }
        return;
      case 'onion-publish-failed':
        return emit({
          type: 'tor-problem',
          summary: 'publishing our onion failed',
          recommendation: 'Sotto keeps retrying',
        });
      case 'control-access':
        return emit({ type: 'tor-access', access: event.access });
      case 'network-liveness':
        if (event.up) manager.resetAll();
        return;
      case 'tor-restarted':
        manager.setTorUp(true);
        return manager.resetAll();
      case 'tor-exited':
        manager.setTorUp(false);
        emit({
          type: 'tor-problem',
          summary: 'tor stopped unexpectedly',
          recommendation: 'restarting tor',
        });
        void this.#restart();
        return;
      default:
        return;
    }
  }

  async #restart(): Promise<void> {
    const restart = this.#tor.restart?.bind(this.#tor);
    if (restart === undefined || this.#restarting) return;
    this.#restarting = true;
    try {
      for (let delay = 1_000; !this.#stopped; delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS)) {
        try {
          await restart();
          return;
        } catch {
          if (this.#stopped) return;
          this.#hooks.emit({
            type: 'tor-problem',
            summary: 'tor could not be restarted',
            recommendation: 'retrying',
          });
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
        }
      }
    } finally {
      this.#restarting = false;
    }
  }
}
