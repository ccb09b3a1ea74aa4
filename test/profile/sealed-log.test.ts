// The sealed log (src/profile/sealed-log.ts, format in sealed-log-format.ts): records come back in
// order; a torn tail at every cut point opens the prefix; damage, oversize lengths and garbage are
// typed errors; reordered, dropped, replayed and cross-profile records are refused; properties
// (fast-check) over round trips, single byte flips and truncations.
import { randomBytes } from 'node:crypto';
import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SealedLogClosedError,
  SealedLogCorruptedError,
  VaultVersionError,
} from '../../src/profile/errors.js';
import {
  LOG_HEADER_LENGTH,
  RECORD_PREFIX_LENGTH,
  encodeLogHeader,
  newLogHeader,
  parseLog,
  parseLogInSlices,
  sealRecord,
  type LogIdentity,
} from '../../src/profile/sealed-log-format.js';
import { createSealedLog, openSealedLog } from '../../src/profile/sealed-log.js';
import { tempDir } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

function identity(profile = 'profile-a'): LogIdentity {
  return {
    key: new Uint8Array(randomBytes(32)),
    logId: new Uint8Array(randomBytes(16)),
    profileId: text(profile),
  };
}

/** A whole log file (sans-IO) holding `records`. */
function logBytes(id: LogIdentity, records: readonly Uint8Array[]): Uint8Array {
  const header = newLogHeader(id.logId);
  const parts = [encodeLogHeader(header), ...records.map((r, i) => sealRecord(id, header, i, r))];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** Byte ranges [start, end) of each record in a file made by logBytes. */
function recordRanges(file: Uint8Array): [number, number][] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: [number, number][] = [];
  for (let o = LOG_HEADER_LENGTH; o < file.length;) {
    const end = o + RECORD_PREFIX_LENGTH + view.getUint32(o);
    out.push([o, end]);
    o = end;
  }
  return out;
}

function corruptedReason(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SealedLogCorruptedError);
    return (error as SealedLogCorruptedError).reason;
  }
  throw new Error('expected SealedLogCorruptedError');
}

const THREE = ['first', 'second', 'third'].map(text);

