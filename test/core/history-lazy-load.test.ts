// A conversation's saved history is read from its log when it is first needed, not when the
// profile opens (docs/PROFILE.md "Loading on first use"): what the user sees through the core
// (`messages`, sends, deliveries, clear-history) is what it was when everything loaded at open.
// Two Messengers over real loopback sockets; the profile under test is reopened with openVault.
// A contact that re-sends a message saved in an earlier session (Ricochet Refresh re-sends every
// unacknowledged message with its id after a reconnect, docs/PROTOCOL.md "chat") is a raw
// Ricochet client: our RicochetConnection behind the real PeerLink, no Sotto extensions.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent, MessageView } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { historyDirFor } from '../../src/profile/history-logs.js';
import { createVault, openVault, type Vault } from '../../src/profile/vault.js';
import {
  emptyVaultState,
  type HistoryMessageRecord,
  type VaultState,
} from '../../src/profile/vault-state.js';
import { RawPeer } from '../abuse/loopback-support.js';
import { until } from '../support/wait.js';

const network = new LoopbackTorNetwork();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const saved: HistoryMessageRecord[] = [
  { id: 7, direction: 'in', text: 'saved hello', at: 1_000, timeDelta: 0, state: 'delivered' },
  { id: 1, direction: 'out', text: 'saved reply', at: 2_000, timeDelta: 0, state: 'delivered' },
  { id: 2, direction: 'out', text: 'saved, queued', at: 3_000, timeDelta: 0, state: 'queued' },
];

interface Profile {
  readonly dir: string;
  readonly path: string;
  readonly me: IdentityKey;
  readonly friend: IdentityKey;
}

const contact = (key: IdentityKey): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname: 'friend',
  addedAt: 1,
  historyEnabled: true,
});

/** A profile whose conversation with `friend` was saved in an earlier session (one queued). */
async function savedProfile(withQueue = true, history = saved): Promise<Profile> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-lazy-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const me = IdentityKey.generate();
  const friend = IdentityKey.generate();
  const state = emptyVaultState({ expandedKey: me.expandedKey() });
  const path = join(dir, 'vault.sotto');
  const queued = { localId: 2, text: 'saved, queued', at: 3_000, state: 'queued' as const };
  const patched: VaultState = {
    ...state,
    contacts: [contact(friend)],
    queues: withQueue ? { [friend.serviceId]: [queued] } : {},
    history: history.length === 0 ? {} : { [friend.serviceId]: history },
  };
  (await createVault(path, null, patched)).close();
  return { dir, path, me, friend };
}

/** Flips a byte inside the first record of the profile's one log: the whole log is unreadable. */
async function damageLog(profile: Profile): Promise<{ log: string; bytes: Buffer }> {
  const logDir = historyDirFor(profile.path);
  const [name] = await readdir(logDir);
  if (name === undefined) throw new Error('no log');
  const log = join(logDir, name);
  const bytes = await readFile(log);
  bytes[60] = (bytes[60] ?? 0) ^ 1;
  await writeFile(log, bytes);
  return { log, bytes };
}

interface Running {
  readonly vault: Vault;
  readonly messenger: Messenger;
  readonly events: CoreEvent[];
}

/** Opens the profile (history not read) and runs a Messenger on it. */
async function run(profile: Profile, online = false): Promise<Running> {
  const vault = await openVault(profile.path, null);
  const messenger = new Messenger({
    tor: new LoopbackTorProvider(online ? { network } : { offline: true }),
    vault,
    downloadsDir: profile.dir,
    backoff: { baseMs: 100, capMs: 200, minMs: 50, likelyRejectedMs: 60_000 },
  });
  const events: CoreEvent[] = [];
  messenger.onEvent((e) => events.push(e));
  let closed = false;
  const stop = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await messenger.close();
    vault.close();
  };
  cleanup.push(stop);
  return { vault, messenger, events };
}

async function stopped(running: Running): Promise<void> {
  await running.messenger.close();
  running.vault.close();
}

/** The conversation as the core shows it (`messages`), [direction, text, state] each. */
async function shown(r: Running, friend: IdentityKey): Promise<[string, string, string][]> {
  const before = r.events.length;
  await r.messenger.dispatch({ type: 'messages', address: `ricochet:${friend.serviceId}` });
  const event = r.events.slice(before).find((e) => e.type === 'messages');
  if (event?.type !== 'messages') throw new Error('no messages event');
  return event.messages.map((m: MessageView) => [m.direction, m.text, m.state]);
}

const savedShown: [string, string, string][] = saved.map((m) => [m.direction, m.text, m.state]);

/** The peer: a fresh profile with `profile.me` as a contact, online. */
async function peer(profile: Profile): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-lazy-peer-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const state = emptyVaultState({ expandedKey: profile.friend.expandedKey() });
  const path = join(dir, 'vault.sotto');
  (await createVault(path, null, { ...state, contacts: [contact(profile.me)] })).close();
  return run({ dir, path, me: profile.friend, friend: profile.me }, true);
}

