// Test support for running the real built `sotto` in a terminal: a private build (so a
// concurrent `npm run build` cannot swap dist/ under a running UI) and a tmux pane to drive it
// (capture-pane polled with a timeout; never fixed sleeps as assertions).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const POLL_MS = 200;

/** Builds with tsconfig.build.json into `dir` (dist/, bin/sotto.js, package.json, node_modules link); returns the bin path. */
export async function privateBuild(dir: string): Promise<string> {
  await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], {
    cwd: REPO,
  });
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(join(REPO, 'bin/sotto.js'), join(dir, 'bin/sotto.js'));
  await copyFile(join(REPO, 'package.json'), join(dir, 'package.json'));
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin/sotto.js');
}

/** Quotes one word for the POSIX shell tmux runs the command with. */
export const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** `sotto id` on a new unprotected profile: creates the profile and returns its Ricochet ID. */
export async function createUiProfile(sotto: string, profile: string): Promise<string> {
  const id = await run(process.execPath, [sotto, 'id', '--no-passphrase', '--profile', profile]);
  return id.stdout.trim();
}

/** Runs the real UI on `profile` in `pane`; when it ends the pane shows `SOTTO-EXIT=<code>`. */
export async function startUi(
  pane: TmuxPane,
  ui: { sotto: string; profile: string; torrcFile: string; stderrFile: string },
): Promise<void> {
  const command = [process.execPath, ui.sotto, '--no-passphrase', '--profile', ui.profile]
    .concat(['--torrc-extra', ui.torrcFile])
    .map(shellQuote)
    .join(' ');
  await pane.start(`${command} 2>${shellQuote(ui.stderrFile)}; echo "SOTTO-EXIT=$?"; sleep 600`);
}

/** From an open conversation: back to the contact list, `q`, and the exit code the UI ended with. */
export async function quitUi(pane: TmuxPane): Promise<string> {
  await pane.key('Escape');
  // Wait for the contact list: an Esc and a q read together would be Alt+q.
  await pane.waitForScreen('the contact list', (s) => s.includes('Tab to write'), 10_000);
  await pane.type('q');
  const end = await pane.waitForScreen('the exit code', (s) => s.includes('SOTTO-EXIT='), 60_000);
  return /SOTTO-EXIT=(\d+)/.exec(end)?.[1] ?? '';
}

export /** One tmux session running a command in a 100×30 pseudo-terminal. */
class TmuxPane {
  readonly name = `sotto-e2e-${process.pid}-${randomBytes(4).toString('hex')}`;

  async start(command: string): Promise<void> {
    await run('tmux', ['new-session', '-d', '-s', this.name, '-x', '100', '-y', '30', command]);
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-p', '-t', this.name]);
    return stdout;
  }

  /** Types `text` literally (no key names interpreted). */
  async type(text: string): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  async key(name: string): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, name]);
  }

  async waitForScreen(
    what: string,
    check: (screen: string) => boolean,
    timeoutMs = 150_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen();
      if (check(last)) return last;
      if (Date.now() > deadline) throw new Error(`screen: timed out waiting for ${what}:\n${last}`);
      await sleep(POLL_MS);
    }
  }

  async kill(): Promise<void> {
    await run('tmux', ['kill-session', '-t', this.name]).catch(() => undefined);
  }
}
