// Test support: running processes seen through Linux procfs (proc(5)), e.g. to prove a tor whose
// data directory is known has exited.
import { readdir, readFile } from 'node:fs/promises';

/** PIDs of running processes whose command line mentions `needle`. */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}
