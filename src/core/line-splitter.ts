// Sans-IO splitter for newline-delimited input (headless mode's stdin): bytes in, whole UTF-8 lines
// out. A line longer than the limit is dropped (one error, then skipped up to its newline) without
// ever buffering more than the limit; invalid UTF-8 gives an error, never a replacement character.

import { HeadlessError } from './headless-codec.js';

export type SplitItem =
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'error'; readonly error: HeadlessError };

const NEWLINE = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly #maxBytes: number;
  #parts: Uint8Array[] = [];
  #length = 0;
  #discarding = false;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError('bad maxBytes');
    this.#maxBytes = maxBytes;
  }

  /** Bytes currently held for an unfinished line (never more than maxBytes). */
  get buffered(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): SplitItem[] {
    const items: SplitItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.#discarding) {
        // allow one extra byte for a CR that belongs to a CRLF ending
        if (this.#length + (end - start) > this.#maxBytes + 1) {
          this.#discarding = true;
          this.#parts = [];
          this.#length = 0;
          items.push({ kind: 'error', error: tooLong(this.#maxBytes) });
        } else if (end > start) {
          this.#parts.push(chunk.slice(start, end));
          this.#length += end - start;
        }
      }
      if (nl === -1) break;
      if (this.#discarding) {
        this.#discarding = false;
      } else {
        const item = this.#finishLine();
        if (item !== undefined) items.push(item);
      }
      start = nl + 1;
    }
    return items;
  }

  /** End of input: an unterminated last line is still delivered. */
  end(): SplitItem[] {
    if (this.#discarding) {
      this.#discarding = false;
      return [];
    }
    const item = this.#finishLine();
    return item === undefined ? [] : [item];
  }

  #finishLine(): SplitItem | undefined {
    let bytes = concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > this.#maxBytes) return { kind: 'error', error: tooLong(this.#maxBytes) };
    if (bytes.length === 0) return undefined;
    let text: string;
    try {
      text = this.#decoder.decode(bytes);
    } catch (cause) {
      return {
        kind: 'error',
        error: new HeadlessError('invalid-utf8', 'the line is not valid UTF-8', { cause }),
      };
    }
    if (text.trim().length === 0) return undefined;
    return { kind: 'line', text };
  }
}

function tooLong(max: number): HeadlessError {
  return new HeadlessError('line-too-long', `a command line is at most ${max} bytes`);
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
