// Authentication against real offline tor processes: SAFECOOKIE, HASHEDPASSWORD, NULL, bad password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, protocolInfo } from '../../../src/onion/control/authenticate.js';
import { TorControlConnection } from '../../../src/onion/control/control-connection.js';
import {
  AuthCookieError,
  ControlConnectionClosedError,
  NoUsableAuthMethodError,
  SafeCookieServerHashError,
  TorControlError,
} from '../../../src/onion/control/errors.js';
import { startTestTor, type TestTor } from '../../support/control-test-tor.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

async function connect(tor: TestTor): Promise<TorControlConnection> {
  return TorControlConnection.connect(tor.target, { timeoutMs: 5_000 });
}

describe('cookie tor', () => {
  let tor: TestTor;
  beforeAll(async () => {
    tor = await startTestTor({ kind: 'cookie' });
  });
  afterAll(async () => {
    await tor.stop();
  });

  it('announces COOKIE and SAFECOOKIE with the cookie file', async () => {
    const conn = await connect(tor);
    try {
      const info = await protocolInfo(conn);
      expect(info.protocolInfoVersion).toBe(1);
      expect(info.authMethods).toEqual(expect.arrayContaining(['COOKIE', 'SAFECOOKIE']));
      expect(info.cookieFile).toBe(tor.cookieFile);
      expect(info.torVersion).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      conn.close();
    }
  });

  it('authenticates with SAFECOOKIE and can then GETINFO version', async () => {
    const conn = await connect(tor);
    try {
      const result = await authenticate(conn);
      expect(result.method).toBe('SAFECOOKIE');
      const reply = await conn.send('GETINFO version');
      expect(reply.status).toBe(250);
      expect(reply.lines[0]?.text).toMatch(/^version=\d+\.\d+/);
    } finally {
      conn.close();
    }
  });

  it('refuses a cookie file that is not 32 bytes, naming the cause', async () => {
    const bad = join(tor.dataDir, 'short-cookie');
    await writeFile(bad, new Uint8Array(31), { mode: 0o600 });
    const conn = await connect(tor);
    try {
      const failure = await authenticate(conn, { cookieFile: bad }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(NoUsableAuthMethodError);
      expect((failure as Error).cause).toBeInstanceOf(AuthCookieError);
    } finally {
      conn.close();
    }
  });

  it('a wrong cookie fails our check of the SAFECOOKIE server hash', async () => {
    const wrong = join(tor.dataDir, 'wrong-cookie');
    await writeFile(wrong, new Uint8Array(32).fill(7), { mode: 0o600 });
    const conn = await connect(tor);
    const closed = new Promise<void>((resolve) => conn.onClose(() => resolve()));
    try {
      // SAFECOOKIE: tor's SERVERHASH is computed with the real cookie, so we refuse tor first.
      const failure = await authenticate(conn, { cookieFile: wrong }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SafeCookieServerHashError);
    } finally {
      conn.close();
    }
    await closed;
  });

  it('commands before authentication get 514 then a closed connection', async () => {
    const conn = await connect(tor);
    const failure = await conn.send('GETINFO version').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TorControlError);
    expect((failure as TorControlError).status).toBe(514);
    const after = await conn.send('GETINFO version').catch((error: unknown) => error);
    expect(after).toBeInstanceOf(ControlConnectionClosedError);
  });
});

describe('password tor', () => {
  const password = 'correct horse "battery" \\ staple';
  let tor: TestTor;
  beforeAll(async () => {
    tor = await startTestTor({ kind: 'password', password });
  });
  afterAll(async () => {
    await tor.stop();
  });

  it('authenticates with HASHEDPASSWORD (quotes and backslashes escaped)', async () => {
    const conn = await connect(tor);
    try {
      const result = await authenticate(conn, { password });
      expect(result.method).toBe('HASHEDPASSWORD');
      expect((await conn.send('GETINFO version')).status).toBe(250);
    } finally {
      conn.close();
    }
  });

  it('a wrong password is TorControlError 515', async () => {
    const conn = await connect(tor);
    try {
      const failure = await authenticate(conn, { password: 'wrong' }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TorControlError);
      expect((failure as TorControlError).status).toBe(515);
      expect((failure as TorControlError).message).not.toContain('wrong');
    } finally {
      conn.close();
    }
  });

  it('no password given is NoUsableAuthMethodError', async () => {
    const conn = await connect(tor);
    try {
      await expect(authenticate(conn)).rejects.toBeInstanceOf(NoUsableAuthMethodError);
    } finally {
      conn.close();
    }
  });
});

describe('open tor (NULL auth)', () => {
  let tor: TestTor;
  beforeAll(async () => {
    tor = await startTestTor({ kind: 'none' });
  });
  afterAll(async () => {
    await tor.stop();
  });

  it('authenticates with NULL', async () => {
    const conn = await connect(tor);
    try {
      const result = await authenticate(conn, { password: 'ignored' });
      expect(result.method).toBe('NULL');
      expect(result.protocolInfo.authMethods).toEqual(['NULL']);
      expect((await conn.send('GETINFO version')).status).toBe(250);
    } finally {
      conn.close();
    }
  });
});
