// `sotto` (UI) and `sotto demo` outside a terminal: one clear line and exit code 2, nothing
// created. The demo's paired profiles: each side already has the other as an accepted contact.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOT_NICKNAME, pairedDemoStates } from '../../src/cli/demo.js';
import { EXIT_USAGE, main } from '../../src/cli/main.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import type { VaultState } from '../../src/profile/vault-state.js';

function serviceIdOf(state: VaultState): string {
  const key = IdentityKey.fromExpandedKey(state.identity.expandedKey);
  const id = key.serviceId;
  key.wipe();
  return id;
}

const NO_TERMINAL =
  'sotto: the terminal UI needs an interactive terminal; for scripts use `sotto headless --json`\n';

/** Runs main(argv) with stdin not a terminal; returns the exit code and what went to stderr. */
async function mainWithoutTerminal(argv: string[]): Promise<{ code: number; stderr: string }> {
  const stderr: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const stdinTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true });
  try {
    return { code: await main(argv), stderr: stderr.join('') };
  } finally {
    if (stdinTty === undefined) delete (process.stdin as { isTTY?: boolean }).isTTY;
    else Object.defineProperty(process.stdin, 'isTTY', stdinTty);
  }
}

describe('the UI commands without a terminal', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sotto exits 2 with one line and creates no profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-cli-ui-'));
    const result = await mainWithoutTerminal(['--no-passphrase', '--profile', join(dir, 'p')]);
    expect(result).toEqual({ code: EXIT_USAGE, stderr: NO_TERMINAL });
    expect(await readdir(dir)).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('sotto demo exits 2 with one line', async () => {
    expect(await mainWithoutTerminal(['demo'])).toEqual({ code: EXIT_USAGE, stderr: NO_TERMINAL });
  });

  it.each([
    ['--profile', '/tmp/x'],
    ['--no-passphrase'],
    ['--tor-control', '127.0.0.1:9051'],
    ['--bridges', '/tmp/bridges'],
  ])('sotto demo %s … is refused: the demo would ignore it', async (...flags) => {
    const result = await mainWithoutTerminal(['demo', ...flags]);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toBe(
      'sotto: demo uses throwaway profiles on its own private network; of the options only --tor PATH applies\n',
    );
  });
});

describe('pairedDemoStates', () => {
  it('gives two fresh identities that accepted each other', () => {
    const { user, bot } = pairedDemoStates();
    const userId = serviceIdOf(user);
    const botId = serviceIdOf(bot);
    expect(userId).not.toBe(botId);
    expect(user.contacts).toEqual([
      expect.objectContaining({ serviceId: botId, nickname: BOT_NICKNAME, origin: 'request-sent' }),
    ]);
    expect(bot.contacts).toEqual([
      expect.objectContaining({ serviceId: userId, origin: 'request-accepted' }),
    ]);
    expect(user.outgoingRequests).toEqual([]);
    expect(bot.incomingRequests).toEqual([]);
  });
});
