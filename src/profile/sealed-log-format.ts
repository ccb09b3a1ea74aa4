// The bytes of a sealed log (sans-IO; the file side is sealed-log.ts): an append-only file of
// individually sealed records, XChaCha20-Poly1305 (xchacha20poly1305.ts: node:crypto under
// noble's HChaCha20, the bytes of @noble/ciphers), a random 24-byte nonce each.
//
//   header (42 bytes): "SOTTO-LOG" | version u8 (1) | log id (16) | file salt (16)
//   record:            length u32 BE | ~length u32 BE | nonce (24) | ciphertext ‖ tag (16)
//                      (length counts nonce + ciphertext + tag)
//   associated data:   "sotto-log-record-v1" | log id | file salt | index u64 BE |
//                      profile id length u8 | profile id
//
// The AD binds each record to its log (log id), to this file's generation (a fresh salt on every
// compaction, so records of an older generation cannot be mixed in), to its position (index) and
// to the profile, so a reordered, dropped, replayed or swapped record fails authentication. The
// length is stored twice (the second as its complement) so a damaged length is told apart from a
// torn write. docs/PROFILE.md describes the format and what a torn tail is.
import { randomBytes } from 'node:crypto';
import { xchachaOpen, xchachaSeal } from './xchacha20poly1305.js';
import { SealedLogCorruptedError, VaultVersionError } from './errors.js';

export const LOG_MAGIC = new TextEncoder().encode('SOTTO-LOG');
export const LOG_FORMAT_VERSION = 1;
export const LOG_ID_LENGTH = 16;
export const FILE_SALT_LENGTH = 16;
export const LOG_HEADER_LENGTH = LOG_MAGIC.length + 1 + LOG_ID_LENGTH + FILE_SALT_LENGTH;
export const RECORD_PREFIX_LENGTH = 8;
export const RECORD_NONCE_LENGTH = 24;
export const RECORD_TAG_LENGTH = 16;
export const LOG_KEY_LENGTH = 32;
/** The default bound on one record's sealed length (checked before anything is allocated). */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024;
const MIN_SEALED = RECORD_NONCE_LENGTH + RECORD_TAG_LENGTH;
const AD_LABEL = new TextEncoder().encode('sotto-log-record-v1');
const MAX_PROFILE_ID_LENGTH = 255;

export interface LogIdentity {
  /** 32-byte record key. */
  readonly key: Uint8Array;
  /** 16 random bytes naming the log (in the header and in every record's AD). */
  readonly logId: Uint8Array;
  /** Binds records to one profile (at most 255 bytes). */
  readonly profileId: Uint8Array;
}

export interface LogHeader {
  readonly logId: Uint8Array;
  readonly fileSalt: Uint8Array;
}

/** Why the readable records end where they do. */
export type LogTail =
  | { readonly kind: 'clean' }
  /** A record cut short or never completed by a crash (or a damaged last record): dropped. */
  | { readonly kind: 'torn'; readonly droppedBytes: number };

export interface ParsedLog {
  readonly header: LogHeader;
  readonly records: Uint8Array[];
  /** Byte offset where the next record goes (the end of the last good record). */
  readonly validEnd: number;
  readonly tail: LogTail;
}

export function checkLogIdentity(id: LogIdentity): void {
  if (id.key.length !== LOG_KEY_LENGTH) throw new RangeError('log key must be 32 bytes');
  if (id.logId.length !== LOG_ID_LENGTH) throw new RangeError('log id must be 16 bytes');
  if (id.profileId.length > MAX_PROFILE_ID_LENGTH) throw new RangeError('profile id too long');
}

export function newLogHeader(logId: Uint8Array): LogHeader {
  return { logId: Uint8Array.from(logId), fileSalt: new Uint8Array(randomBytes(FILE_SALT_LENGTH)) };
}

export function encodeLogHeader(header: LogHeader): Uint8Array {
  const out = new Uint8Array(LOG_HEADER_LENGTH);
  out.set(LOG_MAGIC, 0);
  out[LOG_MAGIC.length] = LOG_FORMAT_VERSION;
  out.set(header.logId, LOG_MAGIC.length + 1);
  out.set(header.fileSalt, LOG_MAGIC.length + 1 + LOG_ID_LENGTH);
  return out;
}

function associatedData(id: LogIdentity, header: LogHeader, index: number): Uint8Array {
  const ad = new Uint8Array(
    AD_LABEL.length + LOG_ID_LENGTH + FILE_SALT_LENGTH + 8 + 1 + id.profileId.length,
  );
  let o = 0;
  ad.set(AD_LABEL, o);
  o += AD_LABEL.length;
  ad.set(header.logId, o);
  o += LOG_ID_LENGTH;
  ad.set(header.fileSalt, o);
  o += FILE_SALT_LENGTH;
  new DataView(ad.buffer).setBigUint64(o, BigInt(index));
  o += 8;
  ad[o++] = id.profileId.length;
  ad.set(id.profileId, o);
  return ad;
}

