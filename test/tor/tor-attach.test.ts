import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdentityKey } from '../../src/onion/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { OnionDescriptorNotFoundError, TorAttachError } from '../../src/onion/tor-errors.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';
import { startFilteringProxy, type FilteringProxy } from '../support/filtering-control-proxy.js';
import { startStandaloneTor, type StandaloneTor } from '../support/standalone-tor.js';
import { isAlive, readBytes, tempDir } from '../support/tor-test-helpers.js';

const clientLines = inject('torTestnetClientTorrc');
/** A stall fails as a typed error inside the test timeout rather than as a vitest timeout. */
const STALL_LIMITS = { publishTimeoutMs: 90_000, socksTimeoutMs: 60_000 } as const;

describe('attach mode', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let system: StandaloneTor;
  let dialer: RealTorProvider;

  beforeAll(async () => {
    const a = await tempDir('system-tor');
    const b = await tempDir('dialer');
    cleanups.push(a.remove, b.remove);
    const password = randomBytes(12).toString('hex');
    const dialerProvider = createTorProvider({
      mode: 'launch',
      ...STALL_LIMITS,
      dataDir: b.dir,
      extraTorrcLines: clientLines,
    });
    [system] = await Promise.all([
      startStandaloneTor(a.dir, clientLines, password),
      dialerProvider.bootstrap(),
    ]);
    dialer = dialerProvider;
  });

  afterAll(async () => {
    await dialer.close();
    await system.stop();
    for (const cleanup of cleanups) await cleanup();
  });

  /** Publishes through `provider`, dials from the launched tor, moves bytes both ways. */
  async function publishAndTalk(provider: RealTorProvider): Promise<void> {
    const key = IdentityKey.generate();
    const inbound: Duplex[] = [];
    const listener = await provider.listen(key.expandedKey(), ({ socket }) => inbound.push(socket));
    expect(listener.serviceId).toBe(key.serviceId);
    let outbound: Duplex | undefined;
    for (let attempt = 0; outbound === undefined; attempt++) {
      try {
        outbound = await dialer.connect(key.serviceId, 9878, `attach-${attempt}`);
      } catch (error) {
        // Only where publish could not be confirmed (filtered HS_DESC) may the descriptor lag.
        if (!(error instanceof OnionDescriptorNotFoundError) || attempt >= 5) throw error;
        await sleep(2_000);
      }
    }
    outbound.write('hello');
    await expect.poll(() => inbound.length).toBeGreaterThan(0);
    const peer = inbound[0];
    if (peer === undefined) throw new Error('no inbound');
    expect((await readBytes(peer, 5)).toString()).toBe('hello');
    peer.write('world');
    expect((await readBytes(outbound, 5)).toString()).toBe('world');
    outbound.destroy();
    await listener.close();
  }

  it('attaches with the cookie file from the environment, publishes and is reachable', async () => {
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: {
        TOR_CONTROL_HOST: '127.0.0.1',
        TOR_CONTROL_PORT: String(system.controlPort),
        TOR_CONTROL_COOKIE_AUTH_FILE: system.cookieFile,
      },
    });
    const events: TorEvent[] = [];
    provider.onEvent((event) => events.push(event));
    await provider.bootstrap();
    expect(events).toContainEqual({ type: 'ready' });
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    await publishAndTalk(provider);
    await provider.close();
    expect(isAlive(system.pid)).toBe(true);
  });

  it('attaches with the password, never echoing it', async () => {
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: {
        TOR_CONTROL_PORT: String(system.controlPort),
        TOR_CONTROL_PASSWD: system.password,
        TOR_SOCKS_PORT: String(system.socksPort),
      },
    });
    const events: TorEvent[] = [];
    provider.onEvent((event) => events.push(event));
    await provider.bootstrap();
    await publishAndTalk(provider);
    await provider.close();
    expect(JSON.stringify(events)).not.toContain(system.password);
    expect(isAlive(system.pid)).toBe(true);
  });

  it('refuses a wrong password with TorAttachError that does not contain it', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: { TOR_CONTROL_PORT: String(system.controlPort), TOR_CONTROL_PASSWD: wrong },
      cookieFile: '/nonexistent/cookie',
    });
    const error = await provider.bootstrap().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TorAttachError);
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error);
    expect(text).not.toContain(wrong);
    await provider.close();
  });

  it('sends nothing that changes the system tor (every command recorded by a pass-through)', async () => {
    const recorder = await startFilteringProxy({
      upstream: { host: '127.0.0.1', port: system.controlPort },
      upstreamPassword: system.password,
      allow: () => true,
    });
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: { TOR_CONTROL_PORT: String(recorder.port) },
    });
    await provider.bootstrap();
    await publishAndTalk(provider);
    await provider.close();
    await recorder.close();
    const keywords = new Set(recorder.seen.map((line) => line.split(' ')[0]));
    for (const forbidden of [
      'SETCONF',
      'RESETCONF',
      'SAVECONF',
      'LOADCONF',
      'TAKEOWNERSHIP',
      'SIGNAL',
    ]) {
      expect(keywords.has(forbidden)).toBe(false);
    }
    expect(keywords.has('ADD_ONION')).toBe(true);
    expect(isAlive(system.pid)).toBe(true);
  });

  describe('behind a filtering control proxy (NULL auth, 510 for the rest)', () => {
    let proxy: FilteringProxy;
    beforeAll(async () => {
      proxy = await startFilteringProxy({
        upstream: { host: '127.0.0.1', port: system.controlPort },
        upstreamPassword: system.password,
        allow: (line) => /^(ADD_ONION ED25519-V3:|DEL_ONION )/u.test(line),
      });
    });
    afterAll(async () => {
      await proxy.close();
    });

    it('still publishes and connects, saying what it could not check', async () => {
      const provider = createTorProvider({
        mode: 'attach',
        ...STALL_LIMITS,
        env: { TOR_CONTROL_PORT: String(proxy.port), TOR_SOCKS_PORT: String(system.socksPort) },
        unconfirmedPublishWaitMs: 3_000,
      });
      const events: TorEvent[] = [];
      provider.onEvent((event) => events.push(event));
      await provider.bootstrap();
      expect(events).toContainEqual({ type: 'ready' });
      await publishAndTalk(provider);
      const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
      expect(warnings.some((m) => m.includes('HS_DESC'))).toBe(true);
      expect(warnings.some((m) => m.includes('bootstrap'))).toBe(true);
      expect(proxy.seen.some((line) => line.startsWith('ADD_ONION'))).toBe(true);
      expect(proxy.seen.some((line) => /^(TAKEOWNERSHIP|SETCONF|RESETCONF)/u.test(line))).toBe(
        false,
      );
      await provider.close();
    });
  });
});
