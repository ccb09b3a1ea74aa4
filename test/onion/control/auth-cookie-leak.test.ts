// A control port we attach to may not be tor (a wrong --tor-control, a hijacked port). With plain
// COOKIE auth the controller sends the bytes of the file the port names: any 32-byte secret file.
// Real tor always offers SAFECOOKIE next to COOKIE, so a port naming its own COOKIEFILE gets
// SAFECOOKIE only (control-spec §3.24); this hostile port is a socket that records what it got.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate } from '../../../src/onion/control/authenticate.js';
import { TorControlConnection } from '../../../src/onion/control/control-connection.js';
import { NoUsableAuthMethodError } from '../../../src/onion/control/errors.js';

const SECRET = Buffer.from('0123456789abcdef0123456789ABCDEF'); // 32 bytes, like a key file

interface HostilePort {
  readonly server: Server;
  readonly port: number;
  received: string;
}

/** Answers PROTOCOLINFO with `methods` and `cookieFile`, then 250 OK to everything. */
async function hostilePort(methods: string, cookieFile: string): Promise<HostilePort> {
  const hostile: { server: Server; port: number; received: string } = {
    server: createServer((socket: Socket) => {
      socket.on('data', (chunk: Buffer) => {
        hostile.received += chunk.toString('latin1');
        for (const line of chunk.toString('latin1').split('\r\n')) {
          if (line === '') continue;
          if (line.startsWith('PROTOCOLINFO')) {
            socket.write(
              `250-PROTOCOLINFO 1\r\n250-AUTH METHODS=${methods} COOKIEFILE="${cookieFile}"\r\n` +
                '250-VERSION Tor="0.4.8.12"\r\n250 OK\r\n',
            );
          } else {
            socket.write('250 OK\r\n');
          }
        }
      });
    }),
    port: 0,
    received: '',
  };
  await new Promise<void>((resolve) => hostile.server.listen(0, '127.0.0.1', resolve));
  const address = hostile.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  hostile.port = address.port;
  return hostile;
}

let dir: string;
let secretFile: string;
const servers: Server[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-cookie-'));
  secretFile = join(dir, 'secret.key');
  await writeFile(secretFile, SECRET, { mode: 0o600 });
});
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('authenticate against a control port that names a cookie file', () => {
  it('never sends the bytes of a COOKIEFILE the port announced (plain COOKIE only offered)', async () => {
    const hostile = await hostilePort('COOKIE', secretFile);
    servers.push(hostile.server);
    const conn = await TorControlConnection.connect({ host: '127.0.0.1', port: hostile.port });
    try {
      await expect(authenticate(conn, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(
        NoUsableAuthMethodError,
      );
    } finally {
      conn.close();
    }
    expect(hostile.received).toContain('PROTOCOLINFO');
    expect(hostile.received.toLowerCase()).not.toContain(SECRET.toString('hex').toLowerCase());
    expect(hostile.received).not.toMatch(/AUTHENTICATE [0-9A-Fa-f]{64}/);
  });

  it('still uses plain COOKIE with a cookie file the caller named (our launched tor)', async () => {
    const hostile = await hostilePort('COOKIE', '/nonexistent');
    servers.push(hostile.server);
    const conn = await TorControlConnection.connect({ host: '127.0.0.1', port: hostile.port });
    try {
      const result = await authenticate(conn, { timeoutMs: 5_000, cookieFile: secretFile });
      expect(result.method).toBe('COOKIE');
    } finally {
      conn.close();
    }
    expect(hostile.received).toContain(`AUTHENTICATE ${SECRET.toString('hex')}`);
  });
});
