// `sotto` (UI) and `sotto demo` outside a terminal: one clear line and exit code 2, nothing
// created. The demo's paired profiles: each side already has the other as an accepted contact.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOT_NICKNAME, pairedDemoStates } from '../../src/cli/demo.js';
import { EXIT_USAGE, main } from '../../src/cli/main.js';
import { IdentityKey } from '../../src/onion/identity-key.js';
import type { VaultState } from '../../src/profile/vault-state.js';

function serviceIdOf(state: VaultState): string {
  const key = IdentityKey.fromExpandedKey(
    new Uint8Array(Buffer.from(state.identity.expandedKey, 'base64')),
  );
  const id = key.serviceId;
  key.wipe();
  return id;
}

describe('the UI commands without a terminal', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([[[]], [['demo']]])(
    'sotto %j exits 2 with one line and creates nothing',
    async (argv) => {
      const dir = await mkdtemp(join(tmpdir(), 'sotto-cli-ui-'));
      const stderr: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        stderr.push(String(chunk));
        return true;
      });
      const stdinTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
      Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true });
      try {
        const code = await main([...argv, '--no-passphrase', '--profile', join(dir, 'p')]);
        expect(code).toBe(EXIT_USAGE);
      } finally {
        if (stdinTty === undefined) delete (process.stdin as { isTTY?: boolean }).isTTY;
        else Object.defineProperty(process.stdin, 'isTTY', stdinTty);
      }
      expect(stderr.join('')).toBe(
        'sotto: the terminal UI needs an interactive terminal; for scripts use `sotto headless --json`\n',
      );
      expect(await readdir(dir)).toEqual([]);
      await rm(dir, { recursive: true });
    },
  );
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
