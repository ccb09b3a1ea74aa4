import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as ed from '@noble/ed25519';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceIdFromPublicKey } from '../../src/identity/service-id.js';
import {
  IsolationCredentials,
  Socks5ReplyObserver,
  socksConnect,
} from '../../src/onion/socks-connect.js';
import {
  InvalidOnionAddressError,
  OnionAddressRejectedError,
  OnionBadClientAuthError,
  OnionDescriptorInvalidError,
  OnionDescriptorNotFoundError,
  OnionIntroductionFailedError,
  OnionIntroductionTimeoutError,
  OnionMissingClientAuthError,
  OnionRendezvousFailedError,
  OnionUnreachableError,
  SocksConnectError,
  SocksTimeoutError,
} from '../../src/onion/tor-errors.js';
import {
  startScriptedSocksServer,
  type ScriptedSocksServer,
} from '../support/scripted-socks5-server.js';

const serviceId = serviceIdFromPublicKey(await ed.getPublicKeyAsync(ed.utils.randomSecretKey()));
const isolation = new IsolationCredentials(randomBytes(32));
let server: ScriptedSocksServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function dial(
  reply: number | 'silent',
  extra: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Duplex> {
  server = await startScriptedSocksServer(reply);
  return socksConnect(serviceId, 9878, {
    socksHost: '127.0.0.1',
    socksPort: server.port,
    credentials: isolation.for('contact-1'),
    ...extra,
  });
}

describe('socksConnect', () => {
  it('dials <id>.onion:port with isolation credentials that hide the key, bytes flow', async () => {
    const stream = await dial(0x00);
    const echoed = new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.write('ping');
    expect((await echoed).toString()).toBe('ping');
    stream.destroy();
    const request = server?.requests[0];
    expect(request?.host).toBe(`${serviceId}.onion`);
    expect(request?.port).toBe(9878);
    expect(request?.username).not.toContain('contact-1');
    expect(request?.password).not.toContain('contact-1');
  });

  it.each([
    [0x04, OnionUnreachableError],
    [0xf0, OnionDescriptorNotFoundError],
    [0xf1, OnionDescriptorInvalidError],
    [0xf2, OnionIntroductionFailedError],
    [0xf3, OnionRendezvousFailedError],
    [0xf4, OnionMissingClientAuthError],
    [0xf5, OnionBadClientAuthError],
    [0xf6, OnionAddressRejectedError],
    [0xf7, OnionIntroductionTimeoutError],
    [0x01, SocksConnectError],
    [0x05, SocksConnectError],
  ])('maps reply 0x%s to its typed error', async (code, type) => {
    const failure = dial(code);
    await expect(failure).rejects.toBeInstanceOf(type);
    await expect(failure).rejects.toMatchObject({ replyCode: code });
  });

  it('times out with SocksTimeoutError', async () => {
    await expect(dial('silent', { timeoutMs: 200 })).rejects.toBeInstanceOf(SocksTimeoutError);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const failure = dial('silent', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(failure).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports an unreachable SOCKS port as SocksConnectError with a cause', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const failure = socksConnect(serviceId, 9878, {
      socksHost: '127.0.0.1',
      socksPort: address.port,
      credentials: isolation.for('x'),
    });
    await expect(failure).rejects.toBeInstanceOf(SocksConnectError);
    await expect(failure).rejects.toHaveProperty('cause');
  });

  it.each(['example.com', '127.0.0.1', `${serviceId.slice(0, -1)}a`, serviceId.toUpperCase(), ''])(
    'refuses a non-onion host %j without touching the network',
    async (host) => {
      await expect(
        socksConnect(host, 9878, {
          socksHost: '127.0.0.1',
          socksPort: 1,
          credentials: isolation.for('x'),
        }),
      ).rejects.toBeInstanceOf(InvalidOnionAddressError);
    },
  );
});

describe('IsolationCredentials', () => {
  it('is stable per key, distinct across keys and salts, within RFC 1929 limits', () => {
    const other = new IsolationCredentials(randomBytes(32));
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const ca = isolation.for(a);
        expect(isolation.for(a)).toEqual(ca);
        expect(Buffer.byteLength(ca.username)).toBeLessThanOrEqual(255);
        expect(Buffer.byteLength(ca.password)).toBeLessThanOrEqual(255);
        if (a !== b) expect(isolation.for(b)).not.toEqual(ca);
        expect(other.for(a)).not.toEqual(ca);
      }),
    );
  });

  it('refuses a short salt', () => {
    expect(() => new IsolationCredentials(new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('Socks5ReplyObserver', () => {
  const withAuth = [0x05, 0x02, 0x01, 0x00, 0x05, 0xf0, 0x00, 0x01];
  const noAuth = [0x05, 0x00, 0x05, 0x04, 0x00, 0x01];

  it('finds REP with and without username/password auth, in any chunking', () => {
    fc.assert(
      fc.property(
        fc.constantFrom([withAuth, 0xf0] as const, [noAuth, 0x04] as const),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 8 }),
        ([bytes, rep], cuts) => {
          const observer = new Socks5ReplyObserver();
          let offset = 0;
          let i = 0;
          while (offset < bytes.length) {
            const size = cuts[i++ % cuts.length] ?? 1;
            observer.push(Uint8Array.from(bytes.slice(offset, offset + size)));
            offset += size;
          }
          expect(observer.replyCode).toBe(rep);
        },
      ),
    );
  });

  it('reports nothing before the REP byte and ignores what follows', () => {
    const observer = new Socks5ReplyObserver();
    expect(observer.push(Uint8Array.from(withAuth.slice(0, 5)))).toBeUndefined();
    expect(observer.push(Uint8Array.from([0x00, 0xff, 0xff]))).toBe(0x00);
    expect(observer.push(Uint8Array.from([0x07]))).toBe(0x00);
  });
});
