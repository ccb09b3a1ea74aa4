// `sotto headless --json` (docs/HEADLESS.md): NDJSON commands from an input stream through the
// headless codec into a MessengerCore, every CoreEvent out as one JSON line. Bad input gives an
// `error` event, never a crash; `quit` or end of input closes the core cleanly. Output
// backpressure: input pauses while the output is full; past a hard cap, one `output-overflow`
// error and a clean close (nothing is dropped silently, memory stays bounded).
import type { Readable, Writable } from 'node:stream';
import type { CoreCommand, CoreEvent, MessengerCore } from '../api/core-api.js';
import {
  HeadlessError,
  MAX_COMMAND_LINE,
  formatEvent,
  parseCommandLine,
} from './headless-codec.js';
import { LineSplitter } from './line-splitter.js';

/** Output bytes a reader may leave unread before the session ends with `output-overflow`. */
export const MAX_UNREAD_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface HeadlessIo {
  readonly input: Readable;
  readonly output: Writable;
  /** Hard cap on output buffered for a slow reader (default MAX_UNREAD_OUTPUT_BYTES). */
  readonly maxUnreadOutputBytes?: number;
}

export const OUTPUT_OVERFLOW_CODE = 'output-overflow';

/**
 * Runs until `quit` (or end of input, which is treated as `quit`). Commands are dispatched one at
 * a time, in order. Resolves after the core closed and the `quit` event was written.
 * While the output does not accept more (write() returned false) no further input is read; if
 * the unread output still grows beyond `maxUnreadOutputBytes` (events the network produces), one
 * `error {code:'output-overflow'}` is written, later events except `quit` are not, and the
 * session closes as on `quit`.
 */
export function runHeadless(core: MessengerCore, io: HeadlessIo): Promise<void> {
  const { input, output } = io;
  const maxUnread = io.maxUnreadOutputBytes ?? MAX_UNREAD_OUTPUT_BYTES;
  const splitter = new LineSplitter(MAX_COMMAND_LINE);
  let chain: Promise<void> = Promise.resolve();
  let quitting = false;
  let overflowed = false;
  let waitingForDrain = false;
  let finish: () => void = () => undefined;

  const onDrain = (): void => {
    waitingForDrain = false;
    if (!quitting) input.resume();
  };
  const writeLine = (event: CoreEvent): void => {
    if (output.writableEnded || output.destroyed) return;
    if (output.write(formatEvent(event) + '\n') || waitingForDrain) return;
    waitingForDrain = true;
    input.pause();
    output.once('drain', onDrain);
  };
  const write = (event: CoreEvent): void => {
    if (overflowed) {
      if (event.type === 'quit') writeLine(event);
      return;
    }
    if (output.writableLength >= maxUnread) {
      overflowed = true;
      writeLine({
        type: 'error',
        code: OUTPUT_OVERFLOW_CODE,
        message: `more than ${maxUnread} bytes of output unread: closing the session`,
      });
      if (event.type === 'quit') writeLine(event);
      else finish();
      return;
    }
    writeLine(event);
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
        output.off('drain', onDrain);
        input.pause();
        resolve();
      });
    };
    finish = (): void => {
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
          output.off('drain', onDrain);
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
