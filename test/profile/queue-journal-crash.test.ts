// "In a file before `queued`" (docs/SEAMS.md §1) with the send-queue journal: a real child process
// (dist/) runs the Messenger on a passphrase profile, sends a message, and is SIGKILLed the moment
// it reports `queued` — long before its debounced vault save. Reopened, the profile has the message
// in the contact's send queue, and the next save folds it into the vault.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { openProfileDir, type OpenProfileDir } from '../../src/profile/profile-dir.js';
import { QueueJournal } from '../../src/profile/queue-journal.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { buildDist } from '../tor/headless-process.js';
import { distModule as dist, killWhenSaid, runScript } from './child-script.js';
import { TEST_SCRYPT, tempDir } from './helpers.js';

const PASS = 'correct horse';
const TEXT = 'meet me at the old mill at nine';
const friend = IdentityKey.generate().serviceId;
const open: OpenProfileDir[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

describe('a message reported queued survives SIGKILL', () => {
  it('is in the send queue after reopening, and the next save folds it into the vault', async () => {
    const profile = await openProfileDir(join(await tempDir(), 'profile'));
    open.push(profile);
    const made = await createVault(
      profile.paths.vault,
      PASS,
      {
        ...emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() }),
        contacts: [{ serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: false }],
      },
      { scrypt: TEST_SCRYPT },
    );
    made.close();
    await buildDist();
    // The vault save is debounced by a minute: only the journal can hold the message in time.
    const script = `
      const { openVault } = await import(${dist('profile/vault.js')});
      const { QueueJournal } = await import(${dist('profile/queue-journal.js')});
      const { Messenger } = await import(${dist('core/messenger.js')});
      const { LoopbackTorProvider } = await import(${dist('onion/loopback-tor-provider.js')});
      let pass = '';
      for await (const chunk of process.stdin) pass += chunk;
      const vault = await openVault(process.argv[1], pass);
      const queueJournal = await QueueJournal.open(vault.path, vault.state.identity.expandedKey);
      const m = new Messenger({
        tor: new LoopbackTorProvider({ offline: true }),
        vault,
        queueJournal,
        downloadsDir: process.argv[2],
        saveDebounceMs: 60_000,
      });
      m.onEvent((e) => { if (e.type === 'queued') process.stdout.write('queued\\n'); });
      await m.dispatch({ type: 'send', address: process.argv[3], text: ${JSON.stringify(TEXT)} });
      setInterval(() => undefined, 1000);
    `;
    const args = [profile.paths.vault, profile.paths.downloadsDir, `ricochet:${friend}`];
    expect(await killWhenSaid(runScript(script, args, PASS), 'queued')).toBe(null); // killed

    // The vault file itself never got the message (its save was still a minute away)…
    const vault = await openVault(profile.paths.vault, PASS);
    expect(vault.state.queues[friend] ?? []).toEqual([]);
    // …the journal did: the reopened Messenger has it queued, and its next save holds it.
    const queueJournal = await QueueJournal.open(vault.path, vault.state.identity.expandedKey);
    const messenger = new Messenger({
      tor: new LoopbackTorProvider({ offline: true }),
      vault,
      queueJournal,
      downloadsDir: profile.paths.downloadsDir,
    });
    await messenger.dispatch({ type: 'rename', address: `ricochet:${friend}`, nickname: 'f2' });
    await messenger.close();
    await queueJournal.close();
    vault.close();
    const saved = await openVault(profile.paths.vault, PASS);
    expect(saved.state.queues[friend]?.map((m) => [m.text, m.state])).toEqual([[TEXT, 'queued']]);
    // Reopened once more, the folded message is not replayed a second time.
    const journal = await QueueJournal.open(saved.path, saved.state.identity.expandedKey);
    expect(journal.pendingAfter(saved.state.queueJournal)).toEqual([]);
    await journal.close();
    saved.close();
  }, 180_000);
});
