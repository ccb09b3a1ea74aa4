// Finds a block of consecutive free TCP ports on 127.0.0.1 by binding each one (then releasing it),
// so parallel test runs pick different blocks. Ports below the Linux ephemeral range (32768).
import { createServer } from 'node:net';

export class NoFreePortsError extends Error {
  override name = 'NoFreePortsError';
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** True when every port of [base, base + count) can be bound on 127.0.0.1 right now. */
export async function isPortBlockFree(base: number, count: number): Promise<boolean> {
  for (let port = base; port < base + count; port++) {
    if (!(await canBind(port))) return false;
  }
  return true;
}

/** A random free block of `count` ports in [low, high). */
export async function findFreePortBlock(
  count: number,
  { low = 10_000, high = 32_000, attempts = 50 } = {},
): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    if (await isPortBlockFree(base, count)) return base;
  }
  throw new NoFreePortsError(`no block of ${count} free ports found in ${low}..${high}`);
}
