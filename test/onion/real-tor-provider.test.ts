// TorRuntime (real-tor-provider) against a scripted control port in attach mode: orderings of
// replies and events that a real tor produces only by chance, made deterministic.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTorProvider } from '../../src/onion/real-tor-provider.js';
import type { TorEvent } from '../../src/onion/tor-provider.js';

const phaseText = (progress: number, tag: string): string =>
  `NOTICE BOOTSTRAP PROGRESS=${progress} TAG=${tag} SUMMARY="${tag}"`;

/** A control port that answers line by line with `answer`; returns its port and a closer. */
async function scriptedControlPort(
  answer: (line: string, socket: net.Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        answer(line, socket);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('bootstrap progress from GETINFO and events', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('never goes backwards when an event overtakes the GETINFO answer in the same chunk', async () => {
    const control = await scriptedControlPort((line, socket) => {
      const keyword = line.split(' ')[0];
      if (keyword === 'PROTOCOLINFO') {
        socket.write('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n');
      } else if (keyword === 'GETINFO' && line.includes('status/bootstrap-phase')) {
        // The answer was computed at 10 %; tor reached 14 % before our parser saw either line.
        socket.write(
          `250-status/bootstrap-phase=${phaseText(10, 'conn_done')}\r\n250 OK\r\n` +
            `650 STATUS_CLIENT ${phaseText(14, 'handshake')}\r\n`,
        );
        setImmediate(() => socket.write(`650 STATUS_CLIENT ${phaseText(100, 'done')}\r\n`));
      } else {
        socket.write('250 OK\r\n');
      }
    });
    closers.push(control.close);
    const provider = createTorProvider({
      mode: 'attach',
      env: { TOR_CONTROL_PORT: String(control.port), TOR_SOCKS_PORT: '9050' },
      // The scripted port offers NULL authentication: vouched for, as with --tor-control-no-auth.
      unauthenticatedControl: 'user-opt-in',
      bootstrapTimeoutMs: 10_000,
    });
    closers.push(() => provider.close());
    const events: TorEvent[] = [];
    provider.onEvent((event) => events.push(event));
    await provider.bootstrap();
    const progress = events.flatMap((e) => (e.type === 'bootstrap' ? [e.progress] : []));
    expect(progress).toEqual([14, 100]);
    expect(events.at(-1)).toEqual({ type: 'ready' });
  });
});

describe('aborting bootstrap', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** A port whose GETINFO status/bootstrap-phase gets no answer, only a progress event. */
  async function portThatAnswersWithAnEventOnly(): Promise<{
    port: number;
    closedByPeer: Promise<void>;
  }> {
    let markClosed: () => void = () => undefined;
    const closedByPeer = new Promise<void>((resolve) => (markClosed = resolve));
    const control = await scriptedControlPort((line, socket) => {
      socket.once('close', markClosed);
      const keyword = line.split(' ')[0];
      if (keyword === 'PROTOCOLINFO') {
        socket.write('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n');
      } else if (keyword === 'GETINFO' && line.includes('status/bootstrap-phase')) {
        // The event arrives while the GETINFO is still in flight; the answer never comes.
        socket.write(`650 STATUS_CLIENT ${phaseText(5, 'conn')}\r\n`);
      } else {
        socket.write('250 OK\r\n');
      }
    });
    closers.push(control.close);
    return { port: control.port, closedByPeer };
  }

  for (const [label, reason] of [
    ['the default AbortError', undefined],
    ['a reason given to abort()', new Error('user quit')],
  ] as const) {
    it(`rejects with the signal's reason (${label}) when aborted while GETINFO is in flight`, async () => {
      const { port, closedByPeer } = await portThatAnswersWithAnEventOnly();
      const provider = createTorProvider({
        mode: 'attach',
        env: { TOR_CONTROL_PORT: String(port), TOR_SOCKS_PORT: '9050' },
        unauthenticatedControl: 'user-opt-in',
        bootstrapTimeoutMs: 10_000,
      });
      closers.push(() => provider.close());
      const controller = new AbortController();
      const events: TorEvent[] = [];
      provider.onEvent((event) => {
        events.push(event);
        if (event.type === 'bootstrap') controller.abort(reason);
      });
      const failure = await provider.bootstrap(controller.signal).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBe(controller.signal.reason);
      if (reason === undefined) expect(failure).toMatchObject({ name: 'AbortError' });
      // The attached control connection is closed, and an abort is not reported as tor exiting.
      await closedByPeer;
      expect(events.map((event) => event.type)).toEqual(['control-access', 'bootstrap']);
    });
  }
});
