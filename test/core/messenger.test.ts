// The Messenger on a real (unprotected) vault, without starting Tor: state restored after a
// restart (local message ids continue after saved history; failed messages stay failed).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { BootstrapProblemReporter } from '../../src/onion/bootstrap-reporter.js';
import { parseClientStatus } from '../../src/onion/control/events.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const friend = IdentityKey.generate().serviceId;
const friendAddress = `ricochet:${friend}`;

async function messengerWith(patch: (state: VaultState) => VaultState): Promise<{
  messenger: Messenger;
  events: CoreEvent[];
  tor: LoopbackTorProvider;
  vaultPath: string;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-messenger-'));
  dirs.push(dir);
  const key = IdentityKey.generate();
  const state = emptyVaultState({
    expandedKey: key.expandedKey(),
  });
  const vaultPath = join(dir, 'vault.sotto');
  const vault = await createVault(vaultPath, null, patch(state));
  // A Tor that is never started: these tests only exercise state, no connection is made.
  const tor = new LoopbackTorProvider({ offline: true });
  const messenger = new Messenger({ tor, vault, downloadsDir: dir });
  const events: CoreEvent[] = [];
  messenger.onEvent((e) => events.push(e));
  return { messenger, events, tor, vaultPath };
}

describe('Messenger restored from the vault', () => {
  it('numbers new messages after saved outgoing history when no queue was saved', async () => {
    const { messenger, events } = await messengerWith((s) => ({
      ...s,
      contacts: [{ serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: true }],
      history: {
        [friend]: [
          { id: 1, direction: 'out', text: 'one', at: 1, timeDelta: 0, state: 'delivered' },
          { id: 2, direction: 'out', text: 'two', at: 2, timeDelta: 0, state: 'delivered' },
          { id: 9, direction: 'in', text: 'hi', at: 3, timeDelta: 0, state: 'delivered' },
        ],
      },
    }));
    await messenger.dispatch({ type: 'send', address: friendAddress, text: 'three' });
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(events.find((e) => e.type === 'queued')).toMatchObject({ id: 3, text: 'three' });
    await messenger.dispatch({ type: 'messages', address: friendAddress });
    const list = events.find((e) => e.type === 'messages');
    expect(list?.type === 'messages' ? list.messages.map((m) => [m.id, m.text]) : []).toEqual([
      [1, 'one'],
      [2, 'two'],
      [9, 'hi'],
      [3, 'three'],
    ]);
    await messenger.close();
  });

  it('forwards explained bootstrap problems and stalls as tor-problem events', async () => {
    const { messenger, events, tor } = await messengerWith((s) => s);
    let now = 0;
    const reporter = new BootstrapProblemReporter(
      { usingBridges: false, usingProxy: false },
      (e) => tor.emit(e),
      { now: () => now },
    );
    const phase = parseClientStatus('NOTICE BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting"');
    if (phase.type !== 'bootstrap') throw new Error('not a bootstrap status');
    reporter.onPhase(phase);
    now += 30_000;
    reporter.check();
    const problems = events.filter((e) => e.type === 'tor-problem');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ type: 'tor-problem' });
    const problem = problems[0]?.type === 'tor-problem' ? problems[0] : undefined;
    expect(problem?.summary).toMatch(/stuck at 5% \(conn\) for 30 s: no relay answers/);
    expect(problem?.recommendation).toMatch(/bridges/);
    await messenger.close();
  });
});

describe('history in the vault (SECURITY.md §5: only where you turned it on)', () => {
  it('saves the conversation of a contact with history on, and none of one with it off', async () => {
    const quiet = IdentityKey.generate().serviceId;
    const { messenger, vaultPath } = await messengerWith((s) => ({
      ...s,
      contacts: [
        { serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: true },
        { serviceId: quiet, nickname: 'quiet', addedAt: 1, historyEnabled: false },
      ],
    }));
    await messenger.dispatch({ type: 'send', address: friendAddress, text: 'keep this' });
    await messenger.dispatch({ type: 'send', address: `ricochet:${quiet}`, text: 'forget this' });
    await messenger.close();
    const reopened = await openVault(vaultPath, null);
    expect(Object.keys(await reopened.loadAllHistory())).toEqual([friend]);
    expect((await reopened.loadAllHistory())[friend]?.map((m) => m.text)).toEqual(['keep this']);
    reopened.close();
  });
});

describe('Messenger durability', () => {
  it('has the message in the vault file by the time it says `queued` (a crash after loses nothing)', async () => {
    const { messenger, vaultPath } = await messengerWith((s) => ({
      ...s,
      contacts: [{ serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: false }],
    }));
    const snapshots: Buffer[] = [];
    messenger.onEvent((e) => {
      // The file as a restarted process would find it, at the very moment `queued` is emitted.
      if (e.type === 'queued') snapshots.push(readFileSync(vaultPath));
    });
    await messenger.dispatch({ type: 'send', address: friendAddress, text: 'survive me' });
    expect(snapshots).toHaveLength(1);
    const copy = `${vaultPath}.snapshot`;
    await writeFile(copy, snapshots[0] ?? Buffer.alloc(0), { mode: 0o600 });
    const reopened = await openVault(copy, null);
    expect(reopened.state.queues[friend]?.map((m) => m.text)).toEqual(['survive me']);
    reopened.close();
  });
});
