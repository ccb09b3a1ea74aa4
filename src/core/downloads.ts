// Safe destinations for incoming files (notes "File transfer": names may carry anything): a
// sanitised name, never overwriting (`name (1).ext`…), created O_EXCL with 0600 inside a 0700
// directory, written as `<name>.sotto-part`, renamed only after the caller verified the hash,
// deleted on failure. No sanitised name ends in that suffix, so crash cleanup never meets a user's file.

import { constants } from 'node:fs';
import {
  type FileHandle,
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  unlink,
} from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isNonCharacter } from '../contacts/text-rules.js';
import { stripInvisible } from '../text/invisible-chars.js';
import { CoreError } from './errors.js';

export const MAX_NAME_BYTES = 200;
const MAX_EXTENSION_CHARS = 16;
const MAX_CANDIDATES = 1000;
/** Suffix of our partial downloads; sanitizeFileName never yields a name ending in it. */
export const PART_SUFFIX = '.sotto-part';

export class DownloadError extends CoreError {
  readonly code: string = 'download-failed';
  override name = 'DownloadError';
}
export class UnsafeDownloadsDirError extends DownloadError {
  override readonly code: string = 'unsafe-downloads-dir';
  override name = 'UnsafeDownloadsDirError';
}
export class DownloadNamesExhaustedError extends DownloadError {
  override readonly code: string = 'no-free-file-name';
  override name = 'DownloadNamesExhaustedError';
}
export class DownloadStateError extends DownloadError {
  override name = 'DownloadStateError';
}

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// Cc, line/paragraph separators, unpaired surrogates; invisibles go by stripInvisible.
const INVISIBLE =
  /[\p{Cc}\p{Zl}\p{Zp}]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

/** A file name that is safe to create in the downloads directory (never empty, never a path). */
export function sanitizeFileName(offered: string): string {
  let name = typeof offered === 'string' ? offered : '';
  name = stripInvisible(name.replace(INVISIBLE, ''));
  name = name.normalize('NFC');
  name = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  name = [...name]
    .filter((ch) => !isNonCharacter(ch.codePointAt(0) ?? 0))
    .join('')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/gu, ' ')
    .replace(/^[\s.]+/u, '')
    .replace(/[\s.]+$/u, '');
  const split = splitExtension(name);
  const ext = split.ext;
  let stem = split.stem;
  if (RESERVED.test(stem.trim())) stem = `_${stem}`;
  if (stem.length === 0) stem = 'download';
  stem = truncateUtf8(stem, MAX_NAME_BYTES - utf8Length(ext)).replace(/[\s.]+$/u, '');
  return notPartial(`${stem.length === 0 ? 'download' : stem}${ext}`);
}

/** `x.sotto-part` (any case: macOS volumes fold it) becomes `x_sotto-part`: never one of ours. */
function notPartial(name: string): string {
  if (!name.toLowerCase().endsWith(PART_SUFFIX)) return name;
  const dot = name.length - PART_SUFFIX.length;
  return `${name.slice(0, dot)}_${name.slice(dot + 1)}`;
}

/** Creates (or checks) the downloads directory: a real directory, ours, mode 0700. */
export async function ensureDownloadsDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new UnsafeDownloadsDirError(`${dir} is not a directory`);
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw new UnsafeDownloadsDirError(`${dir} belongs to another user`);
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

export interface Download {
  /** Where the file will be once complete. */
  readonly finalPath: string;
  /** Where bytes are written while receiving. */
  readonly partPath: string;
  readonly handle: FileHandle;
  /** Call only after the hash was verified: syncs, closes and renames; returns finalPath. */
  complete(): Promise<string>;
  /** Failure or cancel: closes and deletes everything this download created. Idempotent. */
  abort(): Promise<void>;
}

/**
 * Reserves a fresh name for `offeredName` in `dir`: `name.ext`, `name (1).ext`, … Both the final
 * name (as an empty placeholder) and `<final>.sotto-part` are created with O_EXCL, mode 0600, so
 * nothing existing is ever overwritten and two downloads never share a name.
 */
export async function startDownload(dir: string, offeredName: string): Promise<Download> {
  await ensureDownloadsDir(dir);
  const { stem, ext } = splitExtension(sanitizeFileName(offeredName));
  for (let n = 0; n < MAX_CANDIDATES; n++) {
    const suffix = n === 0 ? '' : ` (${n})`;
    const base = truncateUtf8(stem, MAX_NAME_BYTES - utf8Length(suffix + ext)) + suffix + ext;
    const finalPath = join(dir, base);
    const partPath = finalPath + PART_SUFFIX;
    const placeholder = await createExclusive(finalPath);
    if (placeholder === undefined) continue;
    await placeholder.close();
    const handle = await createExclusive(partPath).catch(async (error: unknown) => {
      await unlink(finalPath).catch(() => undefined);
      throw error;
    });
    if (handle === undefined) {
      await unlink(finalPath);
      continue;
    }
    return makeDownload(finalPath, partPath, handle);
  }
  throw new DownloadNamesExhaustedError(`no free name for ${stem}${ext} after ${MAX_CANDIDATES}`);
}

function makeDownload(finalPath: string, partPath: string, handle: FileHandle): Download {
  let state: 'open' | 'done' | 'aborted' = 'open';
  return {
    finalPath,
    partPath,
    handle,
    async complete() {
      if (state !== 'open') throw new DownloadStateError(`download already ${state}`);
      state = 'done';
      try {
        await handle.sync();
        await handle.close();
        await rename(partPath, finalPath);
      } catch (cause) {
        state = 'open';
        throw new DownloadError('could not finish the download', { cause });
      }
      return finalPath;
    },
    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      await handle.close().catch(() => undefined); // already closed is fine
      await unlinkIfPresent(partPath);
      await unlinkIfPresent(finalPath);
    },
  };
}

/**
 * After a crash (SIGKILL, power loss) mid-download: removes each `<name>.sotto-part` we left
 * together with its empty placeholder `<name>`. Only that pair (regular files, the partial 0600
 * as we create it) is ours: a finished download never carries our suffix (sanitizeFileName), and
 * a user's `x.part` next to an empty `x` is not touched. Never throws; returns how many partial
 * downloads were removed.
 */
export async function removeStalePartials(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith(PART_SUFFIX) || name === PART_SUFFIX) continue;
    const partPath = join(dir, name);
    const finalPath = join(dir, name.slice(0, -PART_SUFFIX.length));
    try {
      const [part, placeholder] = await Promise.all([lstat(partPath), lstat(finalPath)]);
      if (!part.isFile() || !placeholder.isFile() || placeholder.size !== 0) continue;
      if ((part.mode & 0o777) !== 0o600) continue;
      await unlink(partPath);
      await unlink(finalPath);
      removed++;
    } catch {
      // not our pair, or gone meanwhile
    }
  }
  return removed;
}

async function createExclusive(file: string): Promise<FileHandle | undefined> {
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    return await open(file, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new DownloadError(`could not create ${basename(file)}`, { cause: error });
  }
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot - 1 > MAX_EXTENSION_CHARS || dot === name.length - 1) {
    return { stem: name, ext: '' };
  }
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Longest prefix of `s` (whole code points) that fits in `maxBytes` of UTF-8. */
function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8Length(s) <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = utf8Length(ch);
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}
