// An obfs4 bridge on the private network: a Sotto-launched tor configured from network settings
// (UseBridges 1, the bridge's obfs4 line, ClientTransportPlugin obfs4 exec …) bootstraps through the
// bridge only, reaches a peer's onion and chats with another Sotto user; a wrong cert or a closed
// port never bootstraps and is explained by bootstrap-problems. (ReachableAddresses cannot be added on this network: tor's path
// check counts only consensus relays as directly reachable and the unpublished bridge is not one,
// so it stops at 75% with "Not enough acceptable routers (0/3 direct …)". We prove "only the
// bridge" from tor's own GETINFO orconn-status and entry-guards instead.)
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BootstrapStallDetector,
  explainBootstrapWarning,
  type BootstrapContext,
} from '../../src/onion/bootstrap-problems.js';
import { authenticate, getInfo, TorControlConnection } from '../../src/onion/control/index.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { type NetworkSettings } from '../../src/onion/network-settings.js';
import { torConfigForNetworkSettings } from '../../src/onion/network-torrc.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { SocksConnectError, TorStartError } from '../../src/onion/tor-errors.js';
import { parseControlPortFile } from '../../src/onion/tor-process.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';
import { findTransportPrograms, transportLookup } from '../../src/onion/transport-binaries.js';
import { startObfs4Bridge, type Obfs4Bridge } from '../../tor/testnet-bridge.js';
import { readBytes, tempDir } from '../support/tor-test-helpers.js';
import { SottoInstance, befriend } from './messenger-support.js';

const clientLines = inject('torTestnetClientTorrc');
const obfs4Context: BootstrapContext = {
  usingBridges: true,
  usingProxy: false,
  transport: 'obfs4',
};

async function launchWith(
  settings: NetworkSettings,
  prefix: string,
  cleanups: (() => Promise<void>)[],
  bootstrapTimeoutMs?: number,
): Promise<{ provider: RealTorProvider; dataDir: string; events: TorEvent[] }> {
  const { dir, remove } = await tempDir(prefix);
  const config = torConfigForNetworkSettings(
    settings,
    transportLookup(await findTransportPrograms()),
  );
  const provider = createTorProvider({
    mode: 'launch',
    dataDir: dir,
    socksTimeoutMs: 30_000,
    extraTorrcLines: [...clientLines, ...config.torrcLines],
    secretConf: config.secretConf,
    ...(bootstrapTimeoutMs !== undefined ? { bootstrapTimeoutMs } : {}),
  });
  const events: TorEvent[] = [];
  provider.onEvent((event) => events.push(event));
  cleanups.push(async () => {
    await provider.close();
    await remove();
  });
  return { provider, dataDir: dir, events };
}

async function controlOf(dataDir: string): Promise<TorControlConnection> {
  const endpoint = parseControlPortFile(await readFile(path.join(dataDir, 'control-port'), 'utf8'));
  if (endpoint === undefined) throw new Error('no control port file');
  const control = await TorControlConnection.connect(endpoint);
  await authenticate(control, { cookieFile: path.join(dataDir, 'control_auth_cookie') });
  return control;
}

async function connectWithRetry(provider: RealTorProvider, serviceId: string): Promise<Duplex> {
  const deadline = Date.now() + 150_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await provider.connect(serviceId, 9878, `contact-${attempt}`);
    } catch (error) {
      if (!(error instanceof SocksConnectError) || Date.now() > deadline) throw error;
      await sleep(2_000);
    }
  }
}

