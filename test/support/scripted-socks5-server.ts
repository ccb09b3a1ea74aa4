// A loopback SOCKS5 server for tests that answers every CONNECT with a chosen reply code and records
// the credentials and destination it was asked for (RFC 1928 / RFC 1929). Used where tor cannot be
// made to produce a given reply; on success it echoes bytes back.
import * as net from 'node:net';

export interface SocksRequestRecord {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
}

export interface ScriptedSocksServer {
  readonly port: number;
  readonly requests: SocksRequestRecord[];
  close(): Promise<void>;
}

export async function startScriptedSocksServer(
  reply: number | 'silent',
): Promise<ScriptedSocksServer> {
  const requests: SocksRequestRecord[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' | 'open' = 'greeting';
    let username = '';
    let password = '';
    socket.on('data', (chunk: Buffer) => {
      if (stage === 'open') {
        socket.write(chunk);
        return;
      }
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (stage === 'greeting') {
          const n = buffer[1];
          if (n === undefined || buffer.length < 2 + n) return;
          const methods = [...buffer.subarray(2, 2 + n)];
          buffer = buffer.subarray(2 + n);
          const method = methods.includes(0x02) ? 0x02 : 0x00;
          socket.write(Buffer.from([0x05, method]));
          stage = method === 0x02 ? 'auth' : 'request';
        } else if (stage === 'auth') {
          const ulen = buffer[1];
          if (ulen === undefined) return;
          const plen = buffer[2 + ulen];
          if (plen === undefined || buffer.length < 3 + ulen + plen) return;
          username = buffer.subarray(2, 2 + ulen).toString();
          password = buffer.subarray(3 + ulen, 3 + ulen + plen).toString();
          buffer = buffer.subarray(3 + ulen + plen);
          socket.write(Buffer.from([0x01, 0x00]));
          stage = 'request';
        } else if (stage === 'request') {
          const len = buffer[4];
          if (len === undefined || buffer.length < 7 + len) return;
          const host = buffer.subarray(5, 5 + len).toString();
          const port = buffer.readUInt16BE(5 + len);
          buffer = buffer.subarray(7 + len);
          requests.push({ username, password, host, port });
          if (reply === 'silent') return;
          socket.write(Buffer.from([0x05, reply, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
          if (reply !== 0) {
            socket.end();
            return;
          }
          stage = 'open';
          if (buffer.length > 0) socket.write(buffer);
          return;
        } else {
          return;
        }
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
