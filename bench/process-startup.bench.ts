// Process start → first UI frame (the Tor progress screen), on an existing unprotected profile so
// nothing is asked: the installed package vs the single-file build. Each run spawns a fresh
// `node` in a pseudo-terminal (util-linux `script`) and stops at the first frame. Prints figures,
// asserts nothing. Run after `npm run bundle` (writes release/sotto.mjs) and an install, e.g.
//   npm pack && npm install -g --prefix /tmp/sotto-prefix ./sotto-*.tgz
//   SOTTO_INSTALLED_BIN=/tmp/sotto-prefix/bin/sotto \
//     npx vitest bench --run --project unit bench/process-startup.bench.ts
// Without SOTTO_INSTALLED_BIN the checkout's bin/sotto.js (the same dist/ code) stands in for it.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-process-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const profile = join(dir, 'profile');
const installed = process.env['SOTTO_INSTALLED_BIN'] ?? join(ROOT, 'bin', 'sotto.js');
const single = join(ROOT, 'release', 'sotto.mjs');
// Creates the unprotected profile once (not measured).
spawnSync(process.execPath, [
  join(ROOT, 'bin', 'sotto.js'),
  'id',
  '--no-passphrase',
  '--profile',
  profile,
]);

/** Nothing listens on port 9: the UI's first frame comes before that attach fails. */
function toFirstFrame(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const line = `${command} --no-passphrase --profile '${profile}' --tor-control 127.0.0.1:9`;
    const child = spawn('script', ['-qfec', line, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('Connecting to Tor')) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`no first frame: ${seen.slice(0, 200)}`)));
  });
}

const node = process.execPath;
describe('process start → first UI frame', () => {
  bench(
    `installed package (${installed.endsWith('.js') ? 'node bin/sotto.js' : installed})`,
    () => toFirstFrame(installed.endsWith('.js') ? `${node} ${installed}` : installed),
    { iterations: 10, warmupIterations: 1 },
  );
  bench('single file (node release/sotto.mjs)', () => toFirstFrame(`${node} ${single}`), {
    iterations: 10,
    warmupIterations: 1,
  });
});
