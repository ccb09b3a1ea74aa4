import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import {
  OnionPublishTimeoutError,
  TorAttachError,
  TorNotRunningError,
  UnauthenticatedControlPortError,
} from '../../src/onion/tor-errors.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';
import { startFilteringProxy, type FilteringProxy } from '../support/filtering-control-proxy.js';
import type { StandaloneTor } from '../support/standalone-tor.js';
import { isAlive } from '../support/tor-test-helpers.js';
import { publishAndTalk as talk, STALL_LIMITS, startAttachWorld } from './attach-support.js';

const clientLines = inject('torTestnetClientTorrc');

describe('attach mode', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let system: StandaloneTor;
  let dialer: RealTorProvider;

  beforeAll(async () => {
    ({ system, dialer } = await startAttachWorld('attach', clientLines, cleanups));
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  const publishAndTalk = (provider: RealTorProvider): Promise<void> => talk(provider, dialer);

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
    try {
      const events: TorEvent[] = [];
      provider.onEvent((event) => events.push(event));
      await provider.bootstrap();
      expect(events).toContainEqual({ type: 'ready' });
      expect(events.filter((e) => e.type === 'warning')).toEqual([]);
      await publishAndTalk(provider);
    } finally {
      await provider.close();
    }
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
    try {
      await provider.bootstrap();
      await publishAndTalk(provider);
    } finally {
      await provider.close();
    }
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

  it('never sends the key to a control port without authentication that nobody vouched for', async () => {
    // A local user who squats the control port answers PROTOCOLINFO with AUTH METHODS=NULL.
    const squatter = await startFilteringProxy({
      upstream: { host: '127.0.0.1', port: system.controlPort },
      upstreamPassword: system.password,
      allow: () => true,
    });
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: { TOR_CONTROL_PORT: String(squatter.port), TOR_SOCKS_PORT: String(system.socksPort) },
    });
    try {
      const error = await provider.bootstrap().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthenticatedControlPortError);
      const key = IdentityKey.generate();
      const listening = await provider
        .listen(key.expandedKey(), () => undefined)
        .catch((e: unknown) => e);
      expect(listening).toBeInstanceOf(TorNotRunningError);
      expect(squatter.seen.some((line) => line.startsWith('ADD_ONION'))).toBe(false);
      expect(squatter.seen.join('\n')).not.toContain(key.torKeyBlob().slice('ED25519-V3:'.length));
    } finally {
      await provider.close();
      await squatter.close();
    }
  });

  it('says how it got in: authenticated with the cookie', async () => {
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: {
        TOR_CONTROL_PORT: String(system.controlPort),
        TOR_CONTROL_COOKIE_AUTH_FILE: system.cookieFile,
      },
    });
    const events: TorEvent[] = [];
    provider.onEvent((event) => events.push(event));
    try {
      await provider.bootstrap();
    } finally {
      await provider.close();
    }
    expect(events).toContainEqual({ type: 'control-access', access: 'authenticated' });
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
      unauthenticatedControl: 'user-opt-in',
    });
    try {
      await provider.bootstrap();
      await publishAndTalk(provider);
    } finally {
      await provider.close();
      await recorder.close();
    }
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

  describe('when HS_DESC UPLOADED never arrives (SETEVENTS accepted, events swallowed)', () => {
    let silent: FilteringProxy;
    beforeAll(async () => {
      silent = await startFilteringProxy({
        upstream: { host: '127.0.0.1', port: system.controlPort },
        upstreamPassword: system.password,
        allow: () => true,
        dropEvent: (line) => line.startsWith('HS_DESC '),
      });
    });
    afterAll(async () => {
      await silent.close();
    });

    it('listen fails with OnionPublishTimeoutError and removes the onion again', async () => {
      const provider = createTorProvider({
        mode: 'attach',
        env: { TOR_CONTROL_PORT: String(silent.port), TOR_SOCKS_PORT: String(system.socksPort) },
        unauthenticatedControl: 'user-opt-in',
        publishTimeoutMs: 2_000,
      });
      try {
        await provider.bootstrap();
        const key = IdentityKey.generate();
        const error = await provider
          .listen(key.expandedKey(), () => undefined)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OnionPublishTimeoutError);
        expect((error as OnionPublishTimeoutError).serviceId).toBe(key.serviceId);
        expect(silent.seen).toContain(`DEL_ONION ${key.serviceId}`);
      } finally {
        await provider.close();
      }
    });
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
        unauthenticatedControl: 'tails',
        unconfirmedPublishWaitMs: 3_000,
      });
      const events: TorEvent[] = [];
      provider.onEvent((event) => events.push(event));
      try {
        await provider.bootstrap();
        expect(events).toContainEqual({ type: 'ready' });
        expect(events).toContainEqual({ type: 'control-access', access: 'tails' });
        await publishAndTalk(provider);
      } finally {
        await provider.close();
      }
      const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
      expect(warnings.some((m) => m.includes('HS_DESC'))).toBe(true);
      expect(warnings.some((m) => m.includes('bootstrap'))).toBe(true);
      expect(proxy.seen.some((line) => line.startsWith('ADD_ONION'))).toBe(true);
      expect(proxy.seen.some((line) => /^(TAKEOWNERSHIP|SETCONF|RESETCONF)/u.test(line))).toBe(
        false,
      );
    });

    it('an abort during the unconfirmed wait rejects with its reason and removes the onion', async () => {
      const provider = createTorProvider({
        mode: 'attach',
        ...STALL_LIMITS,
        env: { TOR_CONTROL_PORT: String(proxy.port), TOR_SOCKS_PORT: String(system.socksPort) },
        unauthenticatedControl: 'user-opt-in',
        unconfirmedPublishWaitMs: 120_000,
      });
      const controller = new AbortController();
      const reason = new Error('user cancelled');
      // The warning comes right after ADD_ONION succeeded, as the blind wait begins.
      provider.onEvent((event) => {
        if (event.type === 'warning' && event.message.includes('cannot confirm the upload')) {
          controller.abort(reason);
        }
      });
      try {
        await provider.bootstrap();
        const key = IdentityKey.generate();
        const listening = provider.listen(key.expandedKey(), () => undefined, controller.signal);
        await expect(listening).rejects.toBe(reason);
        expect(proxy.seen).toContain(`DEL_ONION ${key.serviceId}`);
      } finally {
        await provider.close();
      }
    });
  });
});
