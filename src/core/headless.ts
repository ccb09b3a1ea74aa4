// `sotto headless --json` (docs/HEADLESS.md): NDJSON commands from an input stream through the
// headless codec into a MessengerCore, every CoreEvent out as one JSON line. Bad input gives an
// `error` event, never a crash; `quit` or end of input closes the core cleanly. Backpressure both
// ways: input pauses while the output is full or while MAX_PENDING_COMMANDS commands wait for the
// core; past a hard output cap, one `output-overflow` error and a clean close. An output the
// reader closed (EPIPE) closes the session cleanly too (saved, partial downloads removed).
import type { Readable, Writable } from 'node:stream';
import type { CoreCommand, CoreEvent, MessengerCore } from '../api/core-api.js';
import {
  HeadlessError,
  MAX_COMMAND_LINE,
  formatEvent,
  parseCommandLine,
} from './headless-codec.js';
import { LineSplitter, type SplitItem } from './line-splitter.js';

/** Output bytes a reader may leave unread before the session ends with `output-overflow`. */
export const MAX_UNREAD_OUTPUT_BYTES = 8 * 1024 * 1024;
/**
 * Commands read but not yet carried out by the core. While this many wait, no further input is
 * read; input already read (one read of the stream) waits unsplit and is split a line at a time.
 */
export const MAX_PENDING_COMMANDS = 64;

export interface HeadlessIo {
  readonly input: Readable;
  readonly output: Writable;
  /** Hard cap on output buffered for a slow reader (default MAX_UNREAD_OUTPUT_BYTES). */
  readonly maxUnreadOutputBytes?: number;
}

export const OUTPUT_OVERFLOW_CODE = 'output-overflow';

/**
 * Why a session ended: `quit` (command or end of input), `core-quit` (the core quit by itself:
 * a signal, or start failed), `output-overflow`, or `output-closed` (the reader closed our
 * output: nothing more can be told, the session was closed as on `quit`).
 */
export type HeadlessEnd = 'quit' | 'core-quit' | 'output-overflow' | 'output-closed';

/**
 * Runs until `quit` (or end of input, which is treated as `quit`). Commands are dispatched one at
 * a time, in order. Resolves after the core closed and the `quit` event was written.
 * While the output does not accept more (write() returned false), or MAX_PENDING_COMMANDS
 * commands wait for the core, no further input is read; if the unread output still grows beyond
 * `maxUnreadOutputBytes` (events the network produces), one `error {code:'output-overflow'}` is
 * written, later events except `quit` are not, and the session closes as on `quit`. An output
 * error (EPIPE: the reader went away) closes the session as on `quit`.
 */
export function runHeadless(core: MessengerCore, io: HeadlessIo): Promise<HeadlessEnd> {
  const { input, output } = io;
  const maxUnread = io.maxUnreadOutputBytes ?? MAX_UNREAD_OUTPUT_BYTES;
  const splitter = new LineSplitter(MAX_COMMAND_LINE);
  /** Input read but not yet split (from `restFrom` on): split one line at a time, on demand. */
  let rest: Buffer | undefined;
  let restFrom = 0;
  /** Split items of the current line (at most a line and an error) not yet handled. */
  let ready: SplitItem[] = [];
  let endSplit = false;
  const holding = (): boolean => ready.length > 0 || rest !== undefined;
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let inputEnded = false;
  let quitting = false;
  let ending: HeadlessEnd = 'quit';
  let overflowed = false;
  let waitingForDrain = false;
  let finish: (why: HeadlessEnd) => void = () => undefined;
  let pump: () => void = () => undefined;

  /** Reads input only while the output takes more, no line is held and the core keeps up. */
  const flow = (): void => {
    if (quitting) return;
    if (waitingForDrain || holding() || pending >= MAX_PENDING_COMMANDS) input.pause();
    else input.resume();
  };
  const onDrain = (): void => {
    waitingForDrain = false;
    pump();
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
      else finish('output-overflow');
      return;
    }
    writeLine(event);
  };
  // The reader closed our output (EPIPE) or it failed: nobody hears us any more. Close the
  // session as on `quit` (saves, removes partial downloads, stops tor). The listener stays, so a
  // write still in flight cannot raise an unhandled 'error'.
  const onOutputGone = (): void => finish('output-closed');
  output.on('error', onOutputGone);
  output.once('close', onOutputGone);

  let coreQuit: () => void = () => undefined;
  const unsubscribe = core.onEvent((event) => {
    write(event);
    if (event.type === 'quit') coreQuit();
  });

  return new Promise<HeadlessEnd>((resolve) => {
    const stopReading = (): void => {
      quitting = true;
      rest = undefined;
      ready = [];
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.off('close', onEnd);
      output.off('close', onOutputGone);
    };
    const done = (): void => {
      unsubscribe();
      output.off('drain', onDrain);
      input.pause();
      resolve(ending);
    };
    coreQuit = () => {
      // The core quit by itself (a signal, or start failed): stop reading.
      if (quitting) return;
      ending = 'core-quit';
      stopReading();
      void chain.then(done);
    };
    finish = (why: HeadlessEnd): void => {
      if (quitting) return;
      ending = why;
      stopReading();
      chain = chain
        .then(() => core.dispatch({ type: 'quit' }))
        .catch(() => undefined)
        .then(done);
    };
    const enqueue = (command: CoreCommand): void => {
      if (command.type === 'quit') {
        finish('quit');
        return;
      }
      pending++;
      chain = chain
        .then(() => core.dispatch(command))
        .catch(() => undefined)
        .then(() => {
          pending--;
          pump();
        });
    };
    const handle = (item: SplitItem): void => {
      if (item.kind === 'error') {
        write(item.error.toEvent());
        return;
      }
      if (item.text.trim() === '') return;
      const parsed = parseCommandLine(item.text);
      if (parsed instanceof HeadlessError) write(parsed.toEvent());
      else enqueue(parsed);
    };
    /** Feeds the splitter the held input up to and including its next newline. */
    const splitNextLine = (): void => {
      if (rest === undefined) return;
      const nl = rest.indexOf(0x0a, restFrom);
      const end = nl === -1 ? rest.length : nl + 1;
      ready = splitter.push(rest.subarray(restFrom, end));
      restFrom = end;
      if (restFrom >= rest.length) {
        rest = undefined;
        restFrom = 0;
      }
    };
    pump = (): void => {
      while (!quitting && !waitingForDrain && pending < MAX_PENDING_COMMANDS) {
        const item = ready.shift();
        if (item !== undefined) handle(item);
        else if (rest !== undefined) splitNextLine();
        else if (inputEnded && !endSplit) {
          endSplit = true;
          ready = splitter.end();
        } else break;
      }
      if (!quitting && endSplit && !holding()) finish('quit');
      flow();
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      rest = rest === undefined ? bytes : Buffer.concat([rest.subarray(restFrom), bytes]);
      restFrom = 0;
      pump();
    };
    const onEnd = (): void => {
      if (inputEnded) return;
      inputEnded = true;
      pump();
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
    input.on('close', onEnd);
  });
}
