// Real, valid Ricochet IDs for UI tests: onion addresses of fixed Ed25519 points.
import { Point } from '@noble/ed25519';
import { formatRicochetId, serviceIdFromPublicKey } from '../../../src/identity/service-id.js';

export function ricochetIdFor(seed: number): string {
  const publicKey = Point.BASE.multiply(BigInt(seed) + 1000n).toBytes();
  return formatRicochetId(serviceIdFromPublicKey(publicKey));
}
