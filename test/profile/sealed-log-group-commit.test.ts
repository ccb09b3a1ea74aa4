// Group commit in the sealed log (src/profile/sealed-log.ts): appends made while a write is under
// way share the next write and fdatasync. Every one of them resolves only once on disk, in call
// order, and a record refused (too large) fails alone, the others of its batch are written.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSealedLog, openSealedLog } from '../../src/profile/sealed-log.js';
import { tempDir } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const identity = () => ({
  key: new Uint8Array(randomBytes(32)),
  logId: new Uint8Array(randomBytes(16)),
  profileId: text('profile'),
});

describe('sealed-log appends made at once', () => {
  it('are all on disk, in call order, once each resolves', async () => {
    const path = join(await tempDir(), 'burst.log');
    const id = identity();
    const log = await createSealedLog(path, id);
    const records = Array.from({ length: 300 }, (_, i) => text(`record ${i}`));
    await Promise.all(records.map((r) => log.append(r)));
    expect(log.count).toBe(300);
    await log.close();
    const { records: read, tail, log: again } = await openSealedLog(path, id);
    expect(tail).toEqual({ kind: 'clean' });
    expect(read).toEqual(records);
    await again.close();
  });

  it('refuse a too-large record alone; the rest of the burst is written', async () => {
    const path = join(await tempDir(), 'mixed.log');
    const id = identity();
    const log = await createSealedLog(path, { ...id, maxRecordBytes: 200 });
    await log.append(text('first')); // a write under way makes the next appends one batch
    const results = await Promise.allSettled([
      log.append(text('a')),
      log.append(new Uint8Array(500)),
      log.append(text('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    await log.close();
    const { records, log: again } = await openSealedLog(path, { ...id, maxRecordBytes: 200 });
    expect(records).toEqual([text('first'), text('a'), text('b')]);
    await again.close();
  });
});
