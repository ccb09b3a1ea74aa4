// Sans-IO parser for replies on the Tor control port (torspec control-spec §2.3, §2.4 CmdData,
// §4): `NNN-` mid lines, `NNN+` data lines with dot-encoded data, `NNN ` end lines, 6xx async.
// Lines end in CRLF; tor MUST NOT send bare LF (§2.1), so a bare LF is a protocol error here.
import {
  ControlLineTooLongError,
  ControlReplyTooLargeError,
  MalformedControlReplyError,
} from './errors.js';

export type ControlLineSeparator = '-' | '+' | ' ';

export interface ControlReplyLine {
  readonly status: number;
  readonly separator: ControlLineSeparator;
  readonly text: string;
  /** For `+` lines: the data block, dot-stuffing undone, lines joined by '\n' (no final '\n'). */
  readonly data?: string;
}

export interface ControlReply {
  /** Status code shared by every line (§2.3 guarantees it; we enforce it). */
  readonly status: number;
  readonly lines: readonly ControlReplyLine[];
  /** 6xx replies are asynchronous events, not answers to a command. */
  readonly isAsync: boolean;
}

export interface ControlReplyParserLimits {
  /** Longest accepted line, CRLF included. */
  readonly maxLineBytes?: number;
  /** Largest accepted reply, every byte of every line included. */
  readonly maxReplyBytes?: number;
  /** Most lines (reply lines plus data lines) in one reply. */
  readonly maxLinesPerReply?: number;
}

export const DEFAULT_CONTROL_LIMITS = {
  maxLineBytes: 64 * 1024,
  maxReplyBytes: 4 * 1024 * 1024,
  maxLinesPerReply: 100_000,
} as const;

const CR = 0x0d;
const LF = 0x0a;
const textDecoder = new TextDecoder('utf-8');

/** Push bytes as they come off the socket; get back every reply they completed. */
export class ControlReplyParser {
  readonly #maxLineBytes: number;
  readonly #maxReplyBytes: number;
  readonly #maxLinesPerReply: number;

  /** Bytes of the line being received (not yet terminated by LF). */
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  /** Lines of the reply being received. */
  #lines: ControlReplyLine[] = [];
  #replyBytes = 0;
  #replyLineCount = 0;
  /** Set while inside the data block of a `+` line. */
  #data: { head: { status: number; text: string }; lines: string[] } | undefined;
  /** Once the stream is broken nothing after it can be trusted: every later push rethrows. */
  #failure: Error | undefined;

  constructor(limits: ControlReplyParserLimits = {}) {
    this.#maxLineBytes = limits.maxLineBytes ?? DEFAULT_CONTROL_LIMITS.maxLineBytes;
    this.#maxReplyBytes = limits.maxReplyBytes ?? DEFAULT_CONTROL_LIMITS.maxReplyBytes;
    this.#maxLinesPerReply = limits.maxLinesPerReply ?? DEFAULT_CONTROL_LIMITS.maxLinesPerReply;
  }

  /** True when no partial line or reply is buffered (a clean place for the stream to end). */
  get isIdle(): boolean {
    return this.#partialLength === 0 && this.#lines.length === 0 && this.#data === undefined;
  }

