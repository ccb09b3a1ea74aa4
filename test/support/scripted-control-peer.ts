// A scripted tor control-port peer on loopback for control-client tests: it answers each command
// line it receives with whatever the test's script returns, whole or one byte per write.
import { createServer, type Server, type Socket } from 'node:net';

export interface ScriptedPeer {
  readonly port: number;
  readonly received: string[];
  close(): Promise<void>;
}

/**
 * A loopback server that answers each command line with `script(line)` (or stays silent); with
 * `byteAtATime` every answer goes out one byte per write, so the client's parser gets it in pieces.
 */
export async function scriptedPeer(
  script: (line: string, socket: Socket) => string | undefined,
  options: { readonly byteAtATime?: boolean } = {},
): Promise<ScriptedPeer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let end;
      while ((end = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        received.push(line);
        const answer = script(line, socket);
        if (answer === undefined || socket.destroyed) continue;
        if (options.byteAtATime !== true) socket.write(answer);
        else for (const byte of Buffer.from(answer)) socket.write(Buffer.of(byte));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
