// The onion service's local listener under a flood of inbound sockets (what tor forwards for every
// onion stream): at most MAX_INBOUND_CONNECTIONS are handed on, the rest are closed on arrival, and
// slots free up again when sockets close. Real loopback sockets; no tor needed for the listener.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { MAX_INBOUND_CONNECTIONS, OnionService } from '../../src/onion/onion-service.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) resolve();
    socket.once('close', () => resolve());
    socket.resume();
  });

describe('OnionService listener', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('hands on at most MAX_INBOUND_CONNECTIONS sockets and closes the excess', async () => {
    const accepted: Socket[] = [];
    const service = await OnionService.open(
      IdentityKey.generate().expandedKey(),
      ({ socket }) => accepted.push(socket as Socket),
      { listen: { host: '127.0.0.1', port: 0 } },
    );
    cleanups.push(() => service.close());
    const { port } = service.localAddress;
    const clients: Socket[] = [];
    cleanups.push(() => clients.forEach((c) => c.destroy()));
    for (let i = 0; i < MAX_INBOUND_CONNECTIONS; i++) clients.push(await open(port));
    const extra = await open(port);
    clients.push(extra);
    await closed(extra); // refused by the listener: closed without being handed on
    expect(accepted.length).toBe(MAX_INBOUND_CONNECTIONS);
    // A slot frees up when a socket closes; the next one is handed on again.
    const first = accepted[0] as Socket;
    const firstClosed = new Promise((resolve) => first.once('close', resolve));
    first.destroy();
    await firstClosed;
    const later = await open(port);
    clients.push(later);
    while (accepted.length === MAX_INBOUND_CONNECTIONS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(accepted.length).toBe(MAX_INBOUND_CONNECTIONS + 1);
  });
});