  push(chunk: Uint8Array): ControlReply[] {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return this.#push(chunk);
    } catch (error) {
      this.#failure = error as Error;
      this.#partial = [];
      this.#lines = [];
      this.#data = undefined;
      throw error;
    }
  }

  #push(chunk: Uint8Array): ControlReply[] {
    const replies: ControlReply[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf + 1;
      const pieceLength = end - start;
      // Limits first, then buffer.
      // An unterminated piece still needs its LF, so reaching the cap without one is over it.
      const lineLength = this.#partialLength + pieceLength + (lf === -1 ? 1 : 0);
      if (lineLength > this.#maxLineBytes) {
        throw new ControlLineTooLongError(this.#maxLineBytes);
      }
      if (this.#replyBytes + this.#partialLength + pieceLength > this.#maxReplyBytes) {
        throw new ControlReplyTooLargeError(this.#maxReplyBytes, 'bytes');
      }
      if (lf === -1) {
        this.#partial.push(chunk.slice(start));
        this.#partialLength += pieceLength;
        break;
      }
      const line = this.#takeLine(chunk.subarray(start, end));
      start = end;
      const reply = this.#onLine(line);
      if (reply !== undefined) replies.push(reply);
    }
    return replies;
  }

  /** Joins the buffered partial line with `tail` (which ends in LF) and strips the CRLF. */
  #takeLine(tail: Uint8Array): Uint8Array {
    let whole: Uint8Array;
    if (this.#partialLength === 0) {
      whole = tail;
    } else {
      whole = new Uint8Array(this.#partialLength + tail.length);
      let offset = 0;
      for (const part of this.#partial) {
        whole.set(part, offset);
        offset += part.length;
      }
      whole.set(tail, offset);
    }
    this.#replyBytes += whole.length;
    this.#partial = [];
    this.#partialLength = 0;
    this.#replyLineCount += 1;
    if (this.#replyLineCount > this.#maxLinesPerReply) {
      throw new ControlReplyTooLargeError(this.#maxLinesPerReply, 'lines');
    }
    if (whole.length < 2 || whole[whole.length - 2] !== CR) {
      throw new MalformedControlReplyError('tor control line not terminated by CRLF');
    }
    return whole.subarray(0, whole.length - 2);
  }

  #onLine(line: Uint8Array): ControlReply | undefined {
    const data = this.#data;
    if (data !== undefined) {
      // CmdData (§2.4): "." alone ends it; a leading "." on any other line was doubled.
      if (line.length === 1 && line[0] === 0x2e) {
        this.#data = undefined;
        this.#lines.push({
          status: data.head.status,
          separator: '+',
          text: data.head.text,
          data: data.lines.join('\n'),
        });
        return undefined;
      }
      const body = line[0] === 0x2e ? line.subarray(1) : line;
      data.lines.push(textDecoder.decode(body));
      return undefined;
    }
    return this.#onReplyLine(line);
  }

  #onReplyLine(line: Uint8Array): ControlReply | undefined {
    if (line.length < 4 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2])) {
      throw new MalformedControlReplyError('tor control line does not start with a status code');
    }
    const status = (line[0]! - 0x30) * 100 + (line[1]! - 0x30) * 10 + (line[2]! - 0x30);
    const separatorByte = line[3];
    const separator: ControlLineSeparator | undefined =
      separatorByte === 0x2d
        ? '-'
        : separatorByte === 0x2b
          ? '+'
          : separatorByte === 0x20
            ? ' '
            : undefined;
    if (separator === undefined) {
      throw new MalformedControlReplyError('tor control line has no valid separator after status');
    }
    const first = this.#lines[0];
    if (first !== undefined && first.status !== status) {
      throw new MalformedControlReplyError('tor control reply mixes status codes');
    }
    const text = textDecoder.decode(line.subarray(4));
    if (separator === '+') {
      this.#data = { head: { status, text }, lines: [] };
      return undefined;
    }
    this.#lines.push({ status, separator, text });
    if (separator === '-') return undefined;
    const reply: ControlReply = {
      status,
      lines: this.#lines,
      isAsync: status >= 600 && status < 700,
    };
    this.#lines = [];
    this.#replyBytes = 0;
    this.#replyLineCount = 0;
    return reply;
  }
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** The text of a reply's lines joined by '\n' (for error messages and simple replies). */
export function replyText(reply: ControlReply): string {
  return reply.lines.map((line) => line.text).join('\n');
}

/** The final (`NNN `) line's text, e.g. "OK". */
export function finalLineText(reply: ControlReply): string {
  return reply.lines[reply.lines.length - 1]?.text ?? '';
}
