import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { explainBootstrapWarning } from '../../src/onion/bootstrap-problems.js';
import { createTorProvider } from '../../src/onion/real-tor-provider.js';
import { TorNotFoundError, TorStartError } from '../../src/onion/tor-errors.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';
import { isAlive, pidsWithArgument, tempDir } from '../support/tor-test-helpers.js';

const clientLines = inject('torTestnetClientTorrc');

describe('launch mode lifecycle', () => {
  it('reports a missing tor binary as TorNotFoundError telling how to install it', async () => {
    const { dir, remove } = await tempDir('missing');
    const provider = createTorProvider({ mode: 'launch', dataDir: dir, torPath: `${dir}/no-tor` });
    const failure = provider.bootstrap();
    await expect(failure).rejects.toBeInstanceOf(TorNotFoundError);
    await expect(failure).rejects.toThrow(/apt-get install tor.*--tor PATH/u);
    await provider.close();
    await remove();
  });

  it('reports a tor that refuses its configuration as TorStartError with its log', async () => {
    const { dir, remove } = await tempDir('badconf');
    const provider = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: [...clientLines, 'NoSuchTorOption 1'],
    });
    const failure = provider.bootstrap();
    await expect(failure).rejects.toBeInstanceOf(TorStartError);
    const error = (await failure.catch((e: unknown) => e)) as TorStartError;
    expect(error.logTail.join('\n')).toContain('NoSuchTorOption');
    expect(provider.torPid).toBeUndefined();
    await provider.close();
    await remove();
  });

  it('stops the tor process when bootstrap is aborted', async () => {
    const { dir, remove } = await tempDir('abort');
    const provider = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: clientLines,
      bootstrapTimeoutMs: 120_000,
    });
    const controller = new AbortController();
    let pid: number | undefined;
    provider.onEvent((event) => {
      if (event.type === 'bootstrap' && pid === undefined) {
        pid = provider.torPid;
        controller.abort();
      }
    });
    await expect(provider.bootstrap(controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(pid).toBeDefined();
    expect(isAlive(pid ?? 0)).toBe(false);
    expect(provider.torPid).toBeUndefined();
    expect(await pidsWithArgument(dir)).toEqual([]);
    await provider.close();
    await remove();
  });

  it('an aborted spawn leaves no process either', async () => {
    const { dir, remove } = await tempDir('abort-early');
    const provider = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: clientLines,
    });
    const failure = provider.bootstrap(AbortSignal.timeout(1));
    await expect(failure).rejects.toBeDefined();
    expect(provider.torPid).toBeUndefined();
    expect(await pidsWithArgument(dir)).toEqual([]);
    await provider.close();
    await remove();
  });

  it('reports bootstrap problems (an unreachable directory authority) with reason and advice', async () => {
    const { dir, remove } = await tempDir('problem');
    // The test network's options, but the only authority is a closed loopback port (our range).
    const lines = clientLines.filter((line) => !line.startsWith('DirAuthority '));
    const authority = clientLines.find((line) => line.startsWith('DirAuthority '));
    if (authority === undefined) throw new Error('no DirAuthority line');
    const closed = authority
      .replace(/orport=\d+/u, 'orport=23991')
      .replace(/127\.0\.0\.1:\d+/u, '127.0.0.1:23992');
    const provider = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: [...lines, closed],
      // If no problem is ever reported, a typed TorStartError fails the case, not vitest's timeout.
      bootstrapTimeoutMs: 120_000,
    });
    const controller = new AbortController();
    const problem = new Promise<TorEvent>((resolve) => {
      provider.onEvent((event) => {
        if (event.type === 'bootstrap-problem') {
          resolve(event);
          controller.abort();
        }
      });
    });
    await expect(provider.bootstrap(controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    const event = await problem;
    expect(event).toMatchObject({ type: 'bootstrap-problem' });
    if (event.type !== 'bootstrap-problem') throw new Error('unreachable');
    expect(event.reason).toMatch(/^[A-Z_]+$/u);
    // In words (bootstrap-problems.ts), not tor's raw WARNING/RECOMMENDATION fields.
    const explained = explainBootstrapWarning(
      { progress: 0, tag: 'conn', reason: event.reason },
      { usingBridges: false, usingProxy: false },
    );
    expect(event.summary).toMatch(/^Tor cannot reach the Tor network/u);
    expect(event.recommendation).toBe(explained.suggestion);
    await provider.close();
    expect(await pidsWithArgument(dir)).toEqual([]);
    await remove();
  });

  it('close during start-up (two bootstraps pending) stops the tor being started', async () => {
    const { dir, remove } = await tempDir('close-early');
    const provider = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: clientLines,
    });
    const first = provider.bootstrap();
    const second = provider.bootstrap();
    const closed = provider.close();
    await expect(first).rejects.toThrow();
    await expect(second).rejects.toThrow();
    await closed;
    expect(await pidsWithArgument(dir)).toEqual([]);
    await remove();
  });

  it('close leaves no tor process and later calls refuse', async () => {
    const { dir, remove } = await tempDir('close');
    const provider = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: clientLines,
    });
    await provider.bootstrap();
    const pid = provider.torPid;
    expect(pid !== undefined && isAlive(pid)).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'torrc'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'control_auth_cookie'))).isFile()).toBe(true);
    expect(await pidsWithArgument(dir)).toEqual([pid]);
    await provider.close();
    expect(isAlive(pid ?? 0)).toBe(false);
    expect(await pidsWithArgument(dir)).toEqual([]);
    await expect(provider.bootstrap()).rejects.toThrow();
    await remove();
  });
});
