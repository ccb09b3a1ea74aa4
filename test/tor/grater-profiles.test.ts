// Sotto attached to a tor behind an onion-grater-like filter in a SEPARATE process, driven by the
// profiles we ship (contrib/tails/sotto.yml, contrib/whonix/40_sotto.yml), on the private network:
// every command Sotto sends passes the profile (no 510, no degraded-mode warning), the onion is
// published and reachable, and on Whonix the filter's rewrite of the ADD_ONION target to the
// client's address is what makes the onion reachable at all.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';
import { bundleGrater, startGrater } from '../support/grater-runner.js';
import type { StandaloneTor } from '../support/standalone-tor.js';
import { isAlive, tempDir } from '../support/tor-test-helpers.js';
import { publishAndTalk as talk, STALL_LIMITS, startAttachWorld } from './attach-support.js';

const clientLines = inject('torTestnetClientTorrc');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('behind the shipped onion-grater profiles (filter in its own process)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let system: StandaloneTor;
  let dialer: RealTorProvider;
  let bundle: string;

  beforeAll(async () => {
    const c = await tempDir('grater-bundle');
    cleanups.push(c.remove);
    [{ system, dialer }, bundle] = await Promise.all([
      startAttachWorld('grater', clientLines, cleanups),
      bundleGrater(c.dir),
    ]);
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  const publishAndTalk = (provider: RealTorProvider): Promise<void> => talk(provider, dialer);

  it('Tails: every command passes contrib/tails/sotto.yml, the onion is reachable', async () => {
    const grater = await startGrater(
      bundle,
      'contrib/tails/sotto.yml',
      system.controlPort,
      system.password,
    );
    // No TOR_SOCKS_*: Sotto asks for the SOCKS listener too, as with --tor-control on Tails.
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: { TOR_CONTROL_PORT: String(grater.port) },
      unauthenticatedControl: 'tails',
    });
    const events: TorEvent[] = [];
    provider.onEvent((event) => events.push(event));
    try {
      await provider.bootstrap();
      await publishAndTalk(provider);
    } finally {
      await provider.close();
      await grater.stop();
    }
    expect(events).toContainEqual({ type: 'control-access', access: 'tails' });
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    expect(grater.seen.filter((s) => s.verdict === 'filtered')).toEqual([]);
    // PROTOCOLINFO and AUTHENTICATE the filter answers itself; these reach the profile.
    const keywords = new Set(grater.seen.map((s) => s.line.split(' ')[0]));
    expect([...keywords].sort()).toEqual(['ADD_ONION', 'DEL_ONION', 'GETINFO', 'SETEVENTS']);
    expect(grater.seen.map((s) => s.line)).toContain('GETINFO net/listeners/socks');
    expect(isAlive(system.pid)).toBe(true);
  });

  it("Whonix: the gateway profile points the onion at the workstation's address", async () => {
    const grater = await startGrater(
      bundle,
      'contrib/whonix/40_sotto.yml',
      system.controlPort,
      system.password,
    );
    const port = await freePort();
    // Sotto names a target nobody listens on (127.0.0.2; the listener is on 127.0.0.1): only the
    // filter's rewrite to the client's own address ({client-address}) lets peers reach us.
    const provider = createTorProvider({
      mode: 'attach',
      ...STALL_LIMITS,
      env: { TOR_CONTROL_PORT: String(grater.port), TOR_SOCKS_PORT: String(system.socksPort) },
      unauthenticatedControl: 'whonix',
      listen: { host: '127.0.0.1', port },
      onionTarget: { host: '127.0.0.2', port },
    });
    const events: TorEvent[] = [];
    provider.onEvent((event) => events.push(event));
    try {
      await provider.bootstrap();
      await publishAndTalk(provider);
    } finally {
      await provider.close();
      await grater.stop();
    }
    expect(events).toContainEqual({ type: 'control-access', access: 'whonix' });
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    expect(grater.seen.filter((s) => s.verdict === 'filtered')).toEqual([]);
    expect(grater.seen.some((s) => s.line.endsWith(`Port=9878,127.0.0.2:${port}`))).toBe(true);
    expect(grater.rewritten.some((line) => line.endsWith(`Port=9878,127.0.0.1:${port}`))).toBe(
      true,
    );
  });
});
