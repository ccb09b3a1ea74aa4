// Process supervision and port probing of the test-network launcher, with real child processes
// and real sockets (a shell script stands in for tor: `sh -f <script>` runs the script).
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandFailedError, TorNodeProcess, runCommand } from '../../tor/tor-process.js';
import { findFreePortBlock, isPortBlockFree } from '../../tor/free-ports.js';
import { until } from '../support/wait.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-tor-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, body, { mode: 0o600 });
  return path;
}

describe('runCommand', () => {
  it('resolves with the output and passes stdin', async () => {
    expect(
      await runCommand('sh', ['-c', 'read line; echo "got:$line"'], {
        stdin: 'hi\n',
        timeoutMs: 10_000,
      }),
    ).toBe('got:hi\n');
  });

  it('rejects a non-zero exit with CommandFailedError carrying the output', async () => {
    const error = await runCommand('sh', ['-c', 'echo oops >&2; exit 3'], {
      timeoutMs: 10_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).output).toContain('oops');
  });

  it('rejects a missing program and a timeout with CommandFailedError', async () => {
    await expect(runCommand('/nonexistent/tor', [], { timeoutMs: 10_000 })).rejects.toBeInstanceOf(
      CommandFailedError,
    );
    await expect(runCommand('sleep', ['30'], { timeoutMs: 200 })).rejects.toBeInstanceOf(
      CommandFailedError,
    );
  });

  it('kills the command and rejects with the abort reason', async () => {
    const abort = new AbortController();
    const running = runCommand('sleep', ['30'], { timeoutMs: 60_000, signal: abort.signal });
    abort.abort(new Error('stop now'));
    await expect(running).rejects.toThrow('stop now');
    await expect(
      runCommand('true', [], { timeoutMs: 1000, signal: AbortSignal.abort(new Error('already')) }),
    ).rejects.toThrow('already');
  });
});

describe('TorNodeProcess', () => {
  it('keeps the last log lines and stops with SIGTERM', async () => {
    const path = await script(
      'lines.sh',
      'for i in 1 2 3; do echo "line $i"; done; exec sleep 30\n',
    );
    const seen: string[] = [];
    const child = await TorNodeProcess.start('sh', 'lines', path, (line) => seen.push(line));
    await until(() => seen.length >= 3, 'three log lines');
    expect(child.lastLines()).toEqual(['line 1', 'line 2', 'line 3']);
    const status = await child.stop();
    expect(status.signal).toBe('SIGTERM');
    expect(await child.stop()).toEqual(status); // idempotent
  });

  it('SIGKILLs a process that ignores SIGTERM after the grace period', async () => {
    const path = await script(
      'stubborn.sh',
      "trap '' TERM\necho ready\nwhile :; do sleep 0.1; done\n",
    );
    const seen: string[] = [];
    const child = await TorNodeProcess.start('sh', 'stubborn', path, (line) => seen.push(line));
    await until(() => seen.length > 0, 'a log line');
    const status = await child.stop(300);
    expect(status.signal).toBe('SIGKILL');
  });

  it('rejects when the program cannot be started', async () => {
    await expect(TorNodeProcess.start('/nonexistent/tor', 'x', '/dev/null')).rejects.toBeInstanceOf(
      CommandFailedError,
    );
  });
});

describe('free ports', () => {
  it('finds a free block and notices a bound port inside it', async () => {
    const base = await findFreePortBlock(4);
    expect(await isPortBlockFree(base, 4)).toBe(true);
    const server = createServer().listen(base + 2, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      expect(await isPortBlockFree(base, 4)).toBe(false);
    } finally {
      server.close();
    }
  });
});
