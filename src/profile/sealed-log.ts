// An append-only file of individually sealed records (format: sealed-log-format.ts), the storage
// primitive under per-conversation history and the durable send-queue journal (docs/SEAMS.md §1,
// docs/PROFILE.md "Sealed logs"). An append is one positional write plus fdatasync and resolves only
// once the record is on disk (appends made while a write is under way share the next write and
// fdatasync: group commit, so a flood of appends costs one fdatasync per batch); a compaction
// writes a whole new file (temp, fsync, atomic rename, fsync of the directory). Opening reads and
// authenticates every record (optionally in slices that yield to the event loop); a torn last
// record is dropped (reported, never fatal) and cut by the next append. Files are 0600.
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { readBoundedFrom } from '../fs/read-bounded.js';
import { writeFileAtomic } from './atomic-write.js';
import { concatParts } from './bytes.js';
import { SealedLogClosedError, SealedLogCorruptedError, VaultExistsError } from './errors.js';
import {
  DEFAULT_MAX_RECORD_BYTES,
  checkLogIdentity,
  encodeLogHeader,
  newLogHeader,
  parseLog,
  parseLogInSlices,
  sealRecord,
  yieldToEventLoop,
  type LogHeader,
  type LogIdentity,
  type LogTail,
} from './sealed-log-format.js';

export { DEFAULT_MAX_RECORD_BYTES, type LogIdentity, type LogTail } from './sealed-log-format.js';

/**
 * Appends one write takes at most: a flood's batch is sealed in parts of a few milliseconds (the
 * sealing runs on the event loop), each part its own write and fdatasync.
 */
const MAX_BATCH_RECORDS = 64;
/** Work between two yields to the event loop when a whole file is sealed. */
const SLICE_MS = 4;

/** The default bound on a whole log file, checked before it is read. */
export const DEFAULT_MAX_LOG_BYTES = 256 * 1024 * 1024;

export interface SealedLogOptions extends LogIdentity {
  /** Bound on one record's sealed length (default 64 KiB); larger appends throw RangeError. */
  readonly maxRecordBytes?: number;
  /** Bound on the file (default 256 MiB); a larger file is refused before it is read. */
  readonly maxFileBytes?: number;
  /**
   * Open the records in slices of a few milliseconds, yielding to the event loop between them
   * (a large log opened while Sotto runs); the default opens them in one go.
   */
  readonly inSlices?: boolean;
}

export interface SealedLog {
  readonly path: string;
  /** Records in the file (the index the next append gets). */
  readonly count: number;
  /** Bytes of the file up to the end of its last record. */
  readonly size: number;
  /**
   * Seal `record` at the end; resolves once it is written and fdatasync'ed. Appends are serial;
   * those made while a write is under way share the next write and fdatasync (group commit).
   */
  append(record: Uint8Array): Promise<void>;
  /** Replace the whole log by `records` (a new file generation), atomically and durably. */
  compact(records: readonly Uint8Array[]): Promise<void>;
  /**
   * Closes the file descriptor but keeps the log usable: the next append or compaction reopens
   * the file (checking it is still this generation). Lets a caller keep many logs without as many
   * open descriptors.
   */
  release(): Promise<void>;
  /** Waits for pending writes, closes the file and zeroes the log's copy of the key. */
  close(): Promise<void>;
}

export interface OpenedLog {
  readonly log: SealedLog;
  /** The plaintext of every good record, oldest first. */
  readonly records: Uint8Array[];
  readonly tail: LogTail;
}

function ownIdentity(options: SealedLogOptions): LogIdentity {
  checkLogIdentity(options);
  return {
    key: Uint8Array.from(options.key),
    logId: Uint8Array.from(options.logId),
    profileId: Uint8Array.from(options.profileId),
  };
}

/**
 * The bytes of a whole log holding `records`, sealed in slices of a few milliseconds that yield to
 * the event loop (a compaction of a full conversation seals thousands of records).
 */