describe('sealed log format', () => {
  it('returns the records in order with a clean tail', () => {
    const id = identity();
    const parsed = parseLog(logBytes(id, THREE), id);
    expect(parsed.records.map(str)).toEqual(['first', 'second', 'third']);
    expect(parsed.tail).toEqual({ kind: 'clean' });
  });

  it('opens the prefix at every cut point of the last record (a torn append)', () => {
    const id = identity();
    const file = logBytes(id, THREE);
    const [, , last] = recordRanges(file);
    for (let cut = last![0] + 1; cut < file.length; cut++) {
      const parsed = parseLog(file.subarray(0, cut), id);
      expect(parsed.records.map(str)).toEqual(['first', 'second']);
      expect(parsed.tail).toEqual({ kind: 'torn', droppedBytes: cut - last![0] });
      expect(parsed.validEnd).toBe(last![0]);
    }
  });

  it('drops zeros a crash left after the last record', () => {
    const id = identity();
    const file = logBytes(id, THREE);
    const padded = new Uint8Array(file.length + 4096);
    padded.set(file);
    const parsed = parseLog(padded, id);
    expect(parsed.records).toHaveLength(3);
    expect(parsed.tail).toEqual({ kind: 'torn', droppedBytes: 4096 });
  });

  it('refuses a header cut short, bad magic and a newer format version', () => {
    const id = identity();
    const file = logBytes(id, []);
    for (let cut = 10; cut < LOG_HEADER_LENGTH; cut++) {
      expect(corruptedReason(() => parseLog(file.subarray(0, cut), id))).toBe('truncated');
    }
    for (let cut = 0; cut < 9; cut++) {
      expect(corruptedReason(() => parseLog(file.subarray(0, cut), id))).toBe('bad-magic');
    }
    const newer = file.slice();
    newer[9] = 2;
    expect(() => parseLog(newer, id)).toThrow(VaultVersionError);
  });

  it('refuses an oversize length before allocating, and a damaged length', () => {
    const id = identity();
    const file = logBytes(id, THREE);
    const view = new DataView(file.buffer);
    const huge = file.slice();
    new DataView(huge.buffer).setUint32(LOG_HEADER_LENGTH, 0xfff0_0000);
    new DataView(huge.buffer).setUint32(LOG_HEADER_LENGTH + 4, ~0xfff0_0000 >>> 0);
    expect(corruptedReason(() => parseLog(huge, id))).toBe('bad-length');
    const small = parseLog(file, id, 1024).records;
    expect(small).toHaveLength(3);
    expect(corruptedReason(() => parseLog(file, id, 20))).toBe('bad-length');
    const damaged = file.slice();
    damaged[LOG_HEADER_LENGTH + 3] = (view.getUint8(LOG_HEADER_LENGTH + 3) ^ 1) & 0xff;
    expect(corruptedReason(() => parseLog(damaged, id))).toBe('bad-length');
  });

  it('refuses garbage after the header and files that are not logs', () => {
    const id = identity();
    const header = logBytes(id, []);
    const garbage = Uint8Array.from([...header, ...randomBytes(300)]);
    expect(corruptedReason(() => parseLog(garbage, id))).toBe('bad-length');
    expect(corruptedReason(() => parseLog(new Uint8Array(randomBytes(100)), id))).toBe('bad-magic');
  });

  it('refuses a reordered record and a record dropped from the middle', () => {
    const id = identity();
    const records = ['a', 'b', 'c', 'd'].map(text);
    const file = logBytes(id, records);
    const [r0, r1, r2, r3] = recordRanges(file);
    const part = (r: [number, number]): number[] => [...file.subarray(r[0], r[1])];
    const head = [...file.subarray(0, LOG_HEADER_LENGTH)];
    const swapped = Uint8Array.from([
      ...head,
      ...part(r1!),
      ...part(r0!),
      ...part(r2!),
      ...part(r3!),
    ]);
    expect(corruptedReason(() => parseLog(swapped, id))).toBe('tag-mismatch');
    const dropped = Uint8Array.from([...head, ...part(r0!), ...part(r2!), ...part(r3!)]);
    expect(corruptedReason(() => parseLog(dropped, id))).toBe('tag-mismatch');
  });

  it('refuses a record replayed from another log or another profile, and another log file', () => {
    const id = identity();
    const file = logBytes(id, THREE);
    const [, second] = recordRanges(file);
    // Same key, another log id: the file header names another log.
    const otherLog = { ...id, logId: new Uint8Array(randomBytes(16)) };
    expect(corruptedReason(() => parseLog(file, otherLog))).toBe('wrong-log');
    // Another log's record spliced in (same key, same log id, another file generation).
    const other = logBytes(id, ['x', 'y', 'z'].map(text));
    const [, otherSecond, otherThird] = recordRanges(other);
    const spliced = Uint8Array.from([
      ...file.subarray(0, second![0]),
      ...other.subarray(otherSecond![0], otherSecond![1]),
      ...other.subarray(otherThird![0], otherThird![1]),
    ]);
    expect(corruptedReason(() => parseLog(spliced, id))).toBe('tag-mismatch');
    // The same file opened as another profile's (same key and log id).
    expect(corruptedReason(() => parseLog(file, { ...id, profileId: text('profile-b') }))).toBe(
      'tag-mismatch',
    );
  });

  it('property: any records round trip', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), (records) => {
        const id = identity();
        const parsed = parseLog(logBytes(id, records), id);
        expect(parsed.records).toEqual(records);
        expect(parsed.tail.kind).toBe('clean');
      }),
    );
  });

  it('property: any single byte flip is detected (an error, or the damaged last record dropped)', () => {
    const id = identity();
    const records = ['one', 'two', 'three', 'four'].map(text);
    const file = logBytes(id, records);
    const lastStart = recordRanges(file)[3]![0];
    fc.assert(
      fc.property(fc.nat(file.length - 1), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const flipped = file.slice();
        flipped[index] = flipped[index]! ^ mask;
        let parsed;
        try {
          parsed = parseLog(flipped, id);
        } catch (error) {
          expect(
            error instanceof SealedLogCorruptedError || error instanceof VaultVersionError,
          ).toBe(true);
          return;
        }
        // Only a flip inside the last record's body can read as a torn tail.
        expect(index).toBeGreaterThanOrEqual(lastStart + RECORD_PREFIX_LENGTH);
        expect(parsed.tail.kind).toBe('torn');
        expect(parsed.records.map(str)).toEqual(['one', 'two', 'three']);
      }),
      { numRuns: 500 },
    );
  });

  it('property: any truncation after the header opens a prefix of the records', () => {
    const id = identity();
    const records = Array.from({ length: 6 }, (_, i) => text(`message ${i}`.repeat(i + 1)));
    const file = logBytes(id, records);
    const ends = recordRanges(file).map(([, end]) => end);
    fc.assert(
      fc.property(fc.integer({ min: LOG_HEADER_LENGTH, max: file.length }), (cut) => {
        const parsed = parseLog(file.subarray(0, cut), id);
        const whole = ends.filter((end) => end <= cut).length;
        expect(parsed.records).toEqual(records.slice(0, whole));
        expect(parsed.tail.kind).toBe(
          ends.includes(cut) || cut === LOG_HEADER_LENGTH ? 'clean' : 'torn',
        );
      }),
    );
  });
});

