// Network settings with a SOCKS5 proxy on the private network: the launched tor dials its relays
// through the proxy with the username and password Sotto set over the control connection (never in
// the torrc file), and a proxy that refuses is reported as a proxy problem.
import { readFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { explainStall, explainTorLogLine } from '../../src/onion/bootstrap-problems.js';
import { torConfigForNetworkSettings } from '../../src/onion/network-torrc.js';
import { createTorProvider } from '../../src/onion/real-tor-provider.js';
import { TorStartError } from '../../src/onion/tor-errors.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';
import { transportLookup } from '../../src/onion/transport-binaries.js';
import { tempDir } from '../support/tor-test-helpers.js';

const clientLines = inject('torTestnetClientTorrc');

interface ProxyRequest {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
}

/**
 * A loopback SOCKS5 proxy (RFC 1928/1929) that asks for username/password, records what it gets
 * and the CONNECT target (IPv4, IPv6 or name), then refuses the connection (reply 0x05).
 */
async function startRefusingProxy(): Promise<{
  port: number;
  requests: ProxyRequest[];
  close: () => Promise<void>;
}> {
  const requests: ProxyRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' = 'greeting';
    let username = '';
    let password = '';
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting') {
        const n = buffer[1];
        if (n === undefined || buffer.length < 2 + n) return;
        const offered = [...buffer.subarray(2, 2 + n)];
        buffer = buffer.subarray(2 + n);
        if (!offered.includes(0x02)) {
          socket.end(Buffer.from([0x05, 0xff]));
          return;
        }
        socket.write(Buffer.from([0x05, 0x02]));
        stage = 'auth';
      }
      if (stage === 'auth') {
        const ulen = buffer[1];
        const plen = ulen === undefined ? undefined : buffer[2 + ulen];
        if (ulen === undefined || plen === undefined || buffer.length < 3 + ulen + plen) return;
        username = buffer.subarray(2, 2 + ulen).toString();
        password = buffer.subarray(3 + ulen, 3 + ulen + plen).toString();
        buffer = buffer.subarray(3 + ulen + plen);
        socket.write(Buffer.from([0x01, 0x00]));
        stage = 'request';
      }
      if (stage === 'request') {
        const atyp = buffer[3];
        const length = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? (buffer[4] ?? 0) + 1 : -1;
        if (atyp === undefined || length < 0 || buffer.length < 4 + length + 2) return;
        const raw = buffer.subarray(4, 4 + length);
        const host =
          atyp === 1
            ? [...raw].join('.')
            : atyp === 3
              ? raw.subarray(1).toString()
              : raw.toString('hex');
        requests.push({ username, password, host, port: buffer.readUInt16BE(4 + length) });
        socket.end(Buffer.from([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('SOCKS5 proxy settings on the private network', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('tor uses the proxy with the secret credentials; a refusing proxy is explained', async () => {
    const proxy = await startRefusingProxy();
    cleanups.push(() => proxy.close());
    const { dir, remove } = await tempDir('proxy');
    const password = `pw-${Date.now()}`;
    const config = torConfigForNetworkSettings(
      {
        mode: 'direct',
        proxy: { type: 'socks5', host: '127.0.0.1', port: proxy.port, username: 'sotto', password },
      },
      transportLookup(new Map()),
    );
    const tor = createTorProvider({
      mode: 'launch',
      dataDir: dir,
      extraTorrcLines: [...clientLines, ...config.torrcLines],
      secretConf: config.secretConf,
      bootstrapTimeoutMs: 15_000,
    });
    cleanups.push(async () => {
      await tor.close();
      await remove();
    });
    const events: TorEvent[] = [];
    tor.onEvent((event) => events.push(event));
    const failure = await tor.bootstrap().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TorStartError);

    expect(proxy.requests.length).toBeGreaterThan(0);
    for (const request of proxy.requests) {
      expect(request).toMatchObject({ username: 'sotto', password, host: '127.0.0.1' });
    }
    expect(await readFile(path.join(dir, 'torrc'), 'utf8')).not.toContain(password);

    // A SOCKS-level refusal gives no BOOTSTRAP warning event (observed: tor stays at
    // conn_done_proxy and logs "Proxy Client: unable to connect …"); both the stall and that log
    // line are explained as a proxy problem.
    const context = { usingBridges: false, usingProxy: true };
    const last = events.filter((e) => e.type === 'bootstrap').at(-1);
    expect(last).toMatchObject({ tag: 'conn_done_proxy' });
    const stall = explainStall(
      { progress: 4, tag: 'conn_done_proxy', stalledForMs: 15_000 },
      context,
    );
    expect(stall.problem).toBe('proxy-refused');
    const logged = (failure as TorStartError).logTail
      .map((line) => explainTorLogLine(line, context))
      .filter((problem) => problem !== undefined);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((problem) => problem.problem === 'proxy-refused')).toBe(true);
  });
});
