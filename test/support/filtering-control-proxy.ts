// A control-port filter for tests, in the manner of Tails/Whonix onion-grater: clients get only NULL
// authentication, whitelisted commands are forwarded to a real tor (authenticated upstream with a
// password), everything else is answered `510 Command filtered`; chosen async events can be
// swallowed, allowed commands rewritten. Commands are handled one at a time.
import * as net from 'node:net';
import { ControlReplyParser, type ControlReply } from '../../src/onion/control/reply-parser.js';

export interface FilteringProxyOptions {
  readonly upstream: { readonly host: string; readonly port: number };
  readonly upstreamPassword: string;
  /** Decides per command line (without CRLF) whether it is forwarded. */
  readonly allow: (line: string) => boolean;
  /**
   * Decides per async event (its first line, e.g. `HS_DESC UPLOADED …`) whether it is swallowed:
   * a filter that accepts SETEVENTS but never delivers the event (default: deliver everything).
   */
  readonly dropEvent?: (line: string) => boolean;
  /**
   * Rewrites an allowed command line before it goes upstream (onion-grater's `replacement`, e.g.
   * the ADD_ONION target set to the client's own address). Gets the client's IP address.
   */
  readonly rewrite?: (line: string, clientAddress: string) => string;
}

export interface FilteringProxy {
  readonly port: number;
  /** Every command line clients sent, in order (for assertions). */
  readonly seen: string[];
  close(): Promise<void>;
}

function serialise(reply: ControlReply): string {
  let out = '';
  for (const line of reply.lines) {
    out += `${line.status}${line.separator}${line.text}\r\n`;
    if (line.separator === '+' && line.data !== undefined) {
      for (const dataLine of line.data === '' ? [] : line.data.split('\n')) {
        out += `${dataLine.startsWith('.') ? '.' : ''}${dataLine}\r\n`;
      }
      out += '.\r\n';
    }
  }
  return out;
}

export async function startFilteringProxy(options: FilteringProxyOptions): Promise<FilteringProxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.createConnection(options.upstream);
    sockets.add(upstream);
    const parser = new ControlReplyParser();
    const waiting: ((reply: ControlReply) => void)[] = [];
    const queue: string[] = [];
    let busy = false;
    let pending = '';
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);

    upstream.on('data', (chunk: Buffer) => {
      let replies: ControlReply[];
      try {
        replies = parser.push(chunk);
      } catch {
        closeBoth();
        return;
      }
      for (const reply of replies) {
        if (reply.isAsync) {
          if (options.dropEvent?.(reply.lines[0]?.text ?? '') !== true)
            client.write(serialise(reply));
        } else waiting.shift()?.(reply);
      }
    });
    const upstreamSend = (line: string): Promise<ControlReply> =>
      new Promise((resolve) => {
        waiting.push(resolve);
        upstream.write(`${line}\r\n`);
      });
    const ready = new Promise<void>((resolve, reject) => {
      upstream.once('connect', () => {
        upstreamSend(`AUTHENTICATE "${options.upstreamPassword}"`).then((reply) => {
          if (reply.status === 250) resolve();
          else reject(new Error('upstream auth failed'));
        }, reject);
      });
    });
    ready.catch(closeBoth);

    const handle = async (line: string): Promise<string> => {
      seen.push(line);
      const keyword = (line.split(' ')[0] ?? '').toUpperCase();
      if (keyword === 'PROTOCOLINFO') {
        return '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n';
      }
      if (keyword === 'AUTHENTICATE') return '250 OK\r\n';
      if (keyword === 'QUIT') return '250 closing connection\r\n';
      if (!options.allow(line)) return '510 Command filtered\r\n';
      await ready;
      const forwarded = options.rewrite?.(line, client.remoteAddress ?? '') ?? line;
      return serialise(await upstreamSend(forwarded));
    };
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (let line = queue.shift(); line !== undefined; line = queue.shift()) {
          const answer = await handle(line);
          client.write(answer);
          if (line.toUpperCase() === 'QUIT') client.end();
        }
      } catch {
        closeBoth();
      } finally {
        busy = false;
      }
    };
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      if (pending.length > 1_000_000) closeBoth();
      let index = pending.indexOf('\r\n');
      while (index >= 0) {
        queue.push(pending.slice(0, index));
        pending = pending.slice(index + 2);
        index = pending.indexOf('\r\n');
      }
      void pump();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
