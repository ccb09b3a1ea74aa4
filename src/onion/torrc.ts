// Pure generation of the torrc for a tor that Sotto launches (tor manual, "THE CONFIGURATION
// FILE FORMAT"): per-profile data directory, control port with cookie auth written to a file, SOCKS
// port on `auto`, owned by our process, network disabled until configured. Extra lines are validated.
import * as path from 'node:path';
import { TorrcLineError } from './tor-errors.js';

export interface TorrcOptions {
  /** Absolute path of the profile's tor data directory (created 0700 by the launcher). */
  readonly dataDir: string;
  /** PID that owns this tor: tor exits when that process is gone. */
  readonly ownerPid: number;
  /**
   * Where tor logs at notice level. Default `stdout`: the launcher keeps the last lines in memory
   * and nothing is written to disk. `file` needs a data directory path without whitespace (tor's
   * Log option cannot quote a path).
   */
  readonly log?: 'file' | 'stdout';
  /** Extra lines, e.g. bridges or a private test network's `DirAuthority` lines. */
  readonly extraLines?: readonly string[];
}

export interface TorrcFiles {
  readonly controlPortFile: string;
  readonly cookieFile: string;
  readonly logFile: string;
}

export function torrcFiles(dataDir: string): TorrcFiles {
  return {
    controlPortFile: path.join(dataDir, 'control-port'),
    cookieFile: path.join(dataDir, 'control_auth_cookie'),
    logFile: path.join(dataDir, 'tor.log'),
  };
}

// Options an extra line must not override: they carry Sotto's safety and ownership guarantees.
const RESERVED_KEYWORDS = new Set(
  [
    'DataDirectory',
    'ControlPort',
    'ControlPortWriteToFile',
    'ControlPortFileGroupReadable',
    'CookieAuthentication',
    'CookieAuthFile',
    'CookieAuthFileGroupReadable',
    'HashedControlPassword',
    '__OwningControllerProcess',
    'DisableNetwork',
    'RunAsDaemon',
    'User',
    'SocksPort',
    'HiddenServiceDir',
    'HiddenServicePort',
    'ORPort',
    'DirPort',
    'ExitRelay',
  ].map((keyword) => keyword.toLowerCase()),
);

const MAX_LINE_LENGTH = 4_096;

/** Checks one extra torrc line: printable, one line, a known-shaped keyword, not reserved. */
export function validateExtraTorrcLine(line: string): string {
  if (line.length > MAX_LINE_LENGTH) throw new TorrcLineError('torrc line is too long');
  // No control characters at all: a newline would inject a second option.
  // eslint-disable-next-line no-control-regex -- control characters are what we look for
  if (/[\u0000-\u001f\u007f]/u.test(line)) {
    throw new TorrcLineError('torrc line contains a control character (newline, NUL, …)');
  }
  const trimmed = line.trim();
  if (trimmed === '') throw new TorrcLineError('torrc line is empty');
  if (trimmed.startsWith('#')) throw new TorrcLineError('torrc line is a comment');
  if (trimmed.endsWith('\\'))
    throw new TorrcLineError('torrc line must not continue onto the next');
  const keyword = /^([+/]?[A-Za-z_][A-Za-z0-9_]*)(?:\s+\S.*)?$/u.exec(trimmed)?.[1];
  if (keyword === undefined) throw new TorrcLineError('torrc line does not start with an option');
  if (/^[+/]/u.test(keyword) || RESERVED_KEYWORDS.has(keyword.toLowerCase())) {
    throw new TorrcLineError(`torrc option ${keyword} is managed by Sotto`);
  }
  return trimmed;
}

function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what we look for
  if (/[\u0000-\u001f\u007f]/u.test(value)) {
    throw new TorrcLineError('path contains a control character');
  }
  return `"${value.replace(/\\/gu, '\\\\').replace(/"/gu, '\\"')}"`;
}

function unquotedPath(value: string): string {
  if (/\s|"/u.test(value))
    throw new TorrcLineError('the log file path must not contain whitespace');
  return quoted(value).slice(1, -1);
}

export function generateTorrc(options: TorrcOptions): string {
  if (!path.isAbsolute(options.dataDir)) throw new TorrcLineError('dataDir must be absolute');
  if (!Number.isInteger(options.ownerPid) || options.ownerPid <= 0) {
    throw new RangeError('ownerPid must be a positive integer');
  }
  const files = torrcFiles(options.dataDir);
  const lines = [
    `DataDirectory ${quoted(options.dataDir)}`,
    'ControlPort auto',
    `ControlPortWriteToFile ${quoted(files.controlPortFile)}`,
    'CookieAuthentication 1',
    `CookieAuthFile ${quoted(files.cookieFile)}`,
    // IsolateSOCKSAuth is on by default; ExtendedErrors gives us the onion reply codes 0xF0–0xF7.
    'SocksPort auto ExtendedErrors IsolateSOCKSAuth',
    `__OwningControllerProcess ${options.ownerPid}`,
    'DisableNetwork 1',
    'AvoidDiskWrites 1',
    'ClientOnly 1',
    'SafeLogging 1',
    options.log === 'file' ? `Log notice file ${unquotedPath(files.logFile)}` : 'Log notice stdout',
  ];
  for (const line of options.extraLines ?? []) lines.push(validateExtraTorrcLine(line));
  return `${lines.join('\n')}\n`;
}