describe('sealed log file', () => {
  it('opens a large log in slices: other work runs before it is done, the result is the same', async () => {
    const id = identity();
    const records = Array.from({ length: 3_000 }, (_, i) => text(`record ${i} `.repeat(20)));
    const file = logBytes(id, records);
    const order: string[] = [];
    // Nothing but the parse is pending (no I/O): a timer gets a turn only if the parse yields.
    const ticker = setInterval(() => order.push('tick'), 0);
    const parsed = await parseLogInSlices(file, id).finally(() => clearInterval(ticker));
    order.push('parsed');
    expect(order.indexOf('tick')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('tick')).toBeLessThan(order.indexOf('parsed'));
    expect(parsed).toEqual(parseLog(file, id));
    // The same damage is found in slices as in one go.
    const damaged = Uint8Array.from(file);
    const at = LOG_HEADER_LENGTH + RECORD_PREFIX_LENGTH + 30; // inside the first record
    damaged[at] = (damaged[at] ?? 0) ^ 1;
    expect(corruptedReason(() => parseLog(damaged, id))).toBe('tag-mismatch');
    await expect(parseLogInSlices(damaged, id)).rejects.toBeInstanceOf(SealedLogCorruptedError);
  });

  it('appends durably, reopens, and writes 0600 files', async () => {
    const path = join(await tempDir(), 'log');
    const id = identity();
    const log = await createSealedLog(path, id);
    for (const r of THREE) await log.append(r);
    expect(log.count).toBe(3);
    await log.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const opened = await openSealedLog(path, id);
    expect(opened.records.map(str)).toEqual(['first', 'second', 'third']);
    expect(opened.tail.kind).toBe('clean');
    await opened.log.close();
  });

  it('appends after a torn tail by overwriting it, and everything before it survives', async () => {
    const path = join(await tempDir(), 'log');
    const id = identity();
    const log = await createSealedLog(path, id, THREE);
    await log.close();
    const full = (await stat(path)).size;
    await truncate(path, full - 5); // the third record is torn
    const opened = await openSealedLog(path, id);
    expect(opened.records.map(str)).toEqual(['first', 'second']);
    expect(opened.tail.kind).toBe('torn');
    await opened.log.append(text('fourth'));
    await opened.log.close();
    const again = await openSealedLog(path, id);
    expect(again.records.map(str)).toEqual(['first', 'second', 'fourth']);
    expect(again.tail.kind).toBe('clean');
    await again.log.close();
  });

  it('cuts a torn tail longer than the record appended over it, also after a release', async () => {
    const path = join(await tempDir(), 'log');
    const id = identity();
    const log = await createSealedLog(path, id, [text('first'), text('x'.repeat(500))]);
    await log.close();
    await truncate(path, (await stat(path)).size - 5); // the long second record is torn
    const opened = await openSealedLog(path, id);
    expect(opened.tail.kind).toBe('torn');
    await opened.log.append(text('short'));
    await opened.log.close();
    const again = await openSealedLog(path, id);
    expect(again.records.map(str)).toEqual(['first', 'short']);
    expect(again.tail.kind).toBe('clean');
    // Bytes past the end while the descriptor is released (a crash of a released log's append).
    await again.log.release();
    await writeFile(path, Buffer.concat([await readFile(path), randomBytes(300)]));
    await again.log.append(text('third'));
    await again.log.close();
    const last = await openSealedLog(path, id);
    expect(last.records.map(str)).toEqual(['first', 'short', 'third']);
    expect(last.tail.kind).toBe('clean');
    await last.log.close();
  });

  it('compacts to a new generation: records of the old file cannot be mixed in', async () => {
    const path = join(await tempDir(), 'log');
    const id = identity();
    const log = await createSealedLog(path, id, THREE);
    const before = await readFile(path);
    await log.compact([text('kept')]);
    await log.append(text('after'));
    await log.close();
    const opened = await openSealedLog(path, id);
    expect(opened.records.map(str)).toEqual(['kept', 'after']);
    await opened.log.close();
    const after = await readFile(path);
    const oldSecond = recordRanges(before)[1]!;
    const newFirst = recordRanges(after)[0]!;
    const mixed = Buffer.concat([
      after.subarray(0, newFirst[1]),
      before.subarray(...oldSecond),
      after.subarray(newFirst[1]),
    ]);
    await writeFile(path, mixed);
    await expect(openSealedLog(path, id)).rejects.toBeInstanceOf(SealedLogCorruptedError);
  });

  it('refuses a file over the size bound before reading it, and a record over the bound', async () => {
    const path = join(await tempDir(), 'log');
    const id = identity();
    const log = await createSealedLog(path, { ...id, maxRecordBytes: 100 });
    await expect(log.append(new Uint8Array(100))).rejects.toBeInstanceOf(RangeError);
    await log.append(new Uint8Array(50));
    await log.close();
    const error = await openSealedLog(path, { ...id, maxFileBytes: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SealedLogCorruptedError);
    expect((error as SealedLogCorruptedError).reason).toBe('too-large');
  });

  it('zeroes its own copy of the key and refuses appends once closed', async () => {
    const path = join(await tempDir(), 'log');
    const id = identity();
    const log = await createSealedLog(path, id);
    await log.close();
    expect(id.key.some((b) => b !== 0)).toBe(true); // the caller's copy is the caller's
    await expect(log.append(text('late'))).rejects.toBeInstanceOf(SealedLogClosedError);
  });
});
