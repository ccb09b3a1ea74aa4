// In-memory MessengerCore test double: records every dispatched command and lets a test emit
// CoreEvents to the UI. No protocol, no tor: the real core gets its own end-to-end tests.
import type { CoreCommand, CoreEvent, MessengerCore } from '../../../src/api/core-api.js';

export class FakeCore implements MessengerCore {
  readonly commands: CoreCommand[] = [];
  private readonly listeners = new Set<(event: CoreEvent) => void>();
  closed = false;
  /** When set, dispatch rejects with this error (to test error display). */
  failWith: Error | null = null;

  dispatch(command: CoreCommand): Promise<void> {
    this.commands.push(command);
    return this.failWith === null ? Promise.resolve() : Promise.reject(this.failWith);
  }

  onEvent(listener: (event: CoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  emit(...events: readonly CoreEvent[]): void {
    for (const event of events) for (const listener of this.listeners) listener(event);
  }
}
