// Answering an incoming contact request on the real Messenger and vault (no tor): a request that
// carries no nickname, as every request from Ricochet Refresh 3.0.41 (docs/PROTOCOL.md, recording
// session-request-accept-chat.json) and from Sotto by default, is accepted with a default name;
// a failed accept, reject or block leaves the request exactly as it was; our own nickname setting.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent, IncomingRequestView } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const asker = IdentityKey.generate().serviceId;
const ASKER = `ricochet:${asker}`;
/** What 3.0.41 sends: no nickname, a message (session-request-accept-chat.json). */
const FROM_RICOCHET = { serviceId: asker, nickname: '', message: 'hi there', receivedAt: 1000 };

interface Harness {
  readonly messenger: Messenger;
  readonly events: CoreEvent[];
  readonly vaultPath: string;
  /** Runs a command and returns the events it emitted. */
  run(command: Parameters<Messenger['dispatch']>[0]): Promise<CoreEvent[]>;
  requests(): Promise<readonly IncomingRequestView[]>;
}

function open(vaultPath: string, vault: Awaited<ReturnType<typeof openVault>>): Harness {
  const messenger = new Messenger({
    tor: new LoopbackTorProvider({ offline: true }),
    vault,
    downloadsDir: tmpdir(),
  });
  const events: CoreEvent[] = [];
  messenger.onEvent((e) => events.push(e));
  const run = async (command: Parameters<Messenger['dispatch']>[0]) => {
    const mark = events.length;
    await messenger.dispatch(command);
    return events.slice(mark);
  };
  const harness: Harness = {
    messenger,
    events,
    vaultPath,
    run,
    requests: async () => {
      const [listed] = await run({ type: 'requests' });
      if (listed?.type !== 'requests') throw new Error('no requests event');
      return listed.requests;
    },
  };
  return harness;
}

async function messengerWith(patch: (state: VaultState) => VaultState): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-answer-'));
  dirs.push(dir);
  const key = IdentityKey.generate();
  const state = emptyVaultState({
    expandedKey: key.expandedKey(),
  });
  const vaultPath = join(dir, 'vault.sotto');
  return open(vaultPath, await createVault(vaultPath, null, patch(state)));
}

async function reopen(h: Harness): Promise<Harness> {
  await h.messenger.close();
  return open(h.vaultPath, await openVault(h.vaultPath, null));
}

const withRequest = (s: VaultState): VaultState => ({ ...s, incomingRequests: [FROM_RICOCHET] });

describe('accepting a request that carries no nickname', () => {
  it('headless accept without a nickname makes a contact named after the first 8 ID chars', async () => {
    const h = await messengerWith(withRequest);
    const before = await h.requests();
    expect(before).toEqual([
      { address: ASKER, nickname: '', message: 'hi there', receivedAt: 1000 },
    ]);
    const events = await h.run({ type: 'accept', address: ASKER });
    expect(events).toEqual([
      { type: 'contact', address: ASKER, status: 'offline', nickname: asker.slice(0, 8) },
    ]);
    expect(await h.requests()).toEqual([]);
    const [contacts] = await h.run({ type: 'contacts' });
    expect(contacts).toMatchObject({
      contacts: [{ address: ASKER, nickname: asker.slice(0, 8), status: 'offline' }],
    });
    // The name is stored like any nickname: the same after a restart, and renamable.
    const again = await reopen(h);
    const [restored] = await again.run({ type: 'contacts' });
    expect(restored).toMatchObject({ contacts: [{ address: ASKER, nickname: asker.slice(0, 8) }] });
    expect(await again.run({ type: 'rename', address: ASKER, nickname: 'Source' })).toEqual([
      { type: 'contact', address: ASKER, status: 'offline', nickname: 'Source' },
    ]);
    await again.messenger.close();
  });

  it('an empty nickname in accept means "none chosen", like a missing one', async () => {
    const h = await messengerWith(withRequest);
    const events = await h.run({ type: 'accept', address: ASKER, nickname: '' });
    expect(events).toEqual([
      { type: 'contact', address: ASKER, status: 'offline', nickname: asker.slice(0, 8) },
    ]);
    await h.messenger.close();
  });

  it('a request that carried a nickname gives that name; a chosen name wins over both', async () => {
    const h = await messengerWith((s) => ({
      ...s,
      incomingRequests: [{ ...FROM_RICOCHET, nickname: 'Bob' }],
    }));
    expect(await h.run({ type: 'accept', address: ASKER })).toMatchObject([{ nickname: 'Bob' }]);
    await h.messenger.close();
    const chosen = await messengerWith((s) => ({
      ...s,
      incomingRequests: [{ ...FROM_RICOCHET, nickname: 'Bob' }],
    }));
    const events = await chosen.run({ type: 'accept', address: ASKER, nickname: 'Robert' });
    expect(events).toMatchObject([{ type: 'contact', nickname: 'Robert' }]);
    await chosen.messenger.close();
  });

  it('a saved request without a nickname stays without one after a restart', async () => {
    const h = await messengerWith(withRequest);
    await h.messenger.flush();
    const again = await reopen(h);
    expect((await again.requests())[0]?.nickname).toBe('');
    await again.messenger.close();
  });
});

