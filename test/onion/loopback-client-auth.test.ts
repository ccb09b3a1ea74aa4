// The loopback TorProvider does what tor does with onion client authorization and dark onions
// (docs/SEAMS.md §3), so core tests see tor's answers: an onion listened with `clientAuthV3` is
// reached only by a provider holding a matching secret (none: 0xF4, a wrong one: 0xF5); a dark
// onion (`publish: false`, `setPublished(false)`) and a closed one fail like 0xF0. The x25519
// keys are RFC 7748 §6.1's Alice and Bob, so the public halves come from the RFC, not from us.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import {
  InvalidOnionArgumentError,
  OnionBadClientAuthError,
  OnionDescriptorNotFoundError,
  OnionMissingClientAuthError,
} from '../../src/onion/tor-errors.js';
import type { InboundConnection, TorEvent } from '../../src/onion/tor-provider.js';
import { ALICE_SECRET, ALICE_PUBLIC, BOB_SECRET } from '../support/x25519-vectors.js';

const providers: LoopbackTorProvider[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function world(): { host: LoopbackTorProvider; dialer: LoopbackTorProvider } {
  const network = new LoopbackTorNetwork();
  const host = new LoopbackTorProvider({ network });
  const dialer = new LoopbackTorProvider({ network });
  providers.push(host, dialer);
  return { host, dialer };
}

async function echoes(dialer: LoopbackTorProvider, serviceId: string): Promise<boolean> {
  const socket = await dialer.connect(serviceId, 9878, 'iso');
  socket.write('ping');
  const [data] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return data.toString() === 'ping';
}

const echo = ({ socket }: InboundConnection): void => void socket.pipe(socket);

describe('LoopbackTorProvider: client authorization', () => {
  it('lets in only a dialler holding the matching x25519 secret', async () => {
    const { host, dialer } = world();
    const key = IdentityKey.generate();
    const listener = await host.listen(key.expandedKey(), echo, { clientAuthV3: [ALICE_PUBLIC] });

    await expect(dialer.connect(key.serviceId, 9878, 'iso')).rejects.toBeInstanceOf(
      OnionMissingClientAuthError,
    );
    const missing = await dialer.connect(key.serviceId, 9878, 'iso').catch((e: unknown) => e);
    expect(missing).toMatchObject({ replyCode: 0xf4 });

    await dialer.addClientAuth(key.serviceId, BOB_SECRET);
    const bad = await dialer.connect(key.serviceId, 9878, 'iso').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OnionBadClientAuthError);
    expect(bad).toMatchObject({ replyCode: 0xf5 });

    await dialer.addClientAuth(key.serviceId, ALICE_SECRET); // replaces Bob's
    expect(await echoes(dialer, key.serviceId)).toBe(true);
    expect(host.inbound).toHaveLength(1);

    await dialer.removeClientAuth(key.serviceId);
    await expect(dialer.connect(key.serviceId, 9878, 'iso')).rejects.toBeInstanceOf(
      OnionMissingClientAuthError,
    );
    expect(host.inbound).toHaveLength(1);
    await listener.close();
  });

  it('needs no credential for an onion without client authorization, and ignores one held', async () => {
    const { host, dialer } = world();
    const key = IdentityKey.generate();
    await host.listen(key.expandedKey(), echo, { clientAuthV3: [] });
    expect(await echoes(dialer, key.serviceId)).toBe(true);
    await dialer.addClientAuth(key.serviceId, BOB_SECRET);
    expect(await echoes(dialer, key.serviceId)).toBe(true);
  });

  it('removing a credential never held is no error', async () => {
    const { dialer } = world();
    await expect(dialer.removeClientAuth(IdentityKey.generate().serviceId)).resolves.toBe(
      undefined,
    );
  });

  it('refuses a secret or a public key that is not 32 bytes, and a port outside 1–65535', async () => {
    const { host, dialer } = world();
    const id = IdentityKey.generate();
    await expect(
      dialer.addClientAuth(id.serviceId, ALICE_SECRET.subarray(0, 31)),
    ).rejects.toBeInstanceOf(InvalidOnionArgumentError);
    await expect(
      host.listen(id.expandedKey(), echo, { clientAuthV3: [new Uint8Array(33)] }),
    ).rejects.toBeInstanceOf(InvalidOnionArgumentError);
    for (const port of [0, 65_536, 1.5]) {
      await expect(host.listen(id.expandedKey(), echo, { port })).rejects.toBeInstanceOf(
        InvalidOnionArgumentError,
      );
    }
  });
});

describe('LoopbackTorProvider: dark onions', () => {
  it('a listener opened with publish: false is not reachable until it is published', async () => {
    const { host, dialer } = world();
    const events: TorEvent[] = [];
    host.onEvent((event) => events.push(event));
    const key = IdentityKey.generate();
    const listener = await host.listen(key.expandedKey(), echo, { publish: false });
    expect(listener.published).toBe(false);
    expect(events).toEqual([]);
    await expect(dialer.connect(key.serviceId, 9878, 'iso')).rejects.toBeInstanceOf(
      OnionDescriptorNotFoundError,
    );

    await listener.setPublished(true);
    expect(listener.published).toBe(true);
    expect(events).toEqual([{ type: 'onion-published', serviceId: key.serviceId }]);
    expect(await echoes(dialer, key.serviceId)).toBe(true);

    await listener.setPublished(false);
    expect(listener.published).toBe(false);
    const dark = await dialer.connect(key.serviceId, 9878, 'iso').catch((e: unknown) => e);
    expect(dark).toBeInstanceOf(OnionDescriptorNotFoundError);
    expect(dark).toMatchObject({ replyCode: 0xf0 });

    // Published again: the same listener, the same key.
    await listener.setPublished(true);
    expect(await echoes(dialer, key.serviceId)).toBe(true);
    await listener.close();
    await expect(dialer.connect(key.serviceId, 9878, 'iso')).rejects.toBeInstanceOf(
      OnionDescriptorNotFoundError,
    );
    await expect(listener.setPublished(true)).rejects.toThrow();
  });

  it('a dark onion keeps its client authorization when published again', async () => {
    const { host, dialer } = world();
    const key = IdentityKey.generate();
    const listener = await host.listen(key.expandedKey(), echo, {
      clientAuthV3: [ALICE_PUBLIC],
      publish: false,
    });
    await listener.setPublished(true);
    await expect(dialer.connect(key.serviceId, 9878, 'iso')).rejects.toBeInstanceOf(
      OnionMissingClientAuthError,
    );
    await dialer.addClientAuth(key.serviceId, ALICE_SECRET);
    expect(await echoes(dialer, key.serviceId)).toBe(true);
  });

  it('keeps the old call shape: listen(key, onConnection, signal)', async () => {
    const { host, dialer } = world();
    const key = IdentityKey.generate();
    const listener = await host.listen(key.expandedKey(), echo, new AbortController().signal);
    expect(listener.published).toBe(true);
    expect(await echoes(dialer, key.serviceId)).toBe(true);
  });
});
