// SECURITY.md §6 "the key is zeroed when you close Sotto": a real profile (openProfileSession, the
// path `sotto ui` and `sotto headless` take) is created, reopened from disk, runs a Messenger that
// publishes its onion and saves, and is closed. Every buffer that held the identity secrets is all
// zero afterwards, and every IdentityKey the Messenger made is wiped.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newIdentityState, openProfileSession } from '../../src/cli/session.js';
import type { SottoOptions } from '../../src/cli/args.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey, IdentityKeyWipedError } from '../../src/identity/identity-key.js';
import { OnionService } from '../../src/onion/onion-service.js';
import type { InboundConnection, OnionListener } from '../../src/onion/tor-provider.js';
import type { VaultState } from '../../src/profile/vault-state.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';

/** The loopback provider, keeping the key buffer the Messenger hands to `listen`. */
class RecordingTor extends LoopbackTorProvider {
  readonly handedKeys: Uint8Array[] = [];
  override listen(
    expandedKeyBlob: Uint8Array,
    onConnection: (connection: InboundConnection) => void,
  ): Promise<OnionListener> {
    this.handedKeys.push(expandedKeyBlob);
    return super.listen(expandedKeyBlob, onConnection);
  }
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

/** Collects every IdentityKey made from an expanded key until vi.restoreAllMocks() (calls through). */
function watchKeysMade(): IdentityKey[] {
  const made: IdentityKey[] = [];
  const fromExpanded = IdentityKey.fromExpandedKey.bind(IdentityKey);
  vi.spyOn(IdentityKey, 'fromExpandedKey').mockImplementation((bytes) => {
    const key = fromExpanded(bytes);
    made.push(key);
    return key;
  });
  return made;
}

let dir = '';
afterEach(async () => {
  vi.restoreAllMocks();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('the identity key is zeroed when the profile is closed', () => {
  it('zeroes the vault state, the Messenger key and the copy handed to tor', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sotto-zeroed-'));
    const options: SottoOptions = { passphrase: { kind: 'none' }, profileDir: join(dir, 'p') };

    // Creation: the generated state is the caller's; the vault keeps its own copy.
    let initial: VaultState | undefined;
    const created = await openProfileSession(options, 'create', () => {
      initial = newIdentityState();
      return initial;
    });
    if (initial === undefined) throw new Error('the initial state was not made');
    expect(allZero(initial.identity.expandedKey)).toBe(true);
    expect(initial.identity.seed && allZero(initial.identity.seed)).toBe(true);
    const createdKey = created.vault.state.identity.expandedKey;
    expect(allZero(createdKey)).toBe(false);
    await created.close();
    expect(allZero(createdKey)).toBe(true);

    // Reopened from disk: the decoded identity is bytes, held by the vault until close.
    const session = await openProfileSession(options);
    const { expandedKey, seed } = session.vault.state.identity;
    expect(expandedKey).toBeInstanceOf(Uint8Array);
    expect(seed).toBeInstanceOf(Uint8Array);
    expect(allZero(expandedKey) || seed === undefined || allZero(seed)).toBe(false);

    const made = watchKeysMade();
    const tor = new RecordingTor();
    const messenger = new Messenger({ tor, vault: session.vault, downloadsDir: dir });
    vi.restoreAllMocks(); // only the Messenger's own keys are watched
    expect(made).toHaveLength(1);
    await messenger.start();
    const friend = IdentityKey.generate();
    await messenger.dispatch({
      type: 'add',
      address: `ricochet:${friend.serviceId}`,
      nickname: 'friend',
      message: 'hi',
    });
    friend.wipe();
    await messenger.close(); // saves the contact request
    await session.close();

    expect(allZero(expandedKey)).toBe(true);
    expect(seed && allZero(seed)).toBe(true);
    expect(tor.handedKeys).toHaveLength(1);
    for (const handed of tor.handedKeys) expect(allZero(handed)).toBe(true);
    for (const key of made) expect(() => key.expandedKey()).toThrow(IdentityKeyWipedError);

    // The saved request made it to disk: the save ran with the vault's own identity bytes.
    const reopened = await openProfileSession(options);
    try {
      expect(reopened.vault.state.outgoingRequests.map((r) => r.serviceId)).toEqual([
        friend.serviceId,
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('the onion listener (what the real tor provider publishes) wipes its key copy on close', async () => {
    const made = watchKeysMade();
    const own = IdentityKey.generate();
    const handed = own.expandedKey();
    own.wipe();
    const service = await OnionService.open(handed, () => undefined, {
      listen: { host: '127.0.0.1', port: 0 },
    });
    vi.restoreAllMocks();
    handed.fill(0); // as the Messenger does once listen() returned
    expect(made).toHaveLength(1);
    expect(() => made[0]?.expandedKey()).not.toThrow();
    await service.close();
    for (const key of made) expect(() => key.expandedKey()).toThrow(IdentityKeyWipedError);
  });
});
