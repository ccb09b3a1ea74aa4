// When Sotto acknowledges a contact's message (docs/PROTOCOL.md "When Sotto acknowledges"): with
// history on for the contact only once the message is in its history log (appended and
// fsynced), so a peer that saw our ack never needs to re-send it; with history off at once, as
// before; a failed append gives no ack (the peer re-sends later) and tells the user. The contact
// is a raw Ricochet client (our RicochetConnection behind the real PeerLink, no Sotto
// extensions: what Ricochet Refresh 3.0.41 speaks) dialling a Messenger over loopback sockets.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { historyDirFor } from '../../src/profile/history-logs.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { RawPeer } from '../abuse/loopback-support.js';
import { until } from '../support/wait.js';

const network = new LoopbackTorNetwork();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Running {
  readonly dir: string;
  readonly path: string;
  readonly me: IdentityKey;
  readonly friend: IdentityKey;
  readonly messenger: Messenger;
  readonly events: CoreEvent[];
}

/** A profile with one accepted contact (`history` on or off), its Messenger online; then `prepare`. */
async function running(history: boolean, prepare?: (path: string) => void): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-acksave-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const me = IdentityKey.generate();
  const friend = IdentityKey.generate();
  const path = join(dir, 'vault.sotto');
  const state = emptyVaultState({ expandedKey: me.expandedKey() });
  const contact = { serviceId: friend.serviceId, nickname: 'friend', addedAt: 1 };
  const contacts = [{ ...contact, historyEnabled: history }];
  (await createVault(path, null, { ...state, contacts })).close();
  const vault = await openVault(path, null);
  const messenger = new Messenger({
    tor: new LoopbackTorProvider({ network }),
    vault,
    downloadsDir: dir,
    backoff: { baseMs: 100, capMs: 200, minMs: 50, likelyRejectedMs: 60_000 },
  });
  const events: CoreEvent[] = [];
  messenger.onEvent((e) => events.push(e));
  cleanup.push(async () => {
    await messenger.close();
    vault.close();
  });
  await messenger.start();
  prepare?.(path);
  return { dir, path, me, friend, messenger, events };
}

/** The contact dials in as a known contact; `onAck` runs the moment each of our acks arrives. */
async function contactConnects(r: Running, onAck: (id: number) => void): Promise<RawPeer> {
  const port = network.portOf(r.me.serviceId);
  if (port === undefined) throw new Error('our onion is not published');
  const contact = new RawPeer(r.friend, r.me.serviceId, port);
  contact.socket.on('error', () => undefined);
  cleanup.push(() => Promise.resolve(void contact.socket.destroy()));
  const push = contact.events.push.bind(contact.events);
  contact.events.push = (...events) => {
    for (const e of events) if (e.type === 'chat-ack' && e.accepted) onAck(e.id);
    return push(...events);
  };
  await contact.waitFor('chat-ready', 20_000);
  return contact;
}

const acked = (contact: RawPeer, id: number): boolean =>
  contact.events.some((e) => e.type === 'chat-ack' && e.id === id && e.accepted);

/** A copy of the profile as it is on disk this moment (what a crash right now would leave). */
function snapshot(r: Running): string {
  const copy = mkdtempSync(join(tmpdir(), 'sotto-acksave-copy-'));
  cleanup.push(() => rm(copy, { recursive: true, force: true }));
  cpSync(r.dir, copy, { recursive: true });
  return join(copy, 'vault.sotto');
}

/** The incoming messages saved in the profile at `path` (a second open, history read). */
async function savedIncoming(path: string, friend: IdentityKey): Promise<string[]> {
  const vault = await openVault(path, null);
  try {
    const history = await vault.loadAllHistory();
    return (history[friend.serviceId] ?? []).flatMap((m) => (m.direction === 'in' ? [m.text] : []));
  } finally {
    vault.close();
  }
}

const ID = 0x0ac5_0001;

describe('when Sotto acknowledges a message', () => {
  it('with history on: only once the message is in the history log', async () => {
    const r = await running(true);
    const copies = new Map<number, string>();
    const contact = await contactConnects(r, (id) => copies.set(id, snapshot(r)));
    contact.link.run((c) => c.sendChatMessage('first, saved before its ack', { id: ID }));
    contact.link.run((c) => c.sendChatMessage('second, saved before its ack', { id: ID + 1 }));
    await until(() => acked(contact, ID + 1), 'our ack of the second', { timeoutMs: 20_000 });
    const atFirstAck = copies.get(ID);
    const atSecondAck = copies.get(ID + 1);
    if (atFirstAck === undefined || atSecondAck === undefined) throw new Error('no snapshot');
    // The profile as it was on disk when each ack reached the contact already holds its message.
    expect(await savedIncoming(atFirstAck, r.friend)).toContain('first, saved before its ack');
    expect(await savedIncoming(atSecondAck, r.friend)).toEqual([
      'first, saved before its ack',
      'second, saved before its ack',
    ]);
    // Each message acknowledged once, and shown once.
    expect(contact.events.filter((e) => e.type === 'chat-ack')).toHaveLength(2);
    expect(r.events.filter((e) => e.type === 'message')).toHaveLength(2);
  });

  it('with history off: at once, and nothing is written', async () => {
    const r = await running(false);
    const copies = new Map<number, string>();
    const contact = await contactConnects(r, (id) => copies.set(id, snapshot(r)));
    contact.link.run((c) => c.sendChatMessage('kept in memory only', { id: ID }));
    await until(() => acked(contact, ID), 'our ack', { timeoutMs: 20_000 });
    await until(() => r.events.some((e) => e.type === 'message'), 'the message shown', {
      timeoutMs: 20_000,
    });
    await r.messenger.flush();
    expect(await savedIncoming(r.path, r.friend)).toEqual([]);
    expect(contact.events.filter((e) => e.type === 'chat-ack')).toEqual([
      { type: 'chat-ack', id: ID, accepted: true },
    ]);
  });

  it('a failed append gives no ack and tells the user', async () => {
    // Once open, the history log directory is replaced by a file: creating the log fails.
    const r = await running(true, (path) => {
      rmSync(historyDirFor(path), { recursive: true });
      writeFileSync(historyDirFor(path), 'not a directory');
    });
    const contact = await contactConnects(r, () => undefined);
    contact.link.run((c) => c.sendChatMessage('cannot be saved', { id: ID }));
    const notSaved = (): string[] =>
      r.events.flatMap((e) =>
        e.type === 'error' && e.code === 'message-not-saved' ? [e.message] : [],
      );
    await until(() => notSaved().length > 0, 'the error', { timeoutMs: 20_000 });
    expect(notSaved()).toHaveLength(1);
    expect(notSaved()[0]).toContain(r.friend.serviceId); // which contact: it may not be in view
    // The message is shown (it is in memory), but the contact was never told it arrived: our
    // reply, sent after the failed save on the same connection, reaches it with no ack before.
    expect(r.events.filter((e) => e.type === 'message')).toHaveLength(1);
    await r.messenger.dispatch({
      type: 'send',
      address: `ricochet:${r.friend.serviceId}`,
      text: 'a reply',
    });
    await until(() => contact.events.some((e) => e.type === 'chat-message'), 'our reply', {
      timeoutMs: 20_000,
    });
    expect(contact.events.filter((e) => e.type === 'chat-ack')).toEqual([]);
  });
});
