// TorControlConnection against real offline tor processes: unix control socket, timeout while tor
// is frozen (SIGSTOP on the tor we started), abort, and tor exiting under a pending command.
import { afterEach, describe, expect, it } from 'vitest';
import { authenticate } from '../../../src/onion/control/authenticate.js';
import { getInfo, signal } from '../../../src/onion/control/commands.js';
import { TorControlConnection } from '../../../src/onion/control/control-connection.js';
import {
  ControlAbortedError,
  ControlConnectionClosedError,
  ControlTimeoutError,
} from '../../../src/onion/control/errors.js';
import { startTestTor, type TestTor } from '../../support/control-test-tor.js';

let tor: TestTor | undefined;
afterEach(async () => {
  if (tor !== undefined) {
    try {
      process.kill(tor.pid, 'SIGCONT');
    } catch {
      // already exited
    }
    await tor.stop();
  }
  tor = undefined;
});

describe('real tor control connection', () => {
  it('works over a unix control socket with SAFECOOKIE', async () => {
    tor = await startTestTor({ kind: 'cookie' }, { unixSocket: true });
    expect('path' in tor.target).toBe(true);
    const conn = await TorControlConnection.connect(tor.target);
    try {
      expect((await authenticate(conn)).method).toBe('SAFECOOKIE');
      expect((await getInfo(conn, ['version'])).get('version')).toMatch(/^\d/);
    } finally {
      conn.close();
    }
  });

  it('times out while tor is frozen, closes, and a new connection works after', async () => {
    tor = await startTestTor({ kind: 'none' });
    const conn = await TorControlConnection.connect(tor.target);
    await authenticate(conn);
    process.kill(tor.pid, 'SIGSTOP');
    try {
      const timedOut = conn.send('GETINFO version', { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(await timedOut).toBeInstanceOf(ControlTimeoutError);
      expect(conn.closed).toBe(true);
    } finally {
      process.kill(tor.pid, 'SIGCONT');
    }
    const fresh = await TorControlConnection.connect(tor.target);
    try {
      await authenticate(fresh);
      expect((await getInfo(fresh, ['version'])).size).toBe(1);
    } finally {
      fresh.close();
    }
  });

  it('an abort before tor answers rejects and closes', async () => {
    tor = await startTestTor({ kind: 'none' });
    const conn = await TorControlConnection.connect(tor.target);
    await authenticate(conn);
    const controller = new AbortController();
    const pending = conn.send('GETINFO version', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(ControlAbortedError);
    expect(conn.closed).toBe(true);
  });

  it('SIGNAL HALT: tor answers, exits, and later commands reject as closed', async () => {
    tor = await startTestTor({ kind: 'none' });
    const conn = await TorControlConnection.connect(tor.target);
    await authenticate(conn);
    const closed = new Promise<Error | undefined>((resolve) => conn.onClose(resolve));
    await signal(conn, 'HALT');
    await closed;
    expect(await tor.exited).toBeDefined();
    await expect(getInfo(conn, ['version'])).rejects.toBeInstanceOf(ControlConnectionClosedError);
  });
});
