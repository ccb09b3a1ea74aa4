// Two Messengers over real loopback sockets (a TorProvider whose onions are local listeners):
// messages a restarted Messenger restores from its vault as queued reach the contact exactly once
// when both sides come up at the same time and dial each other (the duplicate-connection race).
import { createServer, connect, type Server } from 'node:net';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { Messenger } from '../../src/core/messenger.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import type {
  InboundConnection,
  OnionListener,
  TorEvent,
  TorProvider,
} from '../../src/onion/tor-provider.js';
import { createVault, type Vault } from '../../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../../src/profile/vault-state.js';

/** A socket seen with a fixed one-way latency each way (order kept), like a circuit. */
class LatencySocket extends Duplex {
  readonly #inner: Socket;
  readonly #ms: number;
  constructor(inner: Socket, ms: number) {
    super();
    this.#inner = inner;
    this.#ms = ms;
    inner.on('data', (c: Buffer) => setTimeout(() => this.push(c), ms));
    inner.on('end', () => setTimeout(() => this.push(null), ms));
    inner.on('close', () => setTimeout(() => this.destroy(), ms + 1));
    inner.on('error', () => undefined);
  }
  override _read(): void {}
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    setTimeout(() => {
      if (!this.#inner.destroyed) this.#inner.write(chunk);
    }, this.#ms);
    done();
  }
  override _final(done: () => void): void {
    setTimeout(() => this.#inner.end(), this.#ms);
    done();
  }
  override _destroy(error: Error | null, done: (e: Error | null) => void): void {
    setTimeout(() => this.#inner.destroy(), this.#ms);
    done(error);
  }
}

/** serviceId → loopback port of the Messenger that "publishes" it. */
const onions = new Map<string, number>();

class LoopbackTor implements TorProvider {
  readonly #servers = new Set<Server>();
  bootstrap(): Promise<void> {
    return Promise.resolve();
  }
  listen(blob: Uint8Array, onConnection: (c: InboundConnection) => void): Promise<OnionListener> {
    const serviceId = IdentityKey.fromExpandedKey(blob).serviceId;
    const server = createServer((socket) => onConnection({ socket }));
    this.#servers.add(server);
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (address !== null && typeof address === 'object') onions.set(serviceId, address.port);
        resolve({
          serviceId,
          close: () => {
            onions.delete(serviceId);
            return new Promise<void>((done) => server.close(() => done()));
          },
        });
      });
    });
  }
  connect(serviceId: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const port = onions.get(serviceId);
      if (port === undefined) {
        setTimeout(() => reject(new Error('onion not found')), 5);
        return;
      }
      // Circuits take different times: the two dials cross in every order.
      setTimeout(
        () => {
          const socket = connect(port, '127.0.0.1', () =>
            resolve(new LatencySocket(socket, Math.floor(Math.random() * 60))),
          );
          socket.once('error', reject);
        },
        Math.floor(Math.random() * 150),
      );
    });
  }
  onEvent(_listener: (event: TorEvent) => void): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    for (const s of this.#servers) s.close();
    return Promise.resolve();
  }
}

interface Side {
  readonly key: IdentityKey;
  readonly address: string;
  readonly vault: Vault;
  readonly messenger: Messenger;
  readonly events: CoreEvent[];
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function side(key: IdentityKey, patch: (s: VaultState) => VaultState): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-restart-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const state = emptyVaultState({ expandedKey: key.expandedKey() });
  const vault = await createVault(join(dir, 'vault.sotto'), null, patch(state));
  const messenger = new Messenger({
    tor: new LoopbackTor(),
    vault,
    downloadsDir: dir,
    backoff: { baseMs: 200, capMs: 400, minMs: 50, likelyRejectedMs: 60_000 },
  });
  cleanup.push(async () => {
    await messenger.close();
    vault.close();
  });
  const events: CoreEvent[] = [];
  messenger.onEvent((e) => events.push(e));
  return { key, address: `ricochet:${key.serviceId}`, vault, messenger, events };
}

const contact = (key: IdentityKey): VaultState['contacts'][number] => ({
  serviceId: key.serviceId,
  nickname: 'friend',
  addedAt: 1,
  historyEnabled: true,
});

async function until(check: () => boolean, what: () => string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting: ${what()}`);
}

describe('queued messages restored from the vault', () => {
  it('are delivered exactly once when both restarted sides dial each other at once', async () => {
    for (let round = 0; round < 12; round++) {
      const a = IdentityKey.generate();
      const b = IdentityKey.generate();
      const texts = ['queued before the crash 1', 'queued before the crash 2'];
      const sender = await side(a, (s) => ({
        ...s,
        contacts: [contact(b)],
        queues: {
          [b.serviceId]: texts.map((text, i) => ({
            localId: i + 1,
            text,
            at: 1_000 + i,
            state: 'queued' as const,
          })),
        },
      }));
      const receiver = await side(b, (s) => ({ ...s, contacts: [contact(a)] }));
      await Promise.all([
        sender.messenger.start(),
        new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150))).then(() =>
          receiver.messenger.start(),
        ),
      ]);
      const dump = (): string =>
        `round ${round}\nsender:\n${sender.events.map((e) => JSON.stringify(e)).join('\n')}\nreceiver:\n${receiver.events.map((e) => JSON.stringify(e)).join('\n')}`;
      const received = (text: string): number =>
        receiver.events.filter((e) => e.type === 'message' && e.text === text).length;
      await until(() => texts.every((t) => received(t) >= 1), dump);
      await until(() => sender.events.filter((e) => e.type === 'delivered').length >= 2, dump);
      for (const t of texts) expect(received(t), dump()).toBe(1);
      for (const c of cleanup.splice(0).reverse()) await c();
    }
  }, 120_000);
});
