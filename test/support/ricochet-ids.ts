// Real, checksum-valid Ricochet IDs for tests, derived from fixed seeds (deterministic).
import { IdentityKey } from '../../src/identity/identity-key.js';

const cache = new Map<number, string>();

/** `ricochet:<service id>` of the identity whose 32-byte seed is filled with `n`. */
export function ricochetId(n: number): string {
  let id = cache.get(n);
  if (id === undefined) {
    id = `ricochet:${IdentityKey.fromSeed(new Uint8Array(32).fill(n & 0xff)).serviceId}`;
    cache.set(n, id);
  }
  return id;
}
