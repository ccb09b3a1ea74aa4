// Backpressure of the headless runner (src/core/headless.ts) over real streams: input is not read
// while the output is full, a reader that never catches up gets exactly one `output-overflow`
// error and a clean close instead of unbounded memory, and a client that writes thousands of
// commands faster than the core carries them out is read only as fast as the core keeps up.
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CoreCommand, CoreEvent, MessengerCore } from '../../src/api/core-api.js';
import {
  MAX_PENDING_COMMANDS,
  OUTPUT_OVERFLOW_CODE,
  runHeadless,
} from '../../src/core/headless.js';

const ADDRESS = 'ricochet:' + 'a'.repeat(56);

class RecordingCore implements MessengerCore {
  readonly commands: CoreCommand[] = [];
  readonly #listeners = new Set<(e: CoreEvent) => void>();
  dispatch(command: CoreCommand): Promise<void> {
    this.commands.push(command);
    if (command.type === 'quit') this.emit({ type: 'quit' });
    else this.emit({ type: 'id', address: ADDRESS });
    return Promise.resolve();
  }
  onEvent(listener: (e: CoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(e: CoreEvent): void {
    for (const l of this.#listeners) l(e);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A reader that takes nothing until released; records what it took. */
class SlowReader extends Writable {
  readonly taken: string[] = [];
  #blocked = true;
  #pending: (() => void)[] = [];
  constructor() {
    super({ highWaterMark: 64 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.taken.push(chunk.toString('utf8'));
    if (this.#blocked) this.#pending.push(callback);
    else callback();
  }
  release(): void {
    this.#blocked = false;
    for (const callback of this.#pending.splice(0)) callback();
  }
  events(): CoreEvent[] {
    return this.taken
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CoreEvent);
  }
}

/** Lets pending stream callbacks and promise chains run (event-loop turns, not time). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('runHeadless output backpressure', () => {
  it('reads no further commands while the output is full, and resumes on drain', async () => {
    const core = new RecordingCore();
    const input = new PassThrough();
    const output = new SlowReader();
    const done = runHeadless(core, { input, output });
    input.write('{"type":"id"}\n');
    await settle();
    expect(core.commands.map((c) => c.type)).toEqual(['id']);
    input.write('{"type":"contacts"}\n{"type":"id"}\n');
    await settle();
    expect(core.commands.map((c) => c.type)).toEqual(['id']);
    expect(input.isPaused()).toBe(true);

    output.release();
    await settle();
    expect(core.commands.map((c) => c.type)).toEqual(['id', 'contacts', 'id']);
    input.end('{"type":"quit"}\n');
    await done;
    expect(output.events().map((e) => e.type)).toEqual(['id', 'id', 'id', 'quit']);
  });

  it('past the hard cap: one output-overflow error, later events dropped, a clean quit', async () => {
    const core = new RecordingCore();
    const input = new PassThrough();
    const output = new SlowReader();
    const done = runHeadless(core, { input, output, maxUnreadOutputBytes: 1000 });
    for (let i = 0; i < 200; i++) core.emit({ type: 'id', address: ADDRESS });
    expect(output.writableLength).toBeLessThan(1000 + 1000);
    input.write('{"type":"contacts"}\n');
    output.release();
    await settle();
    const events = output.events();
    const overflow = events.filter((e) => e.type === 'error');
    expect(overflow).toHaveLength(1);
    expect(overflow[0]).toMatchObject({ code: OUTPUT_OVERFLOW_CODE });
    expect(events.at(-1)).toEqual({ type: 'quit' });
    const ids = events.filter((e) => e.type === 'id').length;
    expect(ids).toBeGreaterThan(0);
    expect(ids).toBeLessThan(200);
    expect(events.slice(ids).map((e) => e.type)).toEqual(['error', 'quit']);
    await done;
    expect(core.commands.map((c) => c.type)).toEqual(['quit']);
  });
});

/** A core that takes an event-loop turn per command (as a disk write would) and answers each. */
class SlowCore extends RecordingCore {
  answered = 0;
  override async dispatch(command: CoreCommand): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (command.type === 'quit') this.emit({ type: 'quit' });
    else if (command.type === 'send') {
      this.answered++;
      this.emit({ type: 'queued', address: ADDRESS, id: Number(command.text), text: command.text });
    }
  }
}

describe('runHeadless input backpressure (pending commands)', () => {
  it('reads input only while fewer than MAX_PENDING_COMMANDS wait; answers all, in order', async () => {
    const total = 20_000;
    const perChunk = 100;
    const core = new SlowCore();
    let produced = 0;
    let widestGap = 0;
    const noteGap = (): void => {
      widestGap = Math.max(widestGap, produced - core.answered);
    };
    // A client writing as fast as it is read: a chunk of lines each time the runner pulls.
    const input = new Readable({
      highWaterMark: 1,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        let text = '';
        for (let i = 0; i < perChunk; i++, produced++) {
          text += JSON.stringify({ type: 'send', address: ADDRESS, text: String(produced) }) + '\n';
        }
        noteGap();
        this.push(text);
      },
    });
    const output = new PassThrough();
    const answers: number[] = [];
    let rest = '';
    output.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as CoreEvent;
        if (event.type === 'queued') answers.push(event.id);
      }
      noteGap();
    });
    const end = await runHeadless(core, { input, output });
    expect(end).toBe('quit');
    expect(answers).toEqual(Array.from({ length: total }, (_, i) => i));
    // Read ahead of the core: the pending bound, the chunk being split and one buffered chunk.
    expect(widestGap).toBeLessThanOrEqual(MAX_PENDING_COMMANDS + 2 * perChunk);
  });
});
