import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { OnionDescriptorNotFoundError } from '../../src/onion/tor-errors.js';
import type { OnionListener, TorEvent } from '../../src/onion/tor-provider.js';
import {
  dialWithRetry,
  InboundConnections,
  isAlive,
  nextEvent,
  readBytes,
  tempDir,
  TOR_TEST_LIMITS,
} from '../support/tor-test-helpers.js';

const clientLines = inject('torTestnetClientTorrc');
const POLL = { timeout: 30_000 };

describe('launch mode on the private network', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let server: RealTorProvider;
  let client: RealTorProvider;
  const serverEvents: TorEvent[] = [];
  let listener: OnionListener;
  const inbound = new InboundConnections();
  let key: IdentityKey;

  beforeAll(async () => {
    const a = await tempDir('launch-a');
    const b = await tempDir('launch-b');
    cleanups.push(a.remove, b.remove);
    server = createTorProvider({
      mode: 'launch',
      ...TOR_TEST_LIMITS,
      dataDir: a.dir,
      extraTorrcLines: clientLines,
    });
    client = createTorProvider({
      mode: 'launch',
      ...TOR_TEST_LIMITS,
      dataDir: b.dir,
      extraTorrcLines: clientLines,
    });
    server.onEvent((event) => serverEvents.push(event));
    await Promise.all([server.bootstrap(), client.bootstrap()]);
    key = IdentityKey.generate();
    listener = await server.listen(key.expandedKey(), inbound.accept);
  });

  afterAll(async () => {
    await server.close();
    await client.close();
    for (const cleanup of cleanups) await cleanup();
  });

  it('reports bootstrap progress up to 100 and ready', () => {
    const progress = serverEvents.flatMap((e) => (e.type === 'bootstrap' ? [e.progress] : []));
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    expect(serverEvents.some((e) => e.type === 'ready')).toBe(true);
  });

  it('publishes the onion of the given key', () => {
    expect(listener.serviceId).toBe(key.serviceId);
    expect(serverEvents).toContainEqual({ type: 'onion-published', serviceId: key.serviceId });
  });

  it('connects through SOCKS and moves bytes both ways', async () => {
    const outbound = await dialWithRetry(client, key.serviceId, 9878, 'contact-1');
    const request = randomBytes(4_096);
    outbound.write(request);
    const { socket: peer, bytes } = await inbound.firstDelivering(request.length);
    expect(bytes.equals(request)).toBe(true);
    const response = randomBytes(70_000);
    peer.write(response);
    expect((await readBytes(outbound, response.length)).equals(response)).toBe(true);
    outbound.destroy();
  });

  it('a second isolation key gets its own connection too', async () => {
    const before = inbound.sockets.length;
    const outbound = await dialWithRetry(client, key.serviceId, 9878, 'contact-2');
    outbound.write('x');
    await expect.poll(() => inbound.sockets.length, POLL).toBeGreaterThan(before);
    outbound.destroy();
  });

  it('maps an unpublished onion to OnionDescriptorNotFoundError', async () => {
    const nobody = IdentityKey.generate().serviceId;
    await expect(client.connect(nobody, 9878, 'contact-3')).rejects.toBeInstanceOf(
      OnionDescriptorNotFoundError,
    );
  });

  it('restarts a tor that died and re-publishes the onion', async () => {
    const pid = server.torPid;
    if (pid === undefined) throw new Error('no pid');
    const exited = nextEvent(server, 'tor-exited');
    process.kill(pid, 'SIGKILL');
    expect(await exited).toMatchObject({ type: 'tor-exited', signal: 'SIGKILL' });
    expect(isAlive(pid)).toBe(false);
    const restarted = nextEvent(server, 'tor-restarted', 150_000);
    await server.restart();
    await restarted;
    expect(server.torPid).not.toBe(pid);
    const before = inbound.sockets.length;
    // The client may hold the dead tor's descriptor (stale intro points) until it refetches: allow
    // tor its retry cycle under load.
    const outbound = await dialWithRetry(client, key.serviceId, 9878, 'contact-4', 120_000);
    outbound.write('after restart');
    await expect.poll(() => inbound.sockets.length, POLL).toBeGreaterThan(before);
    outbound.destroy();
  });

  it('leaves no tor process after close', async () => {
    const pids = [server.torPid, client.torPid];
    await server.close();
    await client.close();
    for (const pid of pids) {
      expect(pid).toBeDefined();
      expect(isAlive(pid ?? 0)).toBe(false);
    }
  });
});
