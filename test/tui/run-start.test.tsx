// The CLI's start screens, run with Ink's real renderer: new profile and unlock loops.
import { describe, expect, it } from 'vitest';
import { askNewProfile, askUnlock, defaultStrengthHint } from '../../src/tui/run-start.js';
import { FakeStdin, FakeStdout } from './support/streams.js';
import { KEY, settle, until } from './support/ui.js';

function streams() {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  return {
    stdin,
    stdout,
    options: {
      colour: false,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
    },
  };
}

async function type(stdin: FakeStdin, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    await settle();
    stdin.write(key);
    await settle();
  }
}

describe('askNewProfile', () => {
  it('returns the passphrase typed twice, with the profile module’s strength hint', async () => {
    const { stdin, stdout, options } = streams();
    const answer = askNewProfile(options);
    await until(() => expect(stdout.all).toContain('Create your Sotto profile'));
    await type(stdin, 'password');
    await until(() => expect(stdout.all).toContain(`Strength: ${defaultStrengthHint('password')}`));
    await type(stdin, KEY.backspace, 'x', KEY.enter, 'passworx', KEY.enter);
    await expect(answer).resolves.toEqual({ kind: 'protected', passphrase: 'passworx' });
    expect(stdout.all).not.toContain('passworx');
  });

  it('returns unprotected after the explicit confirmation, and quit on Ctrl+C', async () => {
    const a = streams();
    const first = askNewProfile(a.options);
    await until(() => expect(a.stdout.all).toContain('Create your Sotto profile'));
    await type(a.stdin, KEY.ctrlN, 'y');
    await expect(first).resolves.toEqual({ kind: 'unprotected' });
    const b = streams();
    const second = askNewProfile(b.options);
    await until(() => expect(b.stdout.all).toContain('Create your Sotto profile'));
    await type(b.stdin, KEY.ctrlC);
    await expect(second).resolves.toEqual({ kind: 'quit' });
  });
});

describe('askUnlock', () => {
  it('asks again after a wrong passphrase and resolves once unlocked', async () => {
    const { stdin, stdout, options } = streams();
    const tried: string[] = [];
    const result = askUnlock((p) => {
      tried.push(p);
      return Promise.resolve(p === 'right one');
    }, options);
    await until(() => expect(stdout.all).toContain('Unlock your Sotto profile'));
    await type(stdin, 'wrong', KEY.enter);
    await until(() => expect(stdout.all).toContain('Wrong passphrase. Try again.'));
    await type(stdin, 'right one', KEY.enter);
    await expect(result).resolves.toBe('unlocked');
    expect(tried).toEqual(['wrong', 'right one']);
    expect(stdout.all).not.toContain('right one');
  });

  it('shows a failure of the unlock function and lets the user quit', async () => {
    const { stdin, stdout, options } = streams();
    const result = askUnlock(() => Promise.reject(new Error('vault damaged')), options);
    await until(() => expect(stdout.all).toContain('Unlock your Sotto profile'));
    await type(stdin, 'x', KEY.enter);
    await until(() => expect(stdout.all).toContain('Could not unlock: vault damaged'));
    await type(stdin, KEY.ctrlC);
    await expect(result).resolves.toBe('quit');
  });
});
