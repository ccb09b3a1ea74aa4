// A connected pair of real loopback TCP sockets (127.0.0.1, an ephemeral port), for tests that
// run PeerLinks over the kernel's TCP (backpressure included) without tor.
import { createServer, connect, type Socket } from 'node:net';

export async function socketPair(): Promise<{ client: Socket; server: Socket; close: () => void }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(address.port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return { client, server: await accepted, close: () => server.close() };
}
