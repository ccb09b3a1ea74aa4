// runMessengerUi with the real Messenger, Ink and launcher, in fake terminal streams: a tor that
// cannot start shows the Tor problem screen, q quits, and the start-up error is what the command
// exits with (4 via main's table); quitting during start-up ends cleanly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SottoOptions } from '../../src/cli/args.js';
import { EXIT_TOR, exitCodeFor } from '../../src/cli/main.js';
import { openProfileSession, type ProfileSession } from '../../src/cli/session.js';
import { runMessengerUi, startFailureAdvice } from '../../src/cli/ui-runner.js';
import { TorNotFoundError } from '../../src/onion/tor-errors.js';
import { FakeStdin, FakeStdout } from '../tui/support/streams.js';
import { until } from '../tui/support/ui.js';

let dir: string | undefined;
let session: ProfileSession | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setup(torPath: string): Promise<{ options: SottoOptions; session: ProfileSession }> {
  dir = await mkdtemp(join(tmpdir(), 'sotto-ui-runner-'));
  const options: SottoOptions = {
    passphrase: { kind: 'none' },
    profileDir: join(dir, 'profile'),
    torPath,
  };
  session = await openProfileSession(options);
  return { options, session };
}

function streams(): { stdin: FakeStdin; stdout: FakeStdout } {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  stdout.columns = 100;
  stdout.rows = 30;
  return { stdin, stdout };
}

describe('runMessengerUi', () => {
  it('shows a missing tor on the problem screen and rejects with it after q', async () => {
    const { options, session: opened } = await setup('/nonexistent/sotto-test/tor');
    const { stdin, stdout } = streams();
    const run = runMessengerUi(opened, options, {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
    });
    const outcome = run.then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => expect(stdout.all).toContain('Tor is not installed'));
    // Ink wraps long lines to the 100 columns: compare without the line breaks and padding.
    const text = stdout.all.replace(/\s+/g, ' ');
    expect(text).toContain(`What to do: ${startFailureAdvice(new TorNotFoundError('x'))}`);
    expect(text).toContain('UNPROTECTED');
    stdin.write('q');
    const error = await outcome;
    expect(error).toBeInstanceOf(TorNotFoundError);
    expect(exitCodeFor(error)).toBe(EXIT_TOR);
  });

  it('quits cleanly when its signal aborts while tor is starting', async () => {
    const { options, session: opened } = await setup('/nonexistent/sotto-test/tor');
    const { stdin, stdout } = streams();
    const stop = new AbortController();
    const run = runMessengerUi(opened, options, {
      signal: stop.signal,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
    });
    await until(() => expect(stdout.all).toContain('Connecting to Tor'));
    stop.abort();
    await expect(run).resolves.toBeUndefined();
  });
});