describe('obfs4 bridge on the private network', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let bridge: Obfs4Bridge;
  let peer: RealTorProvider;
  let bridged: { provider: RealTorProvider; dataDir: string; events: TorEvent[] };
  // Every inbound connection with the bytes it delivered (a failed dial attempt may still have
  // reached the listener, so the test finds the connection that carries its own bytes).
  const inbound: { socket: Duplex; received: Buffer[] }[] = [];
  let key: IdentityKey;

  beforeAll(async () => {
    bridge = await startObfs4Bridge({ testnetLines: clientLines });
    cleanups.push(() => bridge.stop());
    const direct = await launchWith({ mode: 'direct' }, 'bridge-peer', cleanups);
    peer = direct.provider;
    bridged = await launchWith(
      { mode: 'custom', customBridges: [`Bridge ${bridge.bridgeLine}`] },
      'bridged',
      cleanups,
    );
    await Promise.all([peer.bootstrap(), bridged.provider.bootstrap()]);
    key = IdentityKey.generate();
    await peer.listen(key.expandedKey(), ({ socket }) => {
      const entry = { socket, received: [] as Buffer[] };
      socket.on('data', (chunk: Buffer) => entry.received.push(chunk));
      socket.on('error', () => undefined);
      inbound.push(entry);
    });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('the bridge line read back from the bridge is a valid obfs4 line', () => {
    expect(bridge.bridgeLine).toMatch(
      /^obfs4 127\.0\.0\.1:\d+ [0-9A-F]{40} cert=[A-Za-z0-9+/]{70} iat-mode=0$/,
    );
  });

  it('bootstraps to 100% through the pluggable transport', () => {
    const tags = bridged.events.flatMap((e) => (e.type === 'bootstrap' ? [e.tag] : []));
    expect(tags).toContain('conn_pt');
    expect(tags).toContain('conn_done_pt');
    expect(tags.at(-1)).toBe('done');
    expect(bridged.events.some((e) => e.type === 'ready')).toBe(true);
    expect(bridged.events.some((e) => e.type === 'bootstrap-problem')).toBe(false);
  });

  it("tor's own state: its only guard and its only OR connections are the bridge", async () => {
    const control = await controlOf(bridged.dataDir);
    try {
      const info = await getInfo(control, ['orconn-status', 'entry-guards']);
      const orconns = (info.get('orconn-status') ?? '').split('\n').filter((l) => l !== '');
      expect(orconns.length).toBeGreaterThan(0);
      for (const line of orconns) expect(line.startsWith(`$${bridge.fingerprint}`)).toBe(true);
      const guards = (info.get('entry-guards') ?? '').split('\n').filter((l) => l !== '');
      expect(guards.length).toBeGreaterThan(0);
      for (const line of guards) expect(line).toContain(bridge.fingerprint);
    } finally {
      control.close();
    }
  });

  it("reaches a peer's onion through the bridge and moves bytes both ways", async () => {
    // listen() resolves at the first HS_DESC UPLOADED; the HSDir the client asks may get the
    // descriptor later, so a failed dial is retried (as the messenger does), 30 s per attempt.
    const outbound = await connectWithRetry(bridged.provider, key.serviceId);
    const request = randomBytes(4_096);
    outbound.write(request);
    const carrying = (): Duplex | undefined =>
      inbound.find((entry) => Buffer.concat(entry.received).equals(request))?.socket;
    await expect.poll(carrying, { timeout: 60_000 }).toBeDefined();
    const socket = carrying();
    if (socket === undefined) throw new Error('no inbound connection carried the request');
    const response = randomBytes(50_000);
    socket.write(response);
    expect((await readBytes(outbound, response.length)).equals(response)).toBe(true);
    outbound.destroy();
  });

  it('two Sotto users chat while one of them reaches Tor only through the bridge', async () => {
    const config = torConfigForNetworkSettings(
      { mode: 'custom', customBridges: [bridge.bridgeLine] },
      transportLookup(await findTransportPrograms()),
    );
    const alice = await SottoInstance.create('bridged', [...clientLines, ...config.torrcLines]);
    const bob = await SottoInstance.create('direct', clientLines);
    cleanups.push(
      () => alice.remove(),
      () => bob.remove(),
    );
    await Promise.all([alice.start(), bob.start()]);
    await befriend(alice, bob);
    for (const [from, to, text] of [
      [alice, bob, 'through obfs4'],
      [bob, alice, 'and back to the bridged side'],
    ] as const) {
      const mark = to.events.mark;
      await from.core.dispatch({ type: 'send', address: to.address, text });
      const got = await to.events.waitFor((e) => e.type === 'message', 60_000, mark);
      expect(got).toMatchObject({ address: from.address, text });
    }
  });

  it('negative controls: a wrong cert or a closed port never bootstraps and is explained', async () => {
    const otherCert = bridge.cert.startsWith('A')
      ? `B${bridge.cert.slice(1)}`
      : `A${bridge.cert.slice(1)}`;
    const wrongCert = bridge.bridgeLine.replace(bridge.cert, otherCert);
    const closedPort = `127.0.0.1:${bridge.orPort - 1} ${bridge.fingerprint}`;
    const [cert, port] = await Promise.all([
      launchWith({ mode: 'custom', customBridges: [wrongCert] }, 'bridge-cert', cleanups, 20_000),
      launchWith({ mode: 'custom', customBridges: [closedPort] }, 'bridge-port', cleanups, 20_000),
    ]);
    const detector = new BootstrapStallDetector(obfs4Context, 5_000, Date.now());
    const stalls: string[] = [];
    cert.provider.onEvent((event) => {
      if (event.type === 'bootstrap') detector.progress(event.progress, event.tag, Date.now());
    });
    const timer = setInterval(() => {
      const problem = detector.check(Date.now());
      if (problem !== undefined) stalls.push(problem.problem);
    }, 250);
    try {
      const results = await Promise.allSettled([
        cert.provider.bootstrap(),
        port.provider.bootstrap(),
      ]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TorStartError);
      }
    } finally {
      clearInterval(timer);
    }
    // obfs4 with a wrong cert: tor reaches the transport but never a relay, and reports nothing.
    const certProgress = cert.events.flatMap((e) => (e.type === 'bootstrap' ? [e.progress] : []));
    expect(Math.max(...certProgress)).toBeLessThan(5);
    expect(stalls).toContain('bridge-unreachable');
    // A plain bridge on a closed port: tor's BOOTSTRAP warnings, explained.
    const warnings = port.events.flatMap((e) => (e.type === 'bootstrap-problem' ? [e] : []));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]?.reason).toBe('CONNECTREFUSED');
    const explained = explainBootstrapWarning(
      { progress: 5, tag: 'conn', reason: warnings[0]?.reason ?? '' },
      { usingBridges: true, usingProxy: false },
    );
    expect(explained.problem).toBe('bridge-unreachable');
  });
});
