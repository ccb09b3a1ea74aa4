// Helpers for tests that run real tor over the private test network: temporary data directories,
// a liveness check for a pid, and waiting for one event of a provider.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { TorEvent, TorProvider } from '../../src/onion/tor-provider.js';

export async function tempDir(
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `sotto-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export function nextEvent<T extends TorEvent['type']>(
  provider: TorProvider,
  type: T,
): Promise<Extract<TorEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = provider.onEvent((event) => {
      if (event.type === type) {
        off();
        resolve(event as Extract<TorEvent, { type: T }>);
      }
    });
  });
}

/** Reads from `stream` until `length` bytes arrived. */
export function readBytes(stream: Duplex, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) {
        stream.off('data', onData);
        stream.off('error', reject);
        resolve(Buffer.concat(chunks));
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/** PIDs whose command line mentions `text` (Linux /proc), e.g. a tor started on a data directory. */
export async function pidsWithArgument(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => arg.includes(text))) pids.push(Number(entry));
  }
  return pids;
}
