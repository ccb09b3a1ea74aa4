// `sotto headless --json` (docs/HEADLESS.md): NDJSON commands from an input stream through the
// headless codec into a MessengerCore, every CoreEvent out as one JSON line. Bad input gives an
// `error` event, never a crash; `quit` or end of input closes the core cleanly.
import type { Readable, Writable } from 'node:stream';
import type { CoreCommand, CoreEvent, MessengerCore } from './api.js';
import {
  HeadlessError,
  MAX_COMMAND_LINE,
  formatEvent,
  parseCommandLine,
} from './headless-codec.js';
import { LineSplitter } from './line-splitter.js';

export interface HeadlessIo {
  readonly input: Readable;
  readonly output: Writable;
}

/**
 * Runs until `quit` (or end of input, which is treated as `quit`). Commands are dispatched one at
 * a time, in order. Resolves after the core closed and the `quit` event was written.
 */
export function runHeadless(core: MessengerCore, io: HeadlessIo): Promise<void> {
  const { input, output } = io;
  const splitter = new LineSplitter(MAX_COMMAND_LINE);
  let chain: Promise<void> = Promise.resolve();
  let quitting = false;

  const write = (event: CoreEvent): void => {
    if (!output.writableEnded && !output.destroyed) output.write(formatEvent(event) + '\n');
  };
  let coreQuit: () => void = () => undefined;
  const unsubscribe = core.onEvent((event) => {
    write(event);
    if (event.type === 'quit') coreQuit();
  });

  return new Promise<void>((resolve) => {
    coreQuit = () => {
      // The core quit by itself (a signal, or start failed): stop reading.
      quitting = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.off('close', onEnd);
      void chain.then(() => {
        unsubscribe();
        input.pause();
        resolve();
      });
    };
    const finish = (): void => {
      if (quitting) return;
      quitting = true;
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.off('close', onEnd);
      chain = chain
        .then(() => core.dispatch({ type: 'quit' }))
        .catch(() => undefined)
        .then(() => {
          unsubscribe();
          input.pause();
          resolve();
        });
    };
    const enqueue = (command: CoreCommand): void => {
      if (command.type === 'quit') {
        finish();
        return;
      }
      chain = chain.then(() => core.dispatch(command)).catch(() => undefined);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (const item of splitter.push(bytes)) {
        if (quitting) return;
        if (item.kind === 'error') {
          write(item.error.toEvent());
          continue;
        }
        if (item.text.trim() === '') continue;
        const parsed = parseCommandLine(item.text);
        if (parsed instanceof HeadlessError) write(parsed.toEvent());
        else enqueue(parsed);
      }
    };
    const onEnd = (): void => {
      for (const item of splitter.end()) {
        if (item.kind === 'error') write(item.error.toEvent());
        else if (item.text.trim() !== '') {
          const parsed = parseCommandLine(item.text);
          if (parsed instanceof HeadlessError) write(parsed.toEvent());
          else if (parsed.type !== 'quit') enqueue(parsed);
        }
      }
      finish();
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
    input.on('close', onEnd);
  });
}
