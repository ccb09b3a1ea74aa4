// Minimal terminal streams for running the real `runUi` (Ink's own render) in tests: a TTY-like
// stdin we can type into and a stdout that records everything written.
import { EventEmitter } from 'node:events';

export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  columns = 80;
  rows = 24;
  readonly writes: string[] = [];
  write = (data: string): boolean => {
    this.writes.push(data);
    return true;
  };
  get all(): string {
    return this.writes.join('');
  }
}

export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private pending: string | null = null;
  write(data: string): void {
    this.pending = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = (): string | null => {
    const data = this.pending;
    this.pending = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}
