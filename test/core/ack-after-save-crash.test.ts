// Crash test of "ack only once saved" (docs/PROTOCOL.md "When Sotto acknowledges"): a real child
// process runs a Messenger (dist/) with history on for its contact; a raw Ricochet client (what
// Ricochet Refresh 3.0.41 speaks) sends it a burst of messages, and the child is SIGKILLed the
// moment the contact has seen some of them acknowledged. After the restart every message the
// contact saw acknowledged is in the history, once: it will never re-send those.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { RawPeer } from '../abuse/loopback-support.js';
import { distModule as dist, runScript } from '../profile/child-script.js';
import { buildDist } from '../tor/headless-process.js';

/** Runs a Messenger on the profile at argv[1] over a loopback "tor"; says `port N` once online. */
const SOTTO = `
  const { openVault } = await import(${dist('profile/vault.js')});
  const { Messenger } = await import(${dist('core/messenger.js')});
  const { LoopbackTorNetwork, LoopbackTorProvider } =
    await import(${dist('onion/loopback-tor-provider.js')});
  const [path, serviceId] = process.argv.slice(1);
  const network = new LoopbackTorNetwork();
  const vault = await openVault(path, null);
  const messenger = new Messenger({
    tor: new LoopbackTorProvider({ network }),
    vault,
    downloadsDir: path + '.downloads',
    backoff: { baseMs: 100, capMs: 200, minMs: 50, likelyRejectedMs: 60_000 },
  });
  await messenger.start();
  process.stdout.write('port ' + network.portOf(serviceId) + '\\n');
  setInterval(() => undefined, 1000);
`;

const BURST = 60;
const KILL_AFTER_ACKS = 15;

let dir = '';
beforeAll(async () => {
  await buildDist();
  dir = await mkdtemp(join(tmpdir(), 'sotto-acksave-crash-'));
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a crash right after Sotto acknowledged messages (history on)', () => {
  it('loses none the contact saw acknowledged', async () => {
    const me = IdentityKey.generate();
    const friend = IdentityKey.generate();
    const path = join(dir, 'vault.sotto');
    const state = emptyVaultState({ expandedKey: me.expandedKey() });
    const contact = { serviceId: friend.serviceId, nickname: 'friend', addedAt: 1 };
    (
      await createVault(path, null, { ...state, contacts: [{ ...contact, historyEnabled: true }] })
    ).close();
    const sotto = runScript(SOTTO, [path, me.serviceId], '');
    const port = await new Promise<number>((resolve, reject) => {
      sotto.child.stdout?.on('data', (chunk: Buffer) => {
        const match = /port (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      sotto.child.once('exit', () => reject(new Error('the child ended before going online')));
    });

    const peer = new RawPeer(friend, me.serviceId, port);
    peer.socket.on('error', () => undefined);
    const acked: number[] = [];
    const push = peer.events.push.bind(peer.events);
    peer.events.push = (...events) => {
      for (const e of events) {
        if (e.type !== 'chat-ack' || !e.accepted) continue;
        acked.push(e.id);
        if (acked.length === KILL_AFTER_ACKS) sotto.child.kill('SIGKILL');
      }
      return push(...events);
    };
    await peer.waitFor('chat-ready', 20_000);
    const FIRST = 0x0c4a_5000;
    for (let i = 0; i < BURST; i++) {
      peer.link.run((c) => c.sendChatMessage(`message ${i}`, { id: FIRST + i }));
    }
    expect(await sotto.exited).toBeNull(); // killed, not ended
    peer.socket.destroy();
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    // The restart: the profile opens, and every message the contact saw acknowledged is there.
    const vault = await openVault(path, null);
    const history = await vault.loadAllHistory();
    vault.close();
    const saved = (history[friend.serviceId] ?? []).map((m) => m.id);
    for (const id of acked) expect(saved).toContain(id);
    expect(new Set(saved).size).toBe(saved.length); // each once
  });
});
