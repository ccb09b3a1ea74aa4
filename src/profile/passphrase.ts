// Passphrase input: from the terminal without echo (raw mode, restored on every exit path), from
// `--passphrase-file` (must be a 0600/0400 regular file we own) or `--passphrase-fd N`. Never from
// argv or the environment. JS strings cannot be wiped; buffers are. (The strength hint the UI
// shows is passphrase-strength.ts.)
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { readBoundedFrom, type BoundedRead } from '../fs/read-bounded.js';
import { shellQuote } from './errors.js';
import { ProfileError } from './errors.js';

export const MAX_PASSPHRASE_BYTES = 4096;

export class PassphraseInputError extends ProfileError {
  readonly code: string = 'passphrase-input';
  override name = 'PassphraseInputError';
}
export class PassphraseFileError extends PassphraseInputError {
  override name = 'PassphraseFileError';
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}
/** The user pressed Ctrl-C / Ctrl-D at the prompt. */
export class PassphraseAbortedError extends PassphraseInputError {
  override name = 'PassphraseAbortedError';
}

/** Decode bytes, strip exactly one trailing newline ("\n" or "\r\n"), refuse empty. */
function finishPassphrase(bytes: Buffer, where: string): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end -= 1;
  if (end > 0 && bytes[end - 1] === 0x0d && end === bytes.length - 1) end -= 1;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
  } catch (error) {
    throw new PassphraseInputError(`passphrase from ${where} is not UTF-8`, { cause: error });
  } finally {
    bytes.fill(0);
  }
  if (text.length === 0) throw new PassphraseInputError(`passphrase from ${where} is empty`);
  return text;
}

/** Refuse an oversize read (wiped), else decode it (see finishPassphrase; wiped either way). */
function finishRead(
  read: BoundedRead,
  where: string,
  tooLarge: (message: string) => PassphraseInputError,
): string {
  if (read.truncated) {
    read.wipe();
    throw tooLarge(`is larger than ${MAX_PASSPHRASE_BYTES} bytes`);
  }
  try {
    return finishPassphrase(read.bytes, where);
  } finally {
    read.wipe();
  }
}

/** Read a passphrase file: regular, owned by us, no group/other bits (0600 or 0400), ≤ 4 KiB. */
export async function readPassphraseFile(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new PassphraseFileError(
      path,
      `cannot open passphrase file ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PassphraseFileError(path, `${path} is not a regular file`);
    const uid = process.getuid?.();
    if (uid !== undefined && info.uid !== uid) {
      throw new PassphraseFileError(path, `${path} is not owned by you (uid ${info.uid})`);
    }
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
      throw new PassphraseFileError(
        path,
        `${path} is readable by others (mode ${mode}); run: chmod 600 ${shellQuote(path)}`,
      );
    }
    if (info.size > MAX_PASSPHRASE_BYTES + 2) {
      throw new PassphraseFileError(path, `${path} is larger than ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    return finishRead(await readBoundedFrom(handle, MAX_PASSPHRASE_BYTES + 2), path, (message) => {
      return new PassphraseFileError(path, `${path} ${message}`);
    });
  } finally {
    await handle.close();
  }
}

/** Read a passphrase from an inherited file descriptor until EOF (≤ 4 KiB). Does not close it. */
export async function readPassphraseFd(fd: number): Promise<string> {
  if (!Number.isSafeInteger(fd) || fd < 0) throw new PassphraseInputError(`bad descriptor ${fd}`);
  let read;
  try {
    read = await readBoundedFrom(fd, MAX_PASSPHRASE_BYTES + 2);
  } catch (error) {
    throw new PassphraseInputError(
      `cannot read passphrase from fd ${fd}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return finishRead(read, `fd ${fd}`, (message) => {
    return new PassphraseInputError(`passphrase on fd ${fd} ${message}`);
  });
}

// ---- terminal prompt -------------------------------------------------------------------------

export type LineEditResult =
  | { readonly kind: 'continue'; readonly chars: readonly string[] }
  | { readonly kind: 'done'; readonly chars: readonly string[] }
  | { readonly kind: 'abort' };

/**
 * The no-echo line editor (sans-IO): apply one chunk of raw terminal input. Enter finishes,
 * Backspace/DEL removes one character, Ctrl-U clears, Ctrl-C aborts, Ctrl-D aborts on an empty
 * line; other control bytes and escape sequences are ignored.
 */
export function applyTerminalInput(chars: readonly string[], chunk: string): LineEditResult {
  const out = [...chars];
  let escape = false;
  for (const ch of chunk) {
    const code = ch.codePointAt(0) ?? 0;
    if (escape) {
      // CSI / SS3 sequences (arrows, function keys) end with a byte in 0x40..0x7e after '[' or 'O'.
      if (code >= 0x40 && code <= 0x7e && ch !== '[' && ch !== 'O') escape = false;
      continue;
    }
    if (ch === '\r' || ch === '\n') return { kind: 'done', chars: out };
    if (code === 0x03) return { kind: 'abort' };
    if (code === 0x04) {
      if (out.length === 0) return { kind: 'abort' };
      continue;
    }
    if (code === 0x7f || code === 0x08) out.pop();
    else if (code === 0x15) out.length = 0;
    else if (code === 0x1b) escape = true;
    else if (code >= 0x20) out.push(ch);
  }
  return { kind: 'continue', chars: out };
}

export interface PromptStreams {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WritableStream;
}

/**
 * Prompt on the terminal with echo off. Raw mode is restored on Enter, abort, stream end/error,
 * process exit and SIGTERM/SIGHUP (the signal is re-raised after restoring).
 */
export function promptPassphrase(
  prompt: string,
  streams: PromptStreams = { input: process.stdin, output: process.stderr },
): Promise<string> {
  const { input, output } = streams;
  if (!input.isTTY) {
    return Promise.reject(
      new PassphraseInputError('stdin is not a terminal; use --passphrase-file or --passphrase-fd'),
    );
  }
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw;
    let chars: readonly string[] = [];
    const restore = (): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      process.removeListener('exit', restore);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGHUP', onSignal);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      restore();
      process.kill(process.pid, signal);
    };
    const onEnd = (): void => {
      restore();
      reject(new PassphraseAbortedError('input closed at the passphrase prompt'));
    };
    const onError = (error: Error): void => {
      restore();
      reject(new PassphraseInputError('terminal read failed', { cause: error }));
    };
    const onData = (data: Buffer | string): void => {
      const result = applyTerminalInput(
        chars,
        typeof data === 'string' ? data : data.toString('utf8'),
      );
      if (Buffer.isBuffer(data)) data.fill(0);
      if (result.kind === 'continue') {
        chars = result.chars;
        return;
      }
      restore();
      if (result.kind === 'abort') reject(new PassphraseAbortedError('passphrase entry cancelled'));
      else resolve(result.chars.join(''));
    };
    process.once('exit', restore);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    input.setRawMode(true);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.resume();
    output.write(prompt);
  });
}
