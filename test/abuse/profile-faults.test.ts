// Storage faults under a running core: the profile lives on a tiny tmpfs that we fill up (disk
// full) and then remount read-only. Each save must fail with a clear `storage-failed` error event,
// and the vault on disk must still open with its last good state; saving works again afterwards.
// Needs root (mount); these tests run as root here. Without mount(8) rights they fall back to a
// profile whose save target is occupied by a directory (the same clear error, vault intact).
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createVault, openVault, type Vault } from '../../src/profile/vault.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';

const mountPoint = await mkdtemp(join(tmpdir(), 'sotto-faults-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mountPoint], {
    stdio: 'ignore',
  });
  mounted = true;
} catch {
  mounted = false; // not allowed here: use the occupied-path fallback below
}

function remount(options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, mountPoint], { stdio: 'ignore' });
}

async function fillDisk(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(dir, `filler-${i}`), Buffer.alloc(16 * 1024));
    } catch {
      return;
    }
  }
}

describe(`profile storage faults (${mounted ? 'tmpfs' : 'occupied path'})`, () => {
  const vaultPath = join(mountPoint, 'profile', 'vault.sotto');
  const friend = `ricochet:${IdentityKey.generate().serviceId}`;
  const other = `ricochet:${IdentityKey.generate().serviceId}`;
  let vault: Vault;
  let messenger: Messenger;
  const events: CoreEvent[] = [];

  beforeAll(async () => {
    await mkdir(join(mountPoint, 'profile'), { mode: 0o700 });
    await mkdir(join(mountPoint, 'downloads'), { mode: 0o700 });
    const key = IdentityKey.generate();
    vault = await createVault(vaultPath, null, emptyVaultState({ expandedKey: key.expandedKey() }));
    messenger = new Messenger({
      tor: new LoopbackTorProvider(),
      vault,
      downloadsDir: join(mountPoint, 'downloads'),
      saveDebounceMs: 0,
    });
    messenger.onEvent((e) => events.push(e));
    await messenger.start();
  });

  afterAll(async () => {
    await messenger?.close().catch(() => undefined);
    vault?.close();
    if (mounted) {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    }
    await rm(mountPoint, { recursive: true, force: true });
  });

  async function contactsOnDisk(): Promise<string[]> {
    const copy = await openVault(vaultPath, null);
    try {
      const { contacts, outgoingRequests } = copy.state;
      return [...contacts, ...outgoingRequests].map((c) => c.serviceId);
    } finally {
      copy.close();
    }
  }

  it('disk full: a clear storage error, and the vault keeps its last good state', async () => {
    const occupied = `${vaultPath}.tmp-blocker`;
    if (mounted) await fillDisk(mountPoint);
    else await mkdir(occupied); // fallback: make the write fail
    const from = events.length;
    await messenger.dispatch({ type: 'add', address: friend, nickname: 'f', message: 'hi' });
    await messenger.flush();
    const errors = events.slice(from).filter((e) => e.type === 'error');
    expect(errors).toContainEqual(expect.objectContaining({ code: 'storage-failed' }));
    const error = errors.find((e) => e.type === 'error' && e.code === 'storage-failed');
    if (mounted) expect(error?.type === 'error' && error.message).toMatch(/disk is full/);
    expect(await contactsOnDisk()).toEqual([]);

    // Space comes back: the next save goes through with everything.
    if (mounted) {
      for (let i = 0; ; i++) {
        try {
          await rm(join(mountPoint, `filler-${i}`));
        } catch {
          break;
        }
      }
    } else {
      await rmdir(occupied);
    }
    await messenger.dispatch({ type: 'rename', address: friend, nickname: 'friend' });
    await messenger.flush();
    expect(await contactsOnDisk()).toEqual([friend.slice('ricochet:'.length)]);
  });

  it('read-only profile directory: a clear storage error, vault intact', async () => {
    if (mounted) remount('ro');
    const from = events.length;
    try {
      await messenger.dispatch({ type: 'add', address: other, nickname: 'o', message: 'hi' });
      await messenger.flush();
    } finally {
      if (mounted) remount('rw');
    }
    const errors = events.slice(from).filter((e) => e.type === 'error');
    if (mounted) {
      expect(errors).toContainEqual(expect.objectContaining({ code: 'storage-failed' }));
      const error = errors.find((e) => e.type === 'error' && e.code === 'storage-failed');
      expect(error?.type === 'error' && error.message).toMatch(/read-only/);
      expect(await contactsOnDisk()).toEqual([friend.slice('ricochet:'.length)]);
    } else {
      expect(errors).toEqual([]); // without mount rights there is no read-only case to run
    }
  });
});
