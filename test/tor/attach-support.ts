// Test support for attach mode over the private network: a "system" tor that is not Sotto's own
// (cookie + password authentication), a launched tor that dials like a peer, and the round trip
// that proves an attached provider's onion works (publish, dial, bytes both ways).
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { createTorProvider, type RealTorProvider } from '../../src/onion/real-tor-provider.js';
import { startStandaloneTor, type StandaloneTor } from '../support/standalone-tor.js';
import {
  dialWithRetry,
  InboundConnections,
  readBytes,
  tempDir,
} from '../support/tor-test-helpers.js';

/**
 * Every wait of a case is bounded so that, added up, a stall fails as a typed error inside vitest's
 * 180 s test timeout (attach bootstrap 20 s + publish 50 s + dialling 60 s + bytes 2 × 15 s),
 * and each bound is still far above what a loaded CI machine needs (seconds).
 */
export const STALL_LIMITS = {
  bootstrapTimeoutMs: 20_000,
  publishTimeoutMs: 50_000,
  socksTimeoutMs: 40_000,
} as const;
const DIAL_PHASE_MS = 60_000;
const BYTES_TIMEOUT_MS = 15_000;

export interface AttachWorld {
  readonly system: StandaloneTor;
  readonly dialer: RealTorProvider;
}

/**
 * Starts both tors; `cleanups` receives what must be undone (in order), also when a start failed.
 * Both starts are bounded below the 180 s hook timeout.
 */
export async function startAttachWorld(
  name: string,
  clientLines: readonly string[],
  cleanups: (() => Promise<void>)[],
): Promise<AttachWorld> {
  const a = await tempDir(`${name}-system-tor`);
  const b = await tempDir(`${name}-dialer`);
  cleanups.push(a.remove, b.remove);
  const dialer = createTorProvider({
    mode: 'launch',
    ...STALL_LIMITS,
    bootstrapTimeoutMs: 120_000,
    dataDir: b.dir,
    extraTorrcLines: clientLines,
  });
  cleanups.unshift(() => dialer.close());
  const [standalone, dialled] = await Promise.allSettled([
    startStandaloneTor(a.dir, clientLines, randomBytes(12).toString('hex'), 120_000),
    dialer.bootstrap(),
  ]);
  if (standalone.status === 'fulfilled') cleanups.unshift(() => standalone.value.stop());
  if (standalone.status === 'rejected') throw standalone.reason;
  if (dialled.status === 'rejected') throw dialled.reason;
  return { system: standalone.value, dialer };
}

/** Publishes through `provider`, dials from `dialer`, moves bytes both ways. */
export async function publishAndTalk(
  provider: RealTorProvider,
  dialer: RealTorProvider,
): Promise<void> {
  const key = IdentityKey.generate();
  const inbound = new InboundConnections();
  const listener = await provider.listen(key.expandedKey(), inbound.accept);
  expect(listener.serviceId).toBe(key.serviceId);
  const outbound = await dialWithRetry(dialer, key.serviceId, 9878, 'attach', DIAL_PHASE_MS);
  outbound.write('hello');
  const { socket: peer, bytes } = await inbound.firstDelivering(5, BYTES_TIMEOUT_MS);
  expect(bytes.toString()).toBe('hello');
  peer.write('world');
  expect((await readBytes(outbound, 5, BYTES_TIMEOUT_MS)).toString()).toBe('world');
  outbound.destroy();
  await listener.close();
}
