// The outgoing frames of a sans-IO Ricochet v3 connection (connection.ts), in two queues: chat and
// control frames go first, all of them at each take(); file chunks go one per take(), after them,
// so chat interleaves with a transfer.
export class OutputFrames {
  readonly #priority: Uint8Array[] = [];
  readonly #chunks: Uint8Array[] = [];

  /** A chat or control frame (or the introduction bytes). */
  push(frame: Uint8Array): void {
    this.#priority.push(frame);
  }

  /** A file-chunk frame. */
  pushChunk(frame: Uint8Array): void {
    this.#chunks.push(frame);
  }

  get hasPending(): boolean {
    return this.#priority.length > 0 || this.#chunks.length > 0;
  }

  /** Bytes of chat and control frames not yet taken (file chunks are not counted). */
  get priorityBytes(): number {
    let total = 0;
    for (const frame of this.#priority) total += frame.length;
    return total;
  }

  /** Every chat and control frame, then at most one file chunk. */
  take(): Uint8Array[] {
    const out = this.#priority.splice(0);
    const chunk = this.#chunks.shift();
    if (chunk) out.push(chunk);
    return out;
  }

  /** Drops the file chunks not yet taken (the connection is closing). */
  dropChunks(): void {
    this.#chunks.length = 0;
  }

  /** Drops everything (the connection is closed). */
  clear(): void {
    this.#priority.length = 0;
    this.#chunks.length = 0;
  }
}
