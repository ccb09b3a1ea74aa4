// Test support: the real `sotto headless --json` process (node bin/sotto.js, built into dist/)
// on the private network, driven over stdin/stdout with JSON lines.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CoreCommand, CoreEvent } from '../../src/api/core-api.js';
import { EventLog } from '../support/event-log.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Builds dist/ (tsc emits even if an unrelated file has type errors) and checks the entry. */
export async function buildDist(): Promise<void> {
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(
    () => undefined,
  );
  await access(join(ROOT, 'dist', 'src', 'cli', 'main.js'));
}

export async function writeTestnetDir(dir: string, lines: readonly string[]): Promise<void> {
  await writeFile(join(dir, 'client-torrc-extra'), lines.join('\n') + '\n', { mode: 0o600 });
}

export class HeadlessProcess {
  readonly stderr: string[] = [];
  readonly log = new EventLog(undefined, () => `; headless stderr: ${this.stderr.join('')}`);
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  /** `bin`: the `sotto.js` to run (default: this checkout's bin/, after `buildDist`). */
  constructor(
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
    bin = join(ROOT, 'bin', 'sotto.js'),
  ) {
    this.child = spawn(process.execPath, [bin, 'headless', '--json', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        this.log.record(JSON.parse(line) as CoreEvent);
      }
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get events(): readonly CoreEvent[] {
    return this.log.events;
  }

  get mark(): number {
    return this.log.mark;
  }

  send(command: CoreCommand | string): void {
    const line = typeof command === 'string' ? command : JSON.stringify(command);
    this.child.stdin?.write(line + '\n');
  }

  waitFor(predicate: (e: CoreEvent) => boolean, timeoutMs = 120_000, from = 0): Promise<CoreEvent> {
    return this.log.waitFor(predicate, timeoutMs, from);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** `quit`, then SIGKILL if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'quit' });
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