describe('history loaded on first use', () => {
  it('is not read at open, and the first `messages` shows the saved conversation', async () => {
    const profile = await savedProfile();
    const r = await run(profile);
    expect([...r.vault.unloadedHistory]).toEqual([profile.friend.serviceId]);
    expect(r.vault.state.history).toEqual({});
    expect(await shown(r, profile.friend)).toEqual(savedShown);
    expect(r.vault.unloadedHistory.size).toBe(0);
    expect(await shown(r, profile.friend)).toEqual(savedShown); // the second use reads nothing
  });

  it('concurrent first reads share one load', async () => {
    const profile = await savedProfile();
    const r = await run(profile);
    const address = `ricochet:${profile.friend.serviceId}`;
    await Promise.all([
      r.messenger.dispatch({ type: 'messages', address }),
      r.messenger.dispatch({ type: 'messages', address }),
      r.messenger.dispatch({ type: 'send', address, text: 'while it loads' }),
    ]);
    const lists = r.events.flatMap((e) => (e.type === 'messages' ? [e.messages] : []));
    expect(lists).toHaveLength(2);
    // Each shows the saved history once; the message sent meanwhile comes after it.
    for (const list of lists)
      expect(list.slice(0, saved.length).map((m) => m.text)).toEqual(saved.map((m) => m.text));
    const after = await shown(r, profile.friend);
    expect(after.map(([, text]) => text)).toEqual([...saved.map((m) => m.text), 'while it loads']);
    // The store hands every caller the same load.
    const other = await savedProfile();
    const vault = await openVault(other.path, null);
    cleanup.push(() => Promise.resolve(vault.close()));
    const h = vault.history(other.friend.serviceId);
    const [a, b] = await Promise.all([h.load(), h.load()]);
    expect(a).toBe(b);
    expect(a.messages.map((m) => m.text)).toEqual(saved.map((m) => m.text));
  });

  it('a new send never reuses a saved outgoing id, and survives a restart after the saved ones', async () => {
    const profile = await savedProfile(false); // no queue saved: the ids live in the log only
    const r = await run(profile);
    const address = `ricochet:${profile.friend.serviceId}`;
    // A command that makes the contact's send queue before the conversation was ever loaded.
    await r.messenger.dispatch({ type: 'discard-message', address, id: 9 });
    await r.messenger.dispatch({ type: 'send', address, text: 'new one' });
    const queued = r.events.find((e) => e.type === 'queued');
    expect(queued?.type === 'queued' && queued.id).toBe(3); // saved ids are 1 and 2
    await stopped(r);
    const again = await run(profile);
    expect(await shown(again, profile.friend)).toEqual([
      ...savedShown,
      ['out', 'new one', 'queued'],
    ]);
  });

  it('an unreadable log found on first use is kept, told once, and never fatal', async () => {
    const profile = await savedProfile();
    const { log, bytes } = await damageLog(profile);
    const r = await run(profile);
    expect(r.vault.historyProblems).toEqual([]); // not read at open
    expect(await shown(r, profile.friend)).toEqual([]); // starts empty
    await shown(r, profile.friend);
    const address = `ricochet:${profile.friend.serviceId}`;
    await r.messenger.dispatch({ type: 'send', address, text: 'after the damage' });
    await r.messenger.flush();
    const told = r.events.filter((e) => e.type === 'error' && e.code === 'history-log-unreadable');
    expect(told).toHaveLength(1);
    expect(r.vault.historyProblems.map((p) => p.serviceId)).toEqual([profile.friend.serviceId]);
    await stopped(r);
    expect(await readFile(log)).toEqual(bytes); // byte for byte
    const again = await openVault(profile.path, null);
    cleanup.push(() => Promise.resolve(again.close()));
    expect([...again.unloadedHistory]).toEqual([profile.friend.serviceId]); // its key is kept
  });

  it('clear-history of a never-loaded conversation shreds its log', async () => {
    const profile = await savedProfile();
    const r = await run(profile);
    const address = `ricochet:${profile.friend.serviceId}`;
    await r.messenger.dispatch({ type: 'clear-history', address });
    expect(await readdir(historyDirFor(profile.path))).toEqual([]);
    expect(await shown(r, profile.friend)).toEqual([]);
    await stopped(r);
    const again = await openVault(profile.path, null);
    cleanup.push(() => Promise.resolve(again.close()));
    expect(again.unloadedHistory.size).toBe(0);
    expect(await again.loadAllHistory()).toEqual({});
  });

  it('a message and a delivery arriving before the first use are saved and shown after the saved ones', async () => {
    const profile = await savedProfile();
    const r = await run(profile, true);
    const friend = await peer(profile);
    await Promise.all([r.messenger.start(), friend.messenger.start()]);
    await friend.messenger.dispatch({
      type: 'send',
      address: `ricochet:${profile.me.serviceId}`,
      text: 'arrived before the first use',
    });
    // The saved queued message goes out and is acknowledged; the incoming one arrives.
    await until(() => r.events.some((e) => e.type === 'delivered' && e.id === 2));
    await until(() => r.events.some((e) => e.type === 'message'));
    await r.messenger.flush();
    const expected = [
      ...savedShown.slice(0, 2),
      ['out', 'saved, queued', 'delivered'],
      ['in', 'arrived before the first use', 'delivered'],
    ];
    expect(await shown(r, profile.friend)).toEqual(expected);
    await stopped(r);
    const again = await run(profile);
    expect(await shown(again, profile.friend)).toEqual(expected);
  });
});

