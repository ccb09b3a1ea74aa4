// TorControlConnection over real loopback sockets against a scripted control-port peer: FIFO
// matching, async events between replies, error statuses, timeout/abort/garbage/close handling.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TorControlConnection,
  type TorAsyncEvent,
} from '../../../src/onion/control/control-connection.js';
import {
  ControlAbortedError,
  ControlArgumentError,
  ControlConnectError,
  ControlConnectionClosedError,
  ControlLineTooLongError,
  ControlProtocolError,
  ControlTimeoutError,
  MalformedControlReplyError,
  TorControlError,
} from '../../../src/onion/control/errors.js';
import { scriptedPeer, type ScriptedPeer } from '../../support/scripted-control-peer.js';

let peer: ScriptedPeer | undefined;
let conn: TorControlConnection | undefined;
afterEach(async () => {
  conn?.close();
  conn = undefined;
  await peer?.close();
  peer = undefined;
});

async function open(
  script: (line: string, socket: Socket) => string | undefined,
): Promise<TorControlConnection> {
  peer = await scriptedPeer(script);
  conn = await TorControlConnection.connect({ host: '127.0.0.1', port: peer.port });
  return conn;
}

describe('TorControlConnection', () => {
  it('matches pipelined replies to commands in order, events go to listeners', async () => {
    let n = 0;
    const c = await open((line) => {
      n += 1;
      const event = n === 1 ? '650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n' : '';
      return `${event}250-n=${n}\r\n250 ${line}\r\n`;
    });
    const events: TorAsyncEvent[] = [];
    c.onEvent((event) => events.push(event));
    const replies = await Promise.all([c.send('ONE'), c.send('TWO'), c.send('THREE')]);
    expect(replies.map((reply) => reply.lines.map((line) => line.text))).toEqual([
      ['n=1', 'ONE'],
      ['n=2', 'TWO'],
      ['n=3', 'THREE'],
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      keyword: 'STATUS_CLIENT',
      line: 'NOTICE CIRCUIT_ESTABLISHED',
    });
  });

  it('delivers multi-line events and stops after unsubscribe', async () => {
    const c = await open((line) =>
      line === 'FIRE'
        ? '650-CONF_CHANGED\r\n650-SocksPort=0\r\n650 OK\r\n250 OK\r\n'
        : '650 NETWORK_LIVENESS UP\r\n250 OK\r\n',
    );
    const events: TorAsyncEvent[] = [];
    const unsubscribe = c.onEvent((event) => events.push(event));
    await c.send('FIRE');
    unsubscribe();
    await c.send('AGAIN');
    expect(events).toHaveLength(1);
    expect(events[0]?.keyword).toBe('CONF_CHANGED');
    expect(events[0]?.lines.map((line) => line.text)).toEqual([
      'CONF_CHANGED',
      'SocksPort=0',
      'OK',
    ]);
  });

  it('4xx/5xx replies reject with TorControlError carrying the status; the FIFO continues', async () => {
    const c = await open((line) =>
      line.startsWith('ADD_ONION') ? '510 Command filtered\r\n' : '250 OK\r\n',
    );
    const failure = await c.send('ADD_ONION NEW:ED25519-V3 Port=1').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TorControlError);
    expect((failure as TorControlError).status).toBe(510);
    expect((failure as TorControlError).replyText).toBe('Command filtered');
    expect((failure as TorControlError).commandKeyword).toBe('ADD_ONION');
    expect((await c.send('GETINFO version')).status).toBe(250);
  });

  it('refuses commands with CR, LF or NUL without writing anything', async () => {
    const c = await open(() => '250 OK\r\n');
    await expect(c.send('GETINFO version\r\nSIGNAL SHUTDOWN')).rejects.toBeInstanceOf(
      ControlArgumentError,
    );
    await expect(c.send('SETCONF a=b\0')).rejects.toBeInstanceOf(ControlArgumentError);
    await expect(c.send('')).rejects.toBeInstanceOf(ControlArgumentError);
    expect((await c.send('GETINFO version')).status).toBe(250);
    expect(peer?.received).toEqual(['GETINFO version']);
  });

  it('a timeout rejects with ControlTimeoutError and closes (others reject too)', async () => {
    const c = await open(() => undefined);
    const closed = new Promise<Error | undefined>((resolve) => c.onClose(resolve));
    const first = c.send('SLOW', { timeoutMs: 50 }).catch((e: unknown) => e);
    const second = c.send('NEXT', { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(await first).toBeInstanceOf(ControlTimeoutError);
    const secondError = await second;
    expect(secondError).toBeInstanceOf(ControlConnectionClosedError);
    expect((secondError as Error).cause).toBeInstanceOf(ControlTimeoutError);
    expect(await closed).toBeInstanceOf(ControlTimeoutError);
    expect(c.closed).toBe(true);
    await expect(c.send('LATER')).rejects.toBeInstanceOf(ControlConnectionClosedError);
  });

  it('an abort rejects with ControlAbortedError and closes', async () => {
    const c = await open(() => undefined);
    const controller = new AbortController();
    const pending = c.send('WAIT', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(ControlAbortedError);
    expect(c.closed).toBe(true);
  });

  it('an already-aborted signal rejects without sending or closing', async () => {
    const c = await open(() => '250 OK\r\n');
    await expect(c.send('X', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      ControlAbortedError,
    );
    expect(c.closed).toBe(false);
    expect((await c.send('Y')).status).toBe(250);
    expect(peer?.received).toEqual(['Y']);
  });

  it('garbage from the peer closes the connection with the protocol error as cause', async () => {
    const c = await open(() => 'HTTP/1.1 400 Bad Request\r\n');
    const closed = new Promise<Error | undefined>((resolve) => c.onClose(resolve));
    const failure = await c.send('GETINFO version').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ControlConnectionClosedError);
    expect((failure as Error).cause).toBeInstanceOf(MalformedControlReplyError);
    expect(await closed).toBeInstanceOf(MalformedControlReplyError);
  });

  it('an endless line is cut off at the line cap', async () => {
    peer = await scriptedPeer((_line, socket) => {
      socket.write('250-');
      socket.write('x'.repeat(4096));
      return 'y'.repeat(4096);
    });
    conn = await TorControlConnection.connect(
      { host: '127.0.0.1', port: peer.port },
      { limits: { maxLineBytes: 1024 } },
    );
    const failure = await conn.send('GETINFO version').catch((e: unknown) => e);
    expect((failure as Error).cause).toBeInstanceOf(ControlLineTooLongError);
  });

  it('a reply to no command is a protocol error', async () => {
    const c = await open(() => '250 OK\r\n250 OK\r\n');
    const closed = new Promise<Error | undefined>((resolve) => c.onClose(resolve));
    expect((await c.send('ONCE')).status).toBe(250);
    expect(await closed).toBeInstanceOf(ControlProtocolError);
  });

  it('close() is clean: listeners get no error, pending commands reject', async () => {
    const c = await open(() => undefined);
    const closed = new Promise<Error | undefined>((resolve) => c.onClose(resolve));
    const pending = c.send('WAIT');
    c.close();
    await expect(pending).rejects.toBeInstanceOf(ControlConnectionClosedError);
    expect(await closed).toBeUndefined();
  });

  it('pending commands reject when the peer closes', async () => {
    const c = await open((_line, socket) => {
      socket.end('250-partial\r\n');
      return undefined;
    });
    const failure = await c.send('GETINFO version').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ControlConnectionClosedError);
  });

  it('a throwing event listener does not break the stream', async () => {
    const thrown: unknown[] = [];
    peer = await scriptedPeer(() => '650 NETWORK_LIVENESS UP\r\n250 OK\r\n');
    conn = await TorControlConnection.connect(
      { host: '127.0.0.1', port: peer.port },
      { onListenerError: (error) => thrown.push(error) },
    );
    conn.onEvent(() => {
      throw new Error('listener bug');
    });
    expect((await conn.send('A')).status).toBe(250);
    expect((await conn.send('B')).status).toBe(250);
    expect(thrown).toHaveLength(2);
  });
});

describe('TorControlConnection.connect', () => {
  it('refused connections reject with ControlConnectError', async () => {
    const server = await scriptedPeer(() => undefined);
    const port = server.port;
    await server.close();
    await expect(
      TorControlConnection.connect({ host: '127.0.0.1', port }, { timeoutMs: 5_000 }),
    ).rejects.toBeInstanceOf(ControlConnectError);
  });

  it('a missing unix socket rejects with ControlConnectError', async () => {
    await expect(
      TorControlConnection.connect({ path: '/nonexistent/sotto/control.sock' }),
    ).rejects.toBeInstanceOf(ControlConnectError);
  });

  it('an aborted signal rejects with ControlAbortedError', async () => {
    const server = await scriptedPeer(() => undefined);
    try {
      await expect(
        TorControlConnection.connect(
          { host: '127.0.0.1', port: server.port },
          { signal: AbortSignal.abort() },
        ),
      ).rejects.toBeInstanceOf(ControlAbortedError);
    } finally {
      await server.close();
    }
  });
});
