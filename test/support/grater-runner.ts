// Runs the onion-grater-like filter (grater-process.ts) in a separate Node process, as on Tails or
// a Whonix gateway where the filter is another program: bundled once with esbuild, started with a
// contrib/ profile in front of a real tor's control port, its verdicts collected for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';

export interface GraterFilter {
  readonly port: number;
  readonly pid: number;
  /** Every command line a client sent, with the filter's verdict. */
  readonly seen: { readonly line: string; readonly verdict: 'pass' | 'filtered' }[];
  /** Lines as forwarded to tor after a rewrite. */
  readonly rewritten: string[];
  stop(): Promise<void>;
}

export class GraterStartError extends Error {
  override name = 'GraterStartError';
}

export async function bundleGrater(outDir: string): Promise<string> {
  const outfile = join(outDir, 'grater.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'grater-process.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

export async function startGrater(
  bundle: string,
  profile: string,
  upstreamPort: number,
  password: string,
  timeoutMs = 20_000,
): Promise<GraterFilter> {
  const child: ChildProcess = spawn(process.execPath, [bundle, profile, String(upstreamPort)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin?.end(`${password}\n`);
  const seen: GraterFilter['seen'] = [];
  const rewritten: string[] = [];
  let resolvePort: (port: number) => void = () => undefined;
  const portKnown = new Promise<number>((resolve) => (resolvePort = resolve));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const message = JSON.parse(text) as {
      port?: number;
      seen?: string;
      verdict?: 'pass' | 'filtered';
      rewritten?: string;
    };
    if (message.port !== undefined) resolvePort(message.port);
    if (message.seen !== undefined && message.verdict !== undefined) {
      seen.push({ line: message.seen, verdict: message.verdict });
    }
    if (message.rewritten !== undefined) rewritten.push(message.rewritten);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      portKnown,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new GraterStartError('filter did not start')), timeoutMs);
        child.once('exit', () => reject(new GraterStartError('filter exited')));
      }),
    ]);
    return { port, pid: child.pid ?? -1, seen, rewritten, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