/** The contact dials in as a known contact, Ricochet Refresh's way; its chat channel is open. */
async function contactConnects(profile: Profile): Promise<RawPeer> {
  const port = network.portOf(profile.me.serviceId);
  if (port === undefined) throw new Error('our onion is not published');
  const contact = new RawPeer(profile.friend, profile.me.serviceId, port);
  contact.socket.on('error', () => undefined);
  cleanup.push(() => Promise.resolve(void contact.socket.destroy()));
  await contact.waitFor('chat-ready', 20_000);
  return contact;
}

/** The contact sends `text` with wire id `id`; resolves when our ack of it arrives. */
async function chat(contact: RawPeer, id: number, text: string): Promise<void> {
  contact.link.run((c) => c.sendChatMessage(text, { id }));
  await until(
    () => contact.events.some((e) => e.type === 'chat-ack' && e.id === id && e.accepted),
    `our ack of ${id}`,
    { timeoutMs: 20_000 },
  );
}

const incoming = (r: Running): string[] =>
  r.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));

describe('a message arriving for a conversation not loaded yet', () => {
  const RESENT_ID = 0x5eed_0001;

  it('re-sent (same id) after a restart is acknowledged again and shown once', async () => {
    const profile = await savedProfile(false, []);
    // Session 1: the message arrives, is acked, shown and saved in the conversation's log.
    const first = await run(profile, true);
    await first.messenger.start();
    const before = await contactConnects(profile);
    await chat(before, RESENT_ID, 'sent once, acked once');
    await until(() => incoming(first).length === 1, 'the message', { timeoutMs: 20_000 });
    await stopped(first);
    before.socket.destroy();

    // Session 2: the log waits unread; the contact re-sends the message (our ack never reached
    // it), then sends a new one.
    const second = await run(profile, true);
    await second.messenger.start();
    expect([...second.vault.unloadedHistory]).toEqual([profile.friend.serviceId]);
    const after = await contactConnects(profile);
    await chat(after, RESENT_ID, 'sent once, acked once'); // acknowledged again: exactly-once
    await chat(after, RESENT_ID + 1, 'a new message');
    await until(() => incoming(second).includes('a new message'), 'the new message', {
      timeoutMs: 20_000,
    });
    expect(incoming(second)).toEqual(['a new message']); // the re-send is not a new message
    await second.messenger.flush();
    const expected = [
      ['in', 'sent once, acked once', 'delivered'],
      ['in', 'a new message', 'delivered'],
    ];
    expect(await shown(second, profile.friend)).toEqual(expected);
    await stopped(second);

    // Session 3: what was saved is the same, each message once.
    const third = await run(profile);
    expect(await shown(third, profile.friend)).toEqual(expected);
  });

  it('a damaged log found when a message arrives is named in what the user is told', async () => {
    const profile = await savedProfile(false);
    const { log, bytes } = await damageLog(profile);
    const r = await run(profile, true);
    await r.messenger.start();
    const contact = await contactConnects(profile);
    const text = 'while the user reads another conversation';
    contact.link.run((c) => c.sendChatMessage(text, { id: RESENT_ID }));
    await until(() => incoming(r).length === 1, 'the message', { timeoutMs: 20_000 });
    await r.messenger.flush();
    const told = r.events.filter((e) => e.type === 'error' && e.code === 'history-log-unreadable');
    expect(told).toHaveLength(1);
    // Not saved, so not acknowledged (docs/PROTOCOL.md "When Sotto acknowledges"): told too.
    const notSaved = r.events.filter((e) => e.type === 'error' && e.code === 'message-not-saved');
    expect(notSaved).toHaveLength(1);
    expect(contact.events.filter((e) => e.type === 'chat-ack')).toEqual([]);
    // Which conversation: the user may be looking at another one when it is found.
    expect(told[0]?.type === 'error' && told[0].message).toContain(profile.friend.serviceId);
    expect(await readFile(log)).toEqual(bytes); // kept byte for byte
  });
});
