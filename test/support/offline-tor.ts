// A TorProvider that is never started, for Messenger tests that only exercise state and commands
// (no connection is made; bootstrap, listen and connect reject).
import type { TorEvent, TorProvider } from '../../src/onion/tor-provider.js';

/** A Tor that is never started: these tests only exercise state, no connection is made. */
export class OfflineTor implements TorProvider {
  bootstrap(): Promise<void> {
    return Promise.reject(new Error('offline'));
  }
  listen(): Promise<never> {
    return Promise.reject(new Error('offline'));
  }
  connect(): Promise<never> {
    return Promise.reject(new Error('offline'));
  }
  readonly listeners = new Set<(event: TorEvent) => void>();
  onEvent(listener: (event: TorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: TorEvent): void {
    for (const listener of this.listeners) listener(event);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
