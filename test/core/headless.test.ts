// The headless runner over real streams with a recording MessengerCore double: commands in order,
// bad lines answered with one error event each (never a crash), end of input and `quit` close the
// core exactly once, events written as one JSON line each.
import { PassThrough, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoreCommand, CoreEvent, MessengerCore } from '../../src/api/core-api.js';
import { runHeadless } from '../../src/core/headless.js';

class RecordingCore implements MessengerCore {
  readonly commands: CoreCommand[] = [];
  closes = 0;
  readonly #listeners = new Set<(e: CoreEvent) => void>();
  dispatch(command: CoreCommand): Promise<void> {
    this.commands.push(command);
    if (command.type === 'quit') {
      this.closes++;
      this.emit({ type: 'quit' });
    } else if (command.type === 'id') {
      this.emit({ type: 'id', address: 'ricochet:' + 'a'.repeat(56) });
    }
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
    this.closes++;
    return Promise.resolve();
  }
}

function outputLines(output: PassThrough): CoreEvent[] {
  const text = (output.read() as Buffer | null)?.toString('utf8') ?? '';
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CoreEvent);
}

describe('runHeadless', () => {
  it('dispatches commands in order and ends with quit', async () => {
    const core = new RecordingCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const done = runHeadless(core, { input, output });
    input.write('{"type":"id"}\n{"type":"contacts"}\r\n\n');
    input.write('{"type":"send","address":"x","te');
    input.write('xt":"hi"}\n{"type":"quit"}\n{"type":"id"}\n');
    await done;
    expect(core.commands.map((c) => c.type)).toEqual(['id', 'contacts', 'send', 'quit']);
    const events = outputLines(output);
    expect(events[0]).toMatchObject({ type: 'id' });
    expect(events.at(-1)).toEqual({ type: 'quit' });
  });

  it('answers each bad line with exactly one error event and keeps going', async () => {
    const core = new RecordingCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const done = runHeadless(core, { input, output });
    input.write('nope\n[1]\n{"type":"fly"}\n{"type":"id","extra":1}\n');
    input.write(Buffer.from([0xff, 0xfe, 0x0a]));
    input.write('x'.repeat(40_000) + '\n');
    input.end('{"type":"id"}');
    await done;
    const codes = outputLines(output).flatMap((e) => (e.type === 'error' ? [e.code] : []));
    expect(codes).toEqual([
      'bad-json',
      'not-an-object',
      'unknown-command',
      'unknown-field',
      'invalid-utf8',
      'line-too-long',
    ]);
    // End of input: the unterminated last line still runs, then quit, closing once.
    expect(core.commands.map((c) => c.type)).toEqual(['id', 'quit']);
    expect(core.closes).toBe(1);
  });

  it('never throws and always quits, whatever bytes arrive', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }),
        async (chunks) => {
          const core = new RecordingCore();
          const input = new PassThrough();
          const output = new PassThrough();
          const done = runHeadless(core, { input, output });
          for (const c of chunks) input.write(c);
          input.end();
          await done;
          expect(core.commands.filter((c) => c.type === 'quit')).toHaveLength(1);
          for (const line of ((output.read() as Buffer | null)?.toString() ?? '').split('\n')) {
            if (line !== '') expect(() => JSON.parse(line) as unknown).not.toThrow();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stops reading when the core quits by itself', async () => {
    const core = new RecordingCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const done = runHeadless(core, { input, output });
    await core.dispatch({ type: 'quit' });
    await done;
    input.write('{"type":"id"}\n');
    expect(core.commands.map((c) => c.type)).toEqual(['quit']);
  });

  it('an output the reader closed (EPIPE) ends the session as quit, reported as output-closed', async () => {
    const core = new RecordingCore();
    const input = new PassThrough();
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const done = runHeadless(core, { input, output });
    input.write('{"type":"id"}\n');
    expect(await done).toBe('output-closed');
    expect(core.commands.map((c) => c.type)).toEqual(['id', 'quit']);
    expect(core.closes).toBe(1);
  });
});
