// The private Tor network from the global setup works: a client tor joins it and bootstraps to
// 100%. A second, small network proves start/stop hygiene: exactly its PIDs end, its dir is removed.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startTestNetwork, TestNetworkError } from '../../tor/testnet.js';
import { CommandFailedError } from '../../tor/tor-process.js';
import { findFreePortBlock } from '../../tor/free-ports.js';
import { startClientTor } from './client-tor.js';
import { processesMentioning } from '../support/processes.js';

/** Inside the block of SOTTO_TESTNET_PORT_BASE when set (the global network uses its start). */
function portBaseAt(offset: number): number | undefined {
  const base = process.env['SOTTO_TESTNET_PORT_BASE'];
  return base ? Number(base) + offset : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('private Tor network', () => {
  it('a client tor joins and reaches Bootstrapped 100%', async () => {
    const lines = inject('torTestnetClientTorrc');
    expect(lines).toContain('TestingTorNetwork 1');
    expect(lines.filter((line) => line.startsWith('DirAuthority '))).toHaveLength(3);
    const client = await startClientTor({ testnetLines: lines });
    try {
      await client.waitForBootstrap();
      const control = await client.openControl();
      const reply = await control.command('GETINFO status/bootstrap-phase');
      control.close();
      expect(reply.status).toBe(250);
      expect(reply.lines.join(' ')).toContain('PROGRESS=100');
    } finally {
      await client.stop();
    }
  });

  it('stop() ends exactly its own tor processes and removes the directory it created', async () => {
    const network = await startTestNetwork({
      authorities: 1,
      relays: 1,
      portBase: portBaseAt(100),
    });
    expect(network.nodes.map((node) => node.role)).toEqual(['authority', 'relay']);
    expect((await stat(network.dir)).mode & 0o777).toBe(0o700);
    const pids = network.nodes.map((node) => node.pid);
    expect(pids.every(isAlive)).toBe(true);
    await network.stop();
    expect(pids.some(isAlive)).toBe(false);
    await expect(stat(network.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await network.stop(); // idempotent
  });

  it('refuses a port block that is in use, and a non-empty directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-testnet-test-'));
    try {
      const { createServer } = await import('node:net');
      const base = portBaseAt(200) ?? (await findFreePortBlock(4));
      const server = createServer().listen(base + 1, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      await expect(
        startTestNetwork({ dir: join(dir, 'a'), portBase: base, authorities: 1, relays: 1 }),
      ).rejects.toBeInstanceOf(TestNetworkError);
      server.close();
      await expect(
        startTestNetwork({ dir: tmpdir(), authorities: 1, relays: 1, portBase: portBaseAt(400) }),
      ).rejects.toBeInstanceOf(TestNetworkError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an aborted start rejects and leaves no tor process behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sotto-testnet-abort-'));
    try {
      const abort = new AbortController();
      const started = startTestNetwork({
        dir,
        authorities: 1,
        relays: 1,
        portBase: portBaseAt(300),
        signal: abort.signal,
      });
      // Abort once the nodes run (their torrc exists), before they can agree on a consensus.
      for (let i = 0; i < 600; i++) {
        if ((await processesMentioning(dir)).length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      abort.abort(new Error('test abort'));
      await expect(started).rejects.toThrow('test abort');
      expect(await processesMentioning(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing tor binary fails with CommandFailedError and leaves no process', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'sotto-testnet-notor-'));
    try {
      await expect(
        startTestNetwork({
          authorities: 1,
          relays: 0,
          portBase: portBaseAt(500),
          torPath: join(parent, 'no-such-tor'),
        }),
      ).rejects.toBeInstanceOf(CommandFailedError);
      expect(await processesMentioning('no-such-tor')).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
