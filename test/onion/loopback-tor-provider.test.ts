// The loopback TorProvider that tests and benches share: onions published by one provider are
// reachable from another on the same network, hung dials end only on abort, unknown onions fail
// like tor's 0xF0, an offline tor refuses everything, and the counters count.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { LoopbackTorNetwork, LoopbackTorProvider } from '../../src/onion/loopback-tor-provider.js';
import { OnionDescriptorNotFoundError, TorNotRunningError } from '../../src/onion/tor-errors.js';
import type { InboundConnection, TorEvent } from '../../src/onion/tor-provider.js';

const providers: LoopbackTorProvider[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function provider(options: ConstructorParameters<typeof LoopbackTorProvider>[0]) {
  const made = new LoopbackTorProvider(options);
  providers.push(made);
  return made;
}

describe('LoopbackTorProvider', () => {
  it('carries bytes both ways between a listener and a dialler on one network', async () => {
    const network = new LoopbackTorNetwork();
    const server = provider({ network, recordBytes: true });
    const client = provider({
      network,
      latency: { seed: 7, maxDialDelayMs: 20, maxLatencyMs: 10 },
    });
    const key = IdentityKey.generate();
    const events: TorEvent[] = [];
    server.onEvent((event) => events.push(event));
    await server.bootstrap();
    const inbound: InboundConnection[] = [];
    const listener = await server.listen(key.expandedKey(), (c) => inbound.push(c));
    expect(listener.serviceId).toBe(key.serviceId);
    expect(events.map((e) => e.type)).toEqual(['bootstrap', 'ready', 'onion-published']);

    const socket = await client.connect(key.serviceId, 9878, 'iso');
    socket.write('ping');
    await expect.poll(() => inbound.length).toBe(1);
    const [data] = (await once(inbound[0]!.socket, 'data')) as [Buffer];
    expect(data.toString()).toBe('ping');
    inbound[0]!.socket.write('pong');
    const [reply] = (await once(socket, 'data')) as [Buffer];
    expect(reply.toString()).toBe('pong');
    expect(Buffer.concat(server.received).toString()).toBe('ping');
    expect([client.dials, client.inFlight, client.maxInFlight, server.inbound.length]).toEqual([
      1, 0, 1, 1,
    ]);
    socket.destroy();
    await listener.close();
    await expect(client.connect(key.serviceId, 9878, 'iso')).rejects.toBeInstanceOf(
      OnionDescriptorNotFoundError,
    );
  });

  it('keeps a hung dial in flight until its signal aborts', async () => {
    const tor = provider({ network: new LoopbackTorNetwork() });
    const target = IdentityKey.generate().serviceId;
    tor.hang.add(target);
    const abort = new AbortController();
    const dial = tor.connect(target, 9878, 'iso', abort.signal);
    expect(tor.inFlight).toBe(1);
    const reason = new Error('stop');
    abort.abort(reason);
    await expect(dial).rejects.toBe(reason);
    expect(tor.inFlight).toBe(0);
  });

  it('refuses everything when offline', async () => {
    const tor = provider({ offline: true });
    await expect(tor.bootstrap()).rejects.toBeInstanceOf(TorNotRunningError);
    await expect(
      tor.listen(IdentityKey.generate().expandedKey(), () => undefined),
    ).rejects.toBeInstanceOf(TorNotRunningError);
    await expect(tor.connect('x', 9878, 'iso')).rejects.toBeInstanceOf(TorNotRunningError);
  });
});
