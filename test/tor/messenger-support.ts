// Test support for messenger tests on the private Tor network: a Sotto instance (profile dir,
// unprotected vault, its own launched tor, a Messenger) that can be stopped and started again from
// the same profile, an event log, and waiting for an event with a timeout (never fixed sleeps).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreEvent } from '../../src/api/core-api.js';
import { EventLog } from '../support/event-log.js';
import { Messenger, type MessengerOptions } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { createVault, openVault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';

export const TEST_BACKOFF = { baseMs: 2_000, capMs: 8_000, minMs: 500, likelyRejectedMs: 60_000 };

export { EventLog };

export function waitForEvent(
  log: EventLog,
  predicate: (event: CoreEvent) => boolean,
  timeoutMs = 120_000,
  from = 0,
): Promise<CoreEvent> {
  return log.waitFor(predicate, timeoutMs, from);
}

/** One Sotto user: a profile directory that survives restarts of its Messenger and tor. */
export class SottoInstance {
  messenger: Messenger | undefined;
  tor: RealTorProvider | undefined;
  log: EventLog | undefined;
  readonly dir: string;
  readonly address: string;
  readonly #testnet: readonly string[];
  readonly #options: Partial<MessengerOptions>;

  private constructor(
    dir: string,
    address: string,
    testnet: readonly string[],
    options: Partial<MessengerOptions>,
  ) {
    this.dir = dir;
    this.address = address;
    this.#testnet = testnet;
    this.#options = options;
  }

  static async create(
    name: string,
    testnet: readonly string[],
    options: Partial<MessengerOptions> = {},
    settings: Partial<VaultState['settings']> = {},
  ): Promise<SottoInstance> {
    const dir = await mkdtemp(join(tmpdir(), `sotto-msg-${name}-`));
    await mkdir(join(dir, 'tor'), { mode: 0o700 });
    await mkdir(join(dir, 'downloads'), { mode: 0o700 });
    const key = IdentityKey.generate();
    const seed = key.seed;
    const identity = {
      expandedKey: key.expandedKey(),
      ...(seed ? { seed } : {}),
    };
    const state = emptyVaultState(identity);
    const vault = await createVault(join(dir, 'vault.sotto'), null, {
      ...state,
      settings: { ...state.settings, ...settings },
    });
    vault.close();
    return new SottoInstance(dir, `ricochet:${key.serviceId}`, testnet, options);
  }

  /** Opens the vault, launches tor, publishes; resolves once `published` (or, dark, the
   * `identity-online` that says so) was emitted. */
  async start(): Promise<{ messenger: Messenger; log: EventLog }> {
    const vault = await openVault(join(this.dir, 'vault.sotto'), null);
    const tor = createTorProvider({
      mode: 'launch',
      dataDir: join(this.dir, 'tor'),
      extraTorrcLines: this.#testnet,
    });
    const messenger = new Messenger({
      tor,
      vault,
      downloadsDir: join(this.dir, 'downloads'),
      backoff: TEST_BACKOFF,
      ...this.#options,
    });
    const log = new EventLog(messenger);
    this.messenger = messenger;
    this.tor = tor;
    this.log = log;
    const closeVault = (): void => vault.close();
    messenger.onEvent((e) => {
      if (e.type === 'quit') closeVault();
    });
    try {
      await messenger.start();
    } catch (error) {
      await messenger.close();
      vault.close();
      throw error;
    }
    // A dark identity onion is never published: the core says it is dark instead.
    await log.waitFor(
      (e) => e.type === 'published' || (e.type === 'identity-online' && e.mode === 'dark'),
      60_000,
    );
    this.#vaultClose = closeVault;
    return { messenger, log };
  }

  #vaultClose: (() => void) | undefined;

  async stop(): Promise<void> {
    await this.messenger?.close();
    this.#vaultClose?.();
    this.#vaultClose = undefined;
    this.messenger = undefined;
    this.tor = undefined;
  }

  get core(): Messenger {
    if (this.messenger === undefined) throw new Error('instance not started');
    return this.messenger;
  }

  get events(): EventLog {
    if (this.log === undefined) throw new Error('instance not started');
    return this.log;
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Makes `a` and `b` contacts (a asks, b accepts) and waits until both see each other online. */
export async function befriend(a: SottoInstance, b: SottoInstance): Promise<void> {
  const fromA = a.events.mark;
  const fromB = b.events.mark;
  await a.core.dispatch({
    type: 'add',
    address: b.address,
    nickname: 'bee',
    message: 'hi, it is a',
  });
  await b.events.waitFor((e) => e.type === 'request' && e.address === a.address, 120_000, fromB);
  await b.core.dispatch({ type: 'accept', address: a.address, nickname: 'ay' });
  await a.events.waitFor((e) => e.type === 'online' && e.address === b.address, 120_000, fromA);
  await b.events.waitFor((e) => e.type === 'online' && e.address === a.address, 120_000, fromB);
}

/** `from` sends `to` a message; resolves once `to` got it (rejects after `timeoutMs`). */
export async function chat(
  from: SottoInstance,
  to: SottoInstance,
  text: string,
  timeoutMs = 240_000,
): Promise<void> {
  const mark = to.events.mark;
  await from.core.dispatch({ type: 'send', address: to.address, text });
  await to.events.waitFor((e) => e.type === 'message' && e.text === text, timeoutMs, mark);
}

/** What `s` saved about endpoints with `of`: whether it hosts one, and the one `of` hosts for it. */
export async function savedEndpoint(s: SottoInstance, of: SottoInstance) {
  await s.core.flush();
  const vault = await openVault(join(s.dir, 'vault.sotto'), null);
  try {
    const serviceId = of.address.slice('ricochet:'.length);
    const e = vault.state.contacts.find((c) => c.serviceId === serviceId)?.endpoint;
    return e && { hosted: e.ourEndpointKey !== undefined, peer: e.peerEndpointServiceId };
  } finally {
    vault.close();
  }
}
