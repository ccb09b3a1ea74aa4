// Progress, speed and ETA for file transfers (feeds CoreEvent `file-progress`): speed over a moving
// time window of (time, bytes) samples, bounded in memory, plus a throttle so a fast transfer does
// not flood the front end with events. Pure: time is passed in.

export interface TransferProgress {
  readonly transferred: number;
  readonly size: number;
  /** 0..1 */
  readonly fraction: number;
  /** Bytes per second over the window (whole number; 0 until two samples span some time). */
  readonly bytesPerSecond: number;
  /** Seconds left at the current speed; undefined while the speed is unknown. */
  readonly etaSeconds: number | undefined;
}

export interface TransferStatsOptions {
  readonly windowMs: number;
  readonly maxSamples: number;
  /** Minimum time between two progress events (the final one is always emitted). */
  readonly minEventIntervalMs: number;
}

export const DEFAULT_TRANSFER_STATS: TransferStatsOptions = {
  windowMs: 5000,
  maxSamples: 128,
  minEventIntervalMs: 250,
};

interface Sample {
  readonly at: number;
  readonly bytes: number;
}

export class TransferStats {
  readonly options: TransferStatsOptions;
  #samples: Sample[];
  #transferred = 0;
  #lastEventAt: number | undefined;

  constructor(
    readonly size: number,
    startedAt: number,
    options: Partial<TransferStatsOptions> = {},
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a count');
    this.options = { ...DEFAULT_TRANSFER_STATS, ...options };
    if (this.options.maxSamples < 2) throw new RangeError('maxSamples must be at least 2');
    this.#samples = [{ at: startedAt, bytes: 0 }];
  }

  get transferred(): number {
    return this.#transferred;
  }

  /** Records the total bytes transferred so far (clamped to [previous, size]). */
  update(transferred: number, now: number): TransferProgress {
    const last = this.#samples[this.#samples.length - 1];
    const at = Math.max(now, last?.at ?? now); // clocks that step back do not create negative time
    const bytes = Math.min(this.size, Math.max(this.#transferred, Math.floor(transferred) || 0));
    this.#transferred = bytes;
    this.#samples.push({ at, bytes });
    // keep one sample at or before the window start as the baseline
    while (this.#samples.length > 2 && (this.#samples[1]?.at ?? at) <= at - this.options.windowMs) {
      this.#samples.shift();
    }
    if (this.#samples.length > this.options.maxSamples) {
      this.#samples.splice(0, this.#samples.length - this.options.maxSamples);
    }
    return this.progress();
  }

  progress(): TransferProgress {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    let bytesPerSecond = 0;
    if (first !== undefined && last !== undefined && last.at > first.at) {
      bytesPerSecond = Math.round(((last.bytes - first.bytes) * 1000) / (last.at - first.at));
    }
    const left = this.size - this.#transferred;
    return {
      transferred: this.#transferred,
      size: this.size,
      fraction: this.size === 0 ? 1 : this.#transferred / this.size,
      bytesPerSecond,
      etaSeconds:
        left === 0 ? 0 : bytesPerSecond > 0 ? Math.ceil(left / bytesPerSecond) : undefined,
    };
  }

  /** Whether a progress event should be emitted now (throttled; always true when complete). */
  shouldEmit(now: number): boolean {
    const complete = this.#transferred >= this.size;
    if (
      !complete &&
      this.#lastEventAt !== undefined &&
      now - this.#lastEventAt < this.options.minEventIntervalMs &&
      now >= this.#lastEventAt
    ) {
      return false;
    }
    this.#lastEventAt = now;
    return true;
  }

  get sampleCount(): number {
    return this.#samples.length;
  }
}

/** "1.5 MiB/s"-style text for front ends. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}
