// Finds pluggable-transport client programs (lyrebird, obfs4proxy, snowflake-client) on PATH and in
// the usual install directories, for network-settings' `findTransportBinary` (pt-spec "managed"
// transports are started by tor itself from the path we give it).
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import * as path from 'node:path';
import { TRANSPORT_PROGRAMS, type TransportLookup } from './network-torrc.js';

const WELL_KNOWN_DIRS = ['/usr/bin', '/usr/local/bin', '/usr/sbin'];

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute paths of every known transport program that is installed, by program name. */
export async function findTransportPrograms(
  envPath = process.env['PATH'] ?? '',
): Promise<ReadonlyMap<string, string>> {
  const dirs = [
    ...envPath.split(path.delimiter).filter((dir) => path.isAbsolute(dir)),
    ...WELL_KNOWN_DIRS,
  ];
  const programs = new Set(Object.values(TRANSPORT_PROGRAMS).flatMap((entry) => entry.programs));
  const found = new Map<string, string>();
  for (const program of programs) {
    for (const dir of dirs) {
      const candidate = path.join(dir, program);
      if (await isExecutable(candidate)) {
        found.set(program, candidate);
        break;
      }
    }
  }
  return found;
}

/** A lookup over the programs found by {@link findTransportPrograms}. */
export function transportLookup(found: ReadonlyMap<string, string>): TransportLookup {
  return { findTransportBinary: (program) => found.get(program) };
}
