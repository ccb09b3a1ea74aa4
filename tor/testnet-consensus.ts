// Reads a node's cached consensus (dir-spec "r"/"s" lines) to tell whether it lists every router of
// the test network as Running: the readiness signal of the private network. Pure parsing + file read.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Consensus files a node may hold: authorities and caches keep both flavours. */
export const CONSENSUS_FILES = ['cached-microdesc-consensus', 'cached-consensus'] as const;

/** Nickname → flags of every router in a consensus document. */
export function routersInConsensus(text: string): Map<string, string[]> {
  const routers = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('r ')) {
      current = line.split(' ')[1];
      if (current !== undefined) routers.set(current, []);
    } else if (line.startsWith('s ') && current !== undefined) {
      routers.set(current, line.slice(2).trim().split(' '));
      current = undefined;
    }
  }
  return routers;
}

/** Nicknames from `expected` that the consensus does not list as Running. */
export function missingRunningRouters(text: string, expected: readonly string[]): string[] {
  const routers = routersInConsensus(text);
  return expected.filter((nickname) => !(routers.get(nickname) ?? []).includes('Running'));
}

/**
 * For a node's data directory: the routers still missing from its best consensus file (all of
 * `expected` when it has none yet).
 */
export async function missingFromNodeConsensus(
  dataDir: string,
  expected: readonly string[],
): Promise<string[]> {
  let best: string[] = [...expected];
  for (const file of CONSENSUS_FILES) {
    let text: string;
    try {
      text = await readFile(join(dataDir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const missing = missingRunningRouters(text, expected);
    if (missing.length < best.length) best = missing;
  }
  return best;
}
