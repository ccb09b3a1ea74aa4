// Real, checksum-valid Ricochet IDs for tests, derived from fixed seeds (deterministic).
import { Point } from '@noble/ed25519';
import { sha3_256 } from '@noble/hashes/sha3.js';
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

/** Distinct valid service ids: real ed25519 public keys (n·G, cheap to make in bulk). */
export function serviceIds(count: number): string[] {
  const ids: string[] = [];
  let point = Point.BASE;
  for (let i = 0; i < count; i++) {
    point = point.add(Point.BASE);
    ids.push(serviceIdOf(point.toBytes()));
  }
  return ids;
}

/** An order-8 point of ed25519 (a well-known torsion-subgroup encoding). */
const ORDER_8_POINT = 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a';

/**
 * Service ids with a correct checksum and version whose key tor refuses: a small-order point,
 * and a prime-order point plus an order-8 point (torsioned). Only the point check catches them.
 */
export function weakKeyServiceIds(): { readonly smallOrder: string; readonly torsioned: string } {
  const torsion = Point.fromHex(ORDER_8_POINT);
  return {
    smallOrder: serviceIdOf(torsion.toBytes()),
    torsioned: serviceIdOf(Point.BASE.multiply(7n).add(torsion).toBytes()),
  };
}

/** rend-spec-v3 §6: base32(pubkey ‖ checksum ‖ version) — the encoding only, no point check. */
function serviceIdOf(publicKey: Uint8Array): string {
  const prefix = new TextEncoder().encode('.onion checksum');
  const checksum = sha3_256(new Uint8Array([...prefix, ...publicKey, 3])).subarray(0, 2);
  const bytes = [...publicKey, ...checksum, 3];
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}
