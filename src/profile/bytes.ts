// Byte helpers shared by the profile's sealing edges (sealed-log.ts, vault-state-json.ts).

/**
 * The parts joined into one new array. Takes a list, not arguments (unlike noble's concatBytes):
 * a log compaction can join hundreds of thousands of records, more than a call's argument limit.
 */
export function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
