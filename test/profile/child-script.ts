// Shared by the profile's crash tests: run an ESM script in a child node that imports the built
// dist/ (so it can be SIGKILLed mid-write like a real Sotto process), and kill it on a word.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A module of dist/src (e.g. `profile/vault.js`) as a quoted URL for a script's import(). */
export const distModule = (path: string): string =>
  JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'src', path)).href);

export interface ChildScript {
  readonly child: ChildProcess;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Runs `script` with `args` (its process.argv[1..]); `input` is written to its stdin, then closed. */
export function runScript(script: string, args: readonly string[], input: string): ChildScript {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin?.end(input);
  return { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/**
 * SIGKILLs the child the moment its stdout says `word`; resolves with its exit code once it is
 * gone (null: killed). Rejects if it ends before saying it.
 */
export async function killWhenSaid({ child, exited }: ChildScript, word: string): Promise<unknown> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(word)) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`the child ended before saying ${word}`)));
  });
  return exited;
}
