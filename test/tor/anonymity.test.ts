// Anonymity of a real end-to-end run over the private Tor network (two Sotto cores, each with its
// own launched tor): the kernel's view of this process's sockets, sampled throughout, shows only
// loopback TCP to our own tors' ports and our own loopback onion listeners; no UDP; no DNS calls.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SottoInstance, befriend } from './messenger-support.js';
import { inetSocketsOf, type InetSocket } from './proc-sockets.js';

const testnet = inject('torTestnetClientTorrc');

type Dns = typeof import('node:dns');
const dns = createRequire(import.meta.url)('node:dns') as Dns;
const DNS_CALLS = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny'];
const dnsCalls: { call: string; host: string }[] = [];
const restore: (() => void)[] = [];

/** Counts calls into node:dns (callback and promise APIs); the real functions still run. */
function spyOnDns(): void {
  for (const [target, prefix] of [
    [dns as unknown as Record<string, unknown>, 'dns'],
    [dns.promises as unknown as Record<string, unknown>, 'dns.promises'],
  ] as const) {
    for (const name of DNS_CALLS) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      target[name] = function (this: unknown, ...args: unknown[]): unknown {
        dnsCalls.push({ call: `${prefix}.${name}`, host: String(args[0]) });
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      restore.push(() => (target[name] = original));
    }
  }
}

describe('anonymity: where a Sotto process connects during a real session', () => {
  let alice: SottoInstance;
  let bob: SottoInstance;
  const seen = new Map<string, InetSocket>();
  let sampler: NodeJS.Timeout | undefined;
  const sample = (): void => {
    for (const s of inetSocketsOf('self')) {
      seen.set(`${s.proto}:${s.inode}:${s.remoteHost}:${s.remotePort}:${s.state}`, s);
    }
  };

  beforeAll(async () => {
    spyOnDns();
    sample();
    sampler = setInterval(sample, 50);
    alice = await SottoInstance.create('anon-a', testnet);
    bob = await SottoInstance.create('anon-b', testnet);
    await Promise.all([alice.start(), bob.start()]);
  }, 240_000);

  afterAll(async () => {
    if (sampler) clearInterval(sampler);
    for (const undo of restore) undo();
    await alice?.remove();
    await bob?.remove();
  });

  it('every socket is loopback TCP to our tor or our own onion listener; no UDP, no DNS', async () => {
    await befriend(alice, bob);
    const from = bob.events.mark;
    await alice.core.dispatch({ type: 'send', address: bob.address, text: 'over tor only' });
    await bob.events.waitFor(
      (e) => e.type === 'message' && e.text === 'over tor only',
      60_000,
      from,
    );
    const path = join(alice.dir, 'notes.txt');
    await writeFile(path, Buffer.alloc(70_000, 0x42));
    await alice.core.dispatch({ type: 'send-file', address: bob.address, path });
    const offer = await bob.events.waitFor((e) => e.type === 'file-offer', 60_000, from);
    if (offer.type !== 'file-offer') throw new Error('no offer');
    await bob.core.dispatch({ type: 'accept-file', address: alice.address, fileId: offer.fileId });
    await bob.events.waitFor((e) => e.type === 'file-done' && e.result === 'success', 120_000);
    sample();

    // The ports our own tor processes listen on (control and SOCKS), read from their sockets.
    const torPids = [alice.tor?.torPid, bob.tor?.torPid].filter((p): p is number => !!p);
    expect(torPids).toHaveLength(2);
    const torPorts = new Set(
      torPids.flatMap((pid) =>
        inetSocketsOf(pid)
          .filter((s) => s.state === 'LISTEN')
          .map((s) => s.localPort),
      ),
    );
    const sockets = [...seen.values()];
    const listeners = sockets.filter((s) => s.state === 'LISTEN');
    const ownPorts = new Set(listeners.map((s) => s.localPort));
    const loopback = (h: string) => h === '127.0.0.1' || h === '::1' || h === '::ffff:127.0.0.1';

    const offending = sockets.filter((s) => {
      if (s.proto.startsWith('udp')) return true;
      if (!loopback(s.localHost)) return true;
      if (s.state === 'LISTEN') return false; // bound to loopback: our onion's local target
      if (!loopback(s.remoteHost)) return true;
      return !torPorts.has(s.remotePort) && !ownPorts.has(s.localPort);
    });
    console.info(
      `anonymity: ${sockets.length} socket observations, tor ports ${[...torPorts].join(',')},`,
      `own listeners ${[...ownPorts].join(',')}, dns calls ${JSON.stringify(dnsCalls)}`,
    );
    expect(offending).toEqual([]);
    // net.Server.listen(port, '127.0.0.1') routes even an IP literal through dns.lookup, which
    // answers literals itself without the resolver; any name (or any resolve*) would be a leak.
    expect(dnsCalls.filter((c) => c.call !== 'dns.lookup' || isIP(c.host) === 0)).toEqual([]);
    // Positive controls: the sampler saw our listeners and our connections to tor.
    expect(listeners.length).toBeGreaterThanOrEqual(2);
    expect(sockets.some((s) => torPorts.has(s.remotePort))).toBe(true);
    expect(sockets.some((s) => s.state !== 'LISTEN' && ownPorts.has(s.localPort))).toBe(true);
  }, 300_000);
});
