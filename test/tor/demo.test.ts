// `sotto demo` end to end, as a newcomer runs it: the built command in a tmux terminal starts its
// own private Tor network and echo bot, the UI shows the bot's greeting, a message comes back
// echoed with the delivered mark, and quitting removes everything it created.
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxPane, privateBuild, shellQuote } from './tui-support.js';

describe('sotto demo', () => {
  let root: string;
  let sotto: string;
  const pane = new TmuxPane();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sotto-demo-test-'));
    sotto = await privateBuild(join(root, 'build'));
  });

  afterAll(async () => {
    await pane.kill(); // a hang-up: the demo still stops what it started
    if (root !== undefined) await rm(root, { recursive: true, force: true, maxRetries: 5 });
  });

  it('chats with the echo bot over its private network and cleans up on quit', async () => {
    const demoTmp = join(root, 'tmp'); // the demo's temp dirs land here, so we can see them go
    await mkdir(demoTmp, { mode: 0o700 });
    const stderr = join(root, 'demo-stderr');
    await pane.start(
      `TMPDIR=${shellQuote(demoTmp)} ${shellQuote(process.execPath)} ${shellQuote(sotto)} demo ` +
        `2>${shellQuote(stderr)}; echo "SOTTO-EXIT=$?"; sleep 600`,
    );
    await pane.waitForScreen(
      "the bot's greeting",
      (s) => s.includes('echo-bot: Hello from the echo bot'),
      240_000,
    );
    expect(await readFile(stderr, 'utf8')).toMatch(/network ready in [0-9.]+ s/);
    expect(await readdir(demoTmp)).toHaveLength(1);

    await pane.key('Tab');
    await pane.waitForScreen('the composer', (s) => s.includes('Enter send'), 10_000);
    await pane.type('ping from the demo test');
    await pane.waitForScreen('the text', (s) => s.includes('> ping from the demo test'), 10_000);
    await pane.key('Enter');
    const screen = await pane.waitForScreen(
      'the echo and the delivered mark',
      (s) =>
        s.includes('echo-bot: echo: ping from the demo test') &&
        s.includes('me: ping from the demo test [delivered]'),
      120_000,
    );
    expect(screen).toContain('UNPROTECTED');

    await pane.key('Escape');
    // Wait for the contact list: an Esc and a q read together would be Alt+q.
    await pane.waitForScreen('the contact list', (s) => s.includes('Tab to write'), 10_000);
    await pane.type('q');
    const end = await pane.waitForScreen('the exit code', (s) => s.includes('SOTTO-EXIT='), 60_000);
    expect(end).toContain('SOTTO-EXIT=0');
    expect(await readdir(demoTmp)).toEqual([]);
  }, 420_000);
});
