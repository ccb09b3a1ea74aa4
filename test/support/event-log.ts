// Test support: records the CoreEvents of a Sotto core (in process, or a headless process's JSON
// lines) and waits for a matching one with a timeout — never a fixed sleep.
import type { CoreEvent, MessengerCore } from '../../src/api/core-api.js';

export class EventLog {
  readonly events: CoreEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #context: () => string;

  /** `core`: subscribe to it; otherwise feed events with `record`. `context`: added to timeouts. */
  constructor(core?: MessengerCore, context: () => string = () => '') {
    this.#context = context;
    core?.onEvent((event) => this.record(event));
  }

  record(event: CoreEvent): void {
    this.events.push(event);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Index to pass as `from` so only later events match. */
  get mark(): number {
    return this.events.length;
  }

  waitFor<T extends CoreEvent>(
    predicate: (event: CoreEvent) => event is T,
    timeoutMs?: number,
    from?: number,
  ): Promise<T>;
  waitFor(
    predicate: (event: CoreEvent) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<CoreEvent>;
  waitFor(
    predicate: (event: CoreEvent) => boolean,
    timeoutMs = 120_000,
    from = 0,
  ): Promise<CoreEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.slice(from).find(predicate);
        if (found === undefined) return false;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        const recent = this.events
          .slice(-15)
          .map((e) => JSON.stringify(e))
          .join('\n');
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for an event${this.#context()}; recent:\n${recent}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.#waiters.add(wake);
    });
  }
}