/** One sealed record (prefix included), ready to be appended at position `index`. */
export function sealRecord(
  id: LogIdentity,
  header: LogHeader,
  index: number,
  plaintext: Uint8Array,
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
): Uint8Array {
  const sealedLength = MIN_SEALED + plaintext.length;
  if (sealedLength > maxRecordBytes) {
    throw new RangeError(`record of ${plaintext.length} bytes exceeds ${maxRecordBytes}`);
  }
  const nonce = new Uint8Array(randomBytes(RECORD_NONCE_LENGTH));
  const sealed = xchachaSeal(id.key, nonce, associatedData(id, header, index), plaintext);
  const out = new Uint8Array(RECORD_PREFIX_LENGTH + sealedLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, sealedLength);
  view.setUint32(4, ~sealedLength >>> 0);
  out.set(nonce, RECORD_PREFIX_LENGTH);
  out.set(sealed, RECORD_PREFIX_LENGTH + RECORD_NONCE_LENGTH);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function parseHeader(file: Uint8Array, id: LogIdentity): LogHeader {
  if (file.length < LOG_MAGIC.length || !sameBytes(file.subarray(0, 9), LOG_MAGIC)) {
    throw new SealedLogCorruptedError('bad-magic', 'not a Sotto log');
  }
  const version = file[LOG_MAGIC.length] ?? 0;
  if (file.length > LOG_MAGIC.length && version !== LOG_FORMAT_VERSION) {
    throw new VaultVersionError(version, 'log format');
  }
  if (file.length < LOG_HEADER_LENGTH) {
    throw new SealedLogCorruptedError('truncated', `header of ${file.length} bytes`);
  }
  const logId = file.slice(LOG_MAGIC.length + 1, LOG_MAGIC.length + 1 + LOG_ID_LENGTH);
  if (!sameBytes(logId, id.logId)) {
    throw new SealedLogCorruptedError('wrong-log', 'the file belongs to another log');
  }
  return { logId, fileSalt: file.slice(LOG_MAGIC.length + 1 + LOG_ID_LENGTH, LOG_HEADER_LENGTH) };
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

/** Walks a log file record by record, so a caller can stop between records (parseLogInSlices). */
class LogParser {
  readonly #file: Uint8Array;
  readonly #id: LogIdentity;
  readonly #max: number;
  readonly #view: DataView;
  readonly #header: LogHeader;
  readonly #records: Uint8Array[] = [];
  #offset = LOG_HEADER_LENGTH;
  #result: ParsedLog | undefined;

  constructor(file: Uint8Array, id: LogIdentity, maxRecordBytes: number) {
    checkLogIdentity(id);
    this.#file = file;
    this.#id = id;
    this.#max = maxRecordBytes;
    this.#header = parseHeader(file, id);
    this.#view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    if (file.length <= LOG_HEADER_LENGTH) this.#finish({ kind: 'clean' });
  }

  /** The parsed log once the last record was read. */
  get result(): ParsedLog | undefined {
    return this.#result;
  }

  #finish(tail: LogTail): void {
    const header = this.#header;
    this.#result = { header, records: this.#records, validEnd: this.#offset, tail };
  }

  /** Opens the next record (or finds the end). */
  step(): void {
    const file = this.#file;
    const offset = this.#offset;
    const records = this.#records;
    const rest = file.length - offset;
    const torn = (): void => this.#finish({ kind: 'torn', droppedBytes: rest });
    if (rest < RECORD_PREFIX_LENGTH || allZero(file.subarray(offset))) return torn();
    const length = this.#view.getUint32(offset);
    if (this.#view.getUint32(offset + 4) !== ~length >>> 0) {
      throw new SealedLogCorruptedError('bad-length', `record ${records.length}: damaged length`);
    }
    if (length < MIN_SEALED || length > this.#max) {
      throw new SealedLogCorruptedError(
        'bad-length',
        `record ${records.length}: length ${length} outside ${MIN_SEALED}..${this.#max}`,
      );
    }
    if (length > rest - RECORD_PREFIX_LENGTH) return torn();
    const start = offset + RECORD_PREFIX_LENGTH;
    const nonce = file.subarray(start, start + RECORD_NONCE_LENGTH);
    const sealed = file.subarray(start + RECORD_NONCE_LENGTH, start + length);
    let plaintext: Uint8Array;
    try {
      const ad = associatedData(this.#id, this.#header, records.length);
      plaintext = xchachaOpen(this.#id.key, nonce, ad, sealed);
    } catch (error) {
      if (start + length === file.length) return torn();
      throw new SealedLogCorruptedError(
        'tag-mismatch',
        `record ${records.length} does not authenticate (damaged, moved or from another log)`,
        { cause: error },
      );
    }
    records.push(plaintext);
    this.#offset = start + length;
    if (this.#offset === file.length) this.#finish({ kind: 'clean' });
  }
}

/**
 * Every record of a whole log file, opened and checked. A torn tail (an incomplete last record,
 * zeros a crash left at the end, or a last record that does not authenticate) is reported in
 * `tail` and not returned; damage anywhere before it throws SealedLogCorruptedError.
 */
export function parseLog(
  file: Uint8Array,
  id: LogIdentity,
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
): ParsedLog {
  const parser = new LogParser(file, id, maxRecordBytes);
  for (;;) {
    if (parser.result !== undefined) return parser.result;
    parser.step();
  }
}

/** Lets other work run (timers, I/O callbacks) before the next slice. */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

/**
 * parseLog in slices of at most about `sliceMs` of work (4 ms: with a young-generation GC pause
 * on top, a slice stays under the 20 ms stall budget), yielding to the event loop between them:
 * a large log is opened without stalling everything else (docs/PROFILE.md "Loading on first use").
 */
export async function parseLogInSlices(
  file: Uint8Array,
  id: LogIdentity,
  maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
  sliceMs = 4,
): Promise<ParsedLog> {
  const parser = new LogParser(file, id, maxRecordBytes);
  for (;;) {
    const until = performance.now() + sliceMs;
    while (parser.result === undefined && performance.now() < until) parser.step();
    if (parser.result !== undefined) return parser.result;
    await yieldToEventLoop();
  }
}
