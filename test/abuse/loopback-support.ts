// Loopback harness for abuse tests and benches: a Sotto core on a fresh profile behind the loopback
// TorProvider (src/onion/loopback-tor-provider.ts: onions are plain TCP listeners on 127.0.0.1, the
// real Messenger, ConnectionManager and PeerLink run unchanged behind it), and raw Ricochet clients
// (RicochetConnection + the real PeerLink).
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger, type MessengerOptions } from '../../src/core/messenger.js';
import { PeerLink } from '../../src/core/peer-link.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import type { ConnectionEvent } from '../../src/protocol/connection-types.js';
import { createVault } from '../../src/profile/vault.js';
import { emptyVaultState, type ContactRecord } from '../../src/profile/vault-state.js';

/** A Sotto core on a fresh unprotected profile, behind a LoopbackTorProvider that records the bytes. */
export class LoopbackSotto {
  readonly events: CoreEvent[] = [];
  readonly #waiters = new Set<() => void>();
  private constructor(
    readonly dir: string,
    readonly key: IdentityKey,
    readonly tor: LoopbackTorProvider,
    readonly messenger: Messenger,
  ) {
    messenger.onEvent((e) => {
      this.events.push(e);
      for (const w of [...this.#waiters]) w();
    });
  }

  static async start(
    contacts: readonly IdentityKey[] = [],
    options: Partial<MessengerOptions> = {},
    key: IdentityKey = IdentityKey.generate(),
  ): Promise<LoopbackSotto> {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-abuse-'));
    await mkdir(join(dir, 'downloads'), { mode: 0o700 });
    const state = emptyVaultState({
      expandedKey: key.expandedKey(),
    });
    const records: ContactRecord[] = contacts.map((c) => ({
      serviceId: c.serviceId,
      nickname: `c${c.serviceId.slice(0, 6)}`,
      addedAt: 1,
      historyEnabled: false,
    }));
    const vault = await createVault(join(dir, 'vault.sotto'), null, {
      ...state,
      contacts: records,
    });
    const tor = new LoopbackTorProvider({ recordBytes: true });
    const messenger = new Messenger({
      tor,
      vault,
      downloadsDir: join(dir, 'downloads'),
      backoff: { baseMs: 60_000, capMs: 600_000, minMs: 60_000, likelyRejectedMs: 600_000 },
      ...options,
    });
    const sotto = new LoopbackSotto(dir, key, tor, messenger);
    await messenger.start();
    sotto.vaultClose = () => vault.close();
    return sotto;
  }

  vaultClose: () => void = () => undefined;

  /** The loopback port of our identity onion (endpoint onions have ports of their own). */
  get port(): number {
    return this.tor.network.portOf(this.key.serviceId) ?? this.tor.port;
  }

  waitFor(predicate: (e: CoreEvent) => boolean, timeoutMs = 30_000): Promise<CoreEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out waiting for a core event after ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.#waiters.add(wake);
    });
  }

  async stop(): Promise<void> {
    await this.messenger.close();
    this.vaultClose();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A raw Ricochet client: our own RicochetConnection behind the real PeerLink, over loopback TCP. */
export class RawPeer {
  readonly events: ConnectionEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly link: PeerLink;
  readonly socket: Socket;

  constructor(
    readonly key: IdentityKey,
    serverServiceId: string,
    port: number,
    options: { features?: readonly string[] } = {},
  ) {
    this.socket = createConnection({ host: '127.0.0.1', port });
    this.link = new PeerLink({
      socket: this.socket,
      connection: new RicochetConnection({
        role: 'client',
        identity: key,
        peerServiceId: serverServiceId,
        now: Date.now,
        random: (n) => new Uint8Array(randomBytes(n)),
        ...(options.features ? { features: options.features } : {}),
      }),
      onEvent: (_link, event) => {
        this.events.push(event);
        for (const w of [...this.#waiters]) w();
      },
    });
  }

  waitFor(type: ConnectionEvent['type'], timeoutMs = 30_000): Promise<ConnectionEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find((e) => e.type === type || e.type === 'closed');
        if (!found) return false;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        if (found.type !== type)
          reject(new Error(`closed before ${type}: ${String(reasonOf(found))}`));
        else resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out waiting for ${type}`));
      }, timeoutMs);
      if (!check()) this.#waiters.add(wake);
    });
  }
}

function reasonOf(e: ConnectionEvent): unknown {
  return e.type === 'closed' ? e.reason : undefined;
}

/** Rewrites `from` to `to` (same length) in what `socket` writes: a hostile client's bytes. */
export function rewriteOnWire(socket: Socket, from: string, to: string): void {
  const write = socket.write.bind(socket);
  const rewritten = (chunk: Uint8Array): boolean => {
    const bytes = Buffer.from(chunk);
    const at = bytes.indexOf(from);
    if (at >= 0) bytes.write(to, at);
    return write(bytes);
  };
  socket.write = rewritten;
}

/** Resolves when `socket` closed (the server hung up), rejects after `timeoutMs`. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket still open')), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A full garbage collection (to measure retained heap, not garbage). */
export async function collectGarbage(): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}