describe('a failed answer leaves the request exactly as it was', () => {
  it('accept with a refused nickname, then a valid accept succeeds', async () => {
    const h = await messengerWith(withRequest);
    const before = await h.requests();
    for (const bad of ['<evil>', ' ', 'x'.repeat(31), 'a\u200bb']) {
      const events = await h.run({ type: 'accept', address: ASKER, nickname: bad });
      expect(events).toMatchObject([{ type: 'error', code: 'invalid-nickname' }]);
      expect(await h.requests()).toEqual(before);
    }
    const [contacts] = await h.run({ type: 'contacts' });
    expect(contacts).toEqual({ type: 'contacts', contacts: [] });
    const ok = await h.run({ type: 'accept', address: ASKER, nickname: 'Source' });
    expect(ok).toMatchObject([{ type: 'contact', address: ASKER, nickname: 'Source' }]);
    await h.messenger.close();
  });

  it('accept of an address that already is a contact fails and keeps the request', async () => {
    const h = await messengerWith((s) => ({
      ...withRequest(s),
      contacts: [{ serviceId: asker, nickname: 'known', addedAt: 1, historyEnabled: false }],
    }));
    const before = await h.requests();
    expect(await h.run({ type: 'accept', address: ASKER })).toMatchObject([
      { type: 'error', code: 'contact-exists' },
    ]);
    expect(await h.requests()).toEqual(before);
    await h.messenger.close();
  });

  it('accept, reject and block of another or a malformed address change nothing', async () => {
    const h = await messengerWith(withRequest);
    const before = await h.requests();
    const stranger = `ricochet:${IdentityKey.generate().serviceId}`;
    const bad = `${ASKER.slice(0, -1)}${ASKER.endsWith('a') ? 'b' : 'a'}`; // checksum broken
    for (const type of ['accept', 'reject', 'block'] as const) {
      for (const address of [stranger, bad, 'ricochet:']) {
        await h.run({ type, address });
        expect(await h.requests()).toEqual(before);
      }
    }
    const ok = await h.run({ type: 'accept', address: ASKER });
    expect(ok).toMatchObject([{ type: 'contact', address: ASKER }]);
    await h.messenger.close();
  });

  it('a block that fails (block list full) keeps the request, and accepting it still works', async () => {
    const full = fullBlockList();
    const h = await messengerWith((s) => ({ ...withRequest(s), blocked: full }));
    const before = await h.requests();
    expect(await h.run({ type: 'block', address: ASKER })).toMatchObject([
      { type: 'error', code: 'block-list-full' },
    ]);
    expect(await h.requests()).toEqual(before);
    const ok = await h.run({ type: 'accept', address: ASKER });
    expect(ok).toMatchObject([{ type: 'contact', address: ASKER }]);
    await h.messenger.close();
  });

  it('a contact whose block fails (block list full) is not blocked either', async () => {
    const friend = IdentityKey.generate().serviceId;
    const full = fullBlockList();
    const h = await messengerWith((s) => ({
      ...s,
      blocked: full,
      contacts: [{ serviceId: friend, nickname: 'friend', addedAt: 1, historyEnabled: false }],
    }));
    const events = await h.run({ type: 'block', address: `ricochet:${friend}` });
    expect(events).toMatchObject([{ type: 'error', code: 'block-list-full' }]);
    const [contacts] = await h.run({ type: 'contacts' });
    expect(contacts).toMatchObject({ contacts: [{ nickname: 'friend', status: 'offline' }] });
    await h.messenger.close();
  });

  it('a valid reject after failed ones removes the request', async () => {
    const h = await messengerWith(withRequest);
    await h.run({ type: 'reject', address: 'ricochet:nonsense' });
    expect(await h.requests()).toHaveLength(1);
    expect(await h.run({ type: 'reject', address: ASKER })).toEqual([]);
    expect(await h.requests()).toEqual([]);
    await h.messenger.close();
  });
});

describe('our own nickname (the one our requests carry)', () => {
  it('is empty by default', async () => {
    const h = await messengerWith((s) => s);
    expect(await h.run({ type: 'own-nickname' })).toEqual([{ type: 'own-nickname', nickname: '' }]);
    await h.messenger.close();
  });

  it('set-nickname validates with the nickname rules, is saved in the vault and can be cleared', async () => {
    const h = await messengerWith((s) => s);
    expect(await h.run({ type: 'set-nickname', nickname: '<me>' })).toMatchObject([
      { type: 'error', code: 'invalid-nickname' },
    ]);
    expect(await h.run({ type: 'own-nickname' })).toEqual([{ type: 'own-nickname', nickname: '' }]);
    expect(await h.run({ type: 'set-nickname', nickname: 'Alice' })).toEqual([
      { type: 'own-nickname', nickname: 'Alice' },
    ]);
    await h.messenger.flush();
    const again = await reopen(h);
    expect(await again.run({ type: 'own-nickname' })).toEqual([
      { type: 'own-nickname', nickname: 'Alice' },
    ]);
    expect(await again.run({ type: 'set-nickname', nickname: '' })).toEqual([
      { type: 'own-nickname', nickname: '' },
    ]);
    await again.messenger.flush();
    const cleared = await reopen(again);
    expect(await cleared.run({ type: 'own-nickname' })).toEqual([
      { type: 'own-nickname', nickname: '' },
    ]);
    await cleared.messenger.close();
  });

  it('a saved own nickname that today’s rules refuse is dropped, never sent', async () => {
    const h = await messengerWith((s) => ({
      ...s,
      settings: { ...s.settings, ownNickname: 'a<b' },
    }));
    expect(await h.run({ type: 'own-nickname' })).toEqual([{ type: 'own-nickname', nickname: '' }]);
    await h.messenger.close();
  });
});

/** 10 000 blocked entries: the block list's bound (DEFAULT_INCOMING_LIMITS.maxBlocked). */
function fullBlockList(): VaultState['blocked'] {
  return Array.from({ length: 10_000 }, () => ({ serviceId: randomServiceIdText(), blockedAt: 1 }));
}

/** A syntactically valid service id text (the vault checks the alphabet, not the checksum). */
function randomServiceIdText(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(56), (b) => alphabet[b & 31]).join('');
}