async function wholeFile(
  id: LogIdentity,
  header: LogHeader,
  records: readonly Uint8Array[],
  maxRecordBytes: number,
): Promise<Uint8Array> {
  const parts = [encodeLogHeader(header)];
  let i = 0;
  while (i < records.length) {
    const until = performance.now() + SLICE_MS;
    for (; i < records.length && performance.now() < until; i++) {
      parts.push(sealRecord(id, header, i, records[i] as Uint8Array, maxRecordBytes));
    }
    if (i < records.length) await yieldToEventLoop();
  }
  return concatParts(parts);
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

const openForWriting = (path: string): Promise<FileHandle> =>
  open(path, constants.O_RDWR | constants.O_NOFOLLOW);

/**
 * Create a new log at `path` holding `records` (written atomically: a crash leaves no file or the
 * whole one). Refuses to replace an existing file (VaultExistsError).
 */
export async function createSealedLog(
  path: string,
  options: SealedLogOptions,
  records: readonly Uint8Array[] = [],
): Promise<SealedLog> {
  const id = ownIdentity(options);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  try {
    if (await exists(path)) throw new VaultExistsError(path);
    const header = newLogHeader(id.logId);
    const file = await wholeFile(id, header, records, maxRecordBytes);
    await writeFileAtomic(path, file, { keepPrevious: false });
    const handle = await openForWriting(path);
    const position = { header, count: records.length, size: file.length, bytesBeyond: false };
    return makeLog(path, id, handle, position, options);
  } catch (error) {
    id.key.fill(0);
    throw error;
  }
}

/**
 * Open the log at `path` and authenticate every record. Throws SealedLogCorruptedError (damage
 * before the last record, another log's file, too large), VaultVersionError (a newer format) or
 * the file system's error (ENOENT). Opening writes nothing; a torn tail is cut by the next append.
 */
export async function openSealedLog(path: string, options: SealedLogOptions): Promise<OpenedLog> {
  const id = ownIdentity(options);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_LOG_BYTES;
  let handle: FileHandle | undefined;
  try {
    handle = await openForWriting(path);
    const info = await handle.stat();
    if (!info.isFile()) throw new SealedLogCorruptedError('bad-magic', 'not a regular file');
    if (info.size > maxFileBytes) {
      throw new SealedLogCorruptedError('too-large', `${info.size} bytes`);
    }
    const read = await readBoundedFrom(handle, maxFileBytes, { sizeHint: info.size });
    try {
      if (read.truncated) throw new SealedLogCorruptedError('too-large', 'the file grew');
      const file = new Uint8Array(read.bytes.buffer, read.bytes.byteOffset, read.bytes.length);
      const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
      const parsed =
        options.inSlices === true
          ? await parseLogInSlices(file, id, maxRecordBytes)
          : parseLog(file, id, maxRecordBytes);
      const state = {
        header: parsed.header,
        count: parsed.records.length,
        size: parsed.validEnd,
        bytesBeyond: file.length > parsed.validEnd, // a torn tail, cut by the next append
      };
      const log = makeLog(path, id, handle, state, options);
      return { log, records: parsed.records, tail: parsed.tail };
    } finally {
      read.wipe();
    }
  } catch (error) {
    id.key.fill(0);
    await handle?.close();
    throw error;
  }
}

interface PendingAppend {
  readonly record: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface LogPosition {
  header: LogHeader;
  count: number;
  size: number;
  /** Bytes may lie past `size` (a torn tail, a failed write): the next write cuts them. */
  bytesBeyond: boolean;
}

async function reopen(path: string, position: LogPosition): Promise<FileHandle> {
  const handle = await openForWriting(path);
  try {
    const expected = encodeLogHeader(position.header);
    const found = new Uint8Array(expected.length);
    const { bytesRead } = await handle.read(found, 0, found.length, 0);
    const same = bytesRead === found.length && found.every((b, i) => b === expected[i]);
    const fileSize = (await handle.stat()).size;
    if (!same || fileSize < position.size) {
      throw new SealedLogCorruptedError('wrong-log', 'the file was replaced while released');
    }
    if (fileSize > position.size) position.bytesBeyond = true;
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function makeLog(
  path: string,
  id: LogIdentity,
  firstHandle: FileHandle,
  position: LogPosition,
  options: SealedLogOptions,
): SealedLog {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let handle: FileHandle | null = firstHandle;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  const serial = (task: (h: FileHandle) => Promise<void>): Promise<void> => {
    const run = chain.then(async () => {
      if (closed) throw new SealedLogClosedError();
      handle ??= await reopen(path, position);
      return task(handle);
    });
    chain = run.catch(() => undefined);
    return run;
  };
  /** In turn with the writes, without (re)opening the file. */
  const queued = (task: () => Promise<void>): Promise<void> => {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };
  /** Appends waiting for the next write: they share one write and one fdatasync (group commit). */
  let batch: PendingAppend[] | null = null;
  const writeBatch = async (h: FileHandle, appends: readonly PendingAppend[]): Promise<void> => {
    const sealed: Uint8Array[] = [];
    const kept: PendingAppend[] = [];
    for (const p of appends) {
      try {
        sealed.push(
          sealRecord(id, position.header, position.count + kept.length, p.record, maxRecordBytes),
        );
        kept.push(p);
      } catch (error) {
        p.reject(error); // this record alone (too large): the others are written
      }
    }
    if (kept.length === 0) return;
    const bytes = sealed.length === 1 ? (sealed[0] as Uint8Array) : concatParts(sealed);
    try {
      let written = 0;
      while (written < bytes.length) {
        const at = position.size + written;
        const r = await h.write(bytes, written, bytes.length - written, at);
        written += r.bytesWritten;
      }
      // A torn tail (or a failed earlier append) may lie beyond the new end: cut it. Known from
      // open, reopen and failed writes, so an append costs no fstat.
      if (position.bytesBeyond) await h.truncate(position.size + bytes.length);
      await h.datasync();
    } catch (error) {
      position.bytesBeyond = true; // part of this write may be in the file
      throw error;
    }
    position.bytesBeyond = false;
    position.size += bytes.length;
    position.count += kept.length;
    for (const p of kept) p.resolve();
  };
  const dropHandle = async (): Promise<void> => {
    const h = handle;
    handle = null;
    await h?.close();
  };
  return {
    path,
    get count() {
      return position.count;
    },
    get size() {
      return position.size;
    },
    append: (record) =>
      new Promise<void>((resolve, reject) => {
        const waiting = { record, resolve, reject };
        if (batch !== null && batch.length < MAX_BATCH_RECORDS) {
          batch.push(waiting);
          return;
        }
        const mine: PendingAppend[] = [waiting];
        batch = mine;
        serial(async (h) => {
          batch = null; // appends from now on go to the next write
          await writeBatch(h, mine);
        }).catch((error: unknown) => {
          for (const p of mine) p.reject(error);
        });
      }),
    compact: (records) => {
      // Appends from now on go after the compaction, into the new file: one joining a batch
      // queued before it would be written to the old file and then replaced away.
      batch = null;
      return serial(async () => {
        const header = newLogHeader(id.logId);
        const file = await wholeFile(id, header, records, maxRecordBytes);
        await writeFileAtomic(path, file, { keepPrevious: false });
        await dropHandle();
        Object.assign(position, {
          header,
          count: records.length,
          size: file.length,
          bytesBeyond: false,
        });
      });
    },
    release: () => queued(dropHandle),
    close: () =>
      queued(async () => {
        closed = true;
        id.key.fill(0);
        await dropHandle();
      }),
  };
}
