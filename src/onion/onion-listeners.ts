// The real TorProvider's open onion services and whether each should be in tor: `listen` hands
// them here once their local listener is open; they are published (ADD_ONION and a descriptor
// upload) or kept dark (`publish: false`), switched with `OnionListener.setPublished`, re-added
// to a restarted tor unless dark, and closed with the provider. docs/SEAMS.md §3.
import type { OnionService } from './onion-service.js';
import { TorNotRunningError } from './tor-errors.js';
import type { OnionListener, TorEvent } from './tor-provider.js';
import type { TorSession } from './tor-session.js';

export class OnionListeners {
  readonly #services = new Set<OnionService>();
  /** Services the caller keeps out of tor (`publish: false`, `setPublished(false)`). */
  readonly #dark = new Set<OnionService>();
  readonly #emit: (event: TorEvent) => void;
  readonly #session: () => TorSession;

  constructor(emit: (event: TorEvent) => void, requireSession: () => TorSession) {
    this.#emit = emit;
    this.#session = requireSession;
  }

  /** Whether one of our open services has this id (HS_DESC events for it are ours). */
  has(serviceId: string): boolean {
    return [...this.#services].some((service) => service.serviceId === serviceId);
  }

  /** Publishes `service` (unless `publish` is false) and hands out its OnionListener. */
  async add(service: OnionService, publish: boolean, signal?: AbortSignal): Promise<OnionListener> {
    if (publish) {
      try {
        await service.publish(this.#session(), signal);
      } catch (error) {
        await service.close();
        throw error;
      }
    } else {
      this.#dark.add(service);
    }
    this.#services.add(service);
    if (publish) this.#emit({ type: 'onion-published', serviceId: service.serviceId });
    return {
      serviceId: service.serviceId,
      get published() {
        return service.published;
      },
      setPublished: (published, setSignal) => this.#setPublished(service, published, setSignal),
      close: async () => {
        this.#services.delete(service);
        this.#dark.delete(service);
        await service.close();
      },
    };
  }

  async #setPublished(
    service: OnionService,
    published: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    if (!this.#services.has(service)) throw new TorNotRunningError('the onion listener is closed');
    if (!published) {
      this.#dark.add(service);
      await service.unpublish();
      return;
    }
    if (!service.published) {
      await service.publish(this.#session(), signal);
      this.#emit({ type: 'onion-published', serviceId: service.serviceId });
    }
    this.#dark.delete(service);
  }

  /** After a restart: every service that is not dark, into the new tor. */
  async republish(session: TorSession, signal?: AbortSignal): Promise<void> {
    for (const service of this.#services) {
      if (this.#dark.has(service)) continue;
      try {
        await service.publish(session, signal);
        this.#emit({ type: 'onion-published', serviceId: service.serviceId });
      } catch (error) {
        if (signal?.aborted === true) throw error;
        const reason = error instanceof Error ? error.name : 'unknown';
        this.#emit({ type: 'onion-publish-failed', serviceId: service.serviceId, reason });
      }
    }
  }

  async closeAll(): Promise<void> {
    const services = [...this.#services];
    this.#services.clear();
    this.#dark.clear();
    for (const service of services) await service.close();
  }
}
