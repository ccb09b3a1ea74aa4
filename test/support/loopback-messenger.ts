// A real Messenger on a real vault (unprotected, in a temp dir of its own) behind the
// LoopbackTorProvider (src/onion/loopback-tor-provider.ts: onions are loopback listeners that
// publish, go dark and enforce client authorization like tor): the set-up that the tests of the
// whole core and of the UI over it share. `stop()` then `start()` is a restart of the program on
// the same profile.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger, type MessengerOptions } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  LoopbackTorProvider,
  type LoopbackTorNetwork,
  type LoopbackTorOptions,
} from '../../src/onion/loopback-tor-provider.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';
import { until } from './wait.js';

export interface LoopbackMessengerOptions {
  /** The network its onions live on (default: one of its own, as in LoopbackTorProvider). */
  readonly network?: LoopbackTorNetwork;
  /** The rest of the provider's options (offline, descriptorDelayMs, recordBytes…). */
  readonly tor?: Omit<LoopbackTorOptions, 'network'>;
  readonly key?: IdentityKey;
  /** The saved state the profile starts from, made from the empty state of `key`. */
  readonly state?: (empty: VaultState) => VaultState;
  /** Messenger options besides tor, vault and downloadsDir (backoff, features…). */
  readonly messenger?: Partial<Omit<MessengerOptions, 'tor' | 'vault' | 'downloadsDir'>>;
  /** Start the Messenger at once (default); false: the test calls `messenger.start()` itself. */
  readonly start?: boolean;
}

export class LoopbackMessenger {
  readonly address: string;
  /** Events since the last start. */
  events: CoreEvent[] = [];
  #messenger: Messenger | undefined;
  #tor: LoopbackTorProvider | undefined;
  #stop: (() => Promise<void>) | undefined;

  private constructor(
    readonly key: IdentityKey,
    readonly dir: string,
    readonly vaultPath: string,
    readonly options: LoopbackMessengerOptions,
  ) {
    this.address = `ricochet:${key.serviceId}`;
  }

  /** Creates the profile and starts on it; `cleanup` gets the stop and the removal of the dir. */
  static async create(
    options: LoopbackMessengerOptions,
    cleanup: (() => Promise<void>)[],
  ): Promise<LoopbackMessenger> {
    const key = options.key ?? IdentityKey.generate();
    const dir = await mkdtemp(join(tmpdir(), 'sotto-loopback-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const vaultPath = join(dir, 'vault.sotto');
    const empty = emptyVaultState({ expandedKey: key.expandedKey() });
    (await createVault(vaultPath, null, options.state?.(empty) ?? empty)).close();
    const side = new LoopbackMessenger(key, dir, vaultPath, options);
    cleanup.push(() => side.stop());
    await side.start(options.start ?? true);
    return side;
  }

  get messenger(): Messenger {
    if (this.#messenger === undefined) throw new Error('not started');
    return this.#messenger;
  }

  get tor(): LoopbackTorProvider {
    if (this.#tor === undefined) throw new Error('not started');
    return this.#tor;
  }

  /** Opens the vault, builds the provider and the Messenger; starts it unless told not to. */
  async start(startMessenger = true): Promise<void> {
    await this.stop();
    const vault = await openVault(this.vaultPath, null);
    const { network, tor: torOptions, messenger: messengerOptions } = this.options;
    const tor = new LoopbackTorProvider({ ...torOptions, ...(network ? { network } : {}) });
    const messenger = new Messenger({
      tor,
      vault,
      downloadsDir: this.dir,
      ...messengerOptions,
    });
    const events: CoreEvent[] = [];
    messenger.onEvent((e) => events.push(e));
    this.events = events;
    this.#tor = tor;
    this.#messenger = messenger;
    this.#stop = async () => {
      await messenger.close();
      vault.close();
    };
    if (startMessenger) await messenger.start();
  }

  /** Closes the Messenger and its vault (nothing when already stopped). */
  async stop(): Promise<void> {
    const stop = this.#stop;
    this.#stop = undefined;
    await stop?.();
  }
}

/** A side whose live route to a contact can be asked (any of the tests' sides). */
interface RoutedSide {
  readonly address: string;
  readonly messenger: Pick<Messenger, 'liveRoute'>;
}

/** Waits until `a` and `b` are each live on the other's endpoint onion (docs/ENDPOINTS.md §2). */
export async function bothOnEndpoint(
  a: RoutedSide,
  b: RoutedSide,
  timeoutMs = 20_000,
): Promise<void> {
  await until(
    () =>
      a.messenger.liveRoute(b.address)?.via === 'endpoint' &&
      b.messenger.liveRoute(a.address)?.via === 'endpoint',
    'both sides live on the endpoint',
    { timeoutMs },
  );
}
