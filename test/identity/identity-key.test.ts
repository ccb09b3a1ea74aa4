// IdentityKey and verifySignature: RFC 8032 §7.1 vectors, Ricochet Refresh 3.0.41 key blobs and the
// exact proof signatures seen on the wire, expanded-key signing equal to seeded signing.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fromBinary, getExtension } from '@bufbuild/protobuf';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IdentityKey,
  IdentityKeyWipedError,
  InvalidKeyBlobError,
  KeyBlobFormatError,
  KeyBlobLengthError,
  KeyBlobScalarError,
  verifySignature,
} from '../../src/identity/identity-key.js';
import { publicKeyFromServiceId } from '../../src/identity/service-id.js';
import * as Auth from '../../src/protocol/gen/AuthHiddenService_pb.js';
import * as Control from '../../src/protocol/gen/ControlChannel_pb.js';
import { VECTOR_DIR } from '../protocol/session-vectors.js';

const RICOCHET_DIR = VECTOR_DIR;

interface Rfc8032Vector {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}
const rfc8032 = JSON.parse(
  readFileSync(new URL('../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8'),
) as { vectors: Rfc8032Vector[] };

interface Session {
  peers: Record<string, { service_id: string; identity_keyblob: string }>;
  connections: {
    client: string;
    server: string;
    segments: { from: 'client' | 'server'; hex: string }[];
  }[];
}
const sessions = readdirSync(RICOCHET_DIR)
  .filter((name) => name.startsWith('session-') && name.endsWith('.json'))
  .map((name) => ({
    name,
    session: JSON.parse(readFileSync(join(RICOCHET_DIR, name), 'utf8')) as Session,
  }));

describe('RFC 8032 §7.1 test vectors', () => {
  for (const vector of rfc8032.vectors) {
    it(`${vector.name}: public key, signature and verification`, () => {
      const key = IdentityKey.fromSeed(hexToBytes(vector.secretKey));
      const message = hexToBytes(vector.message);
      expect(bytesToHex(key.publicKey)).toBe(vector.publicKey);
      expect(bytesToHex(key.sign(message))).toBe(vector.signature);
      expect(verifySignature(key.publicKey, message, hexToBytes(vector.signature))).toBe(true);
      // The same key reloaded from its expanded form signs identically.
      const expanded = IdentityKey.fromExpandedKey(key.expandedKey());
      expect(expanded.seed).toBeUndefined();
      expect(bytesToHex(expanded.sign(message))).toBe(vector.signature);
      expect(expanded.serviceId).toBe(key.serviceId);
    });
  }
});

describe('Ricochet Refresh 3.0.41 keys', () => {
  it('the GUI profile key blob gives the recorded service id', () => {
    const profile = JSON.parse(
      readFileSync(join(RICOCHET_DIR, 'profile-ricochet.json'), 'utf8'),
    ) as { identity: { privateKey: string } };
    const expected = /Service id of identity\.privateKey: ([a-z2-7]{56})/.exec(
      readFileSync(join(RICOCHET_DIR, 'profile-ricochet.txt'), 'utf8'),
    )?.[1];
    expect(expected).toBe('h44ilsblgrguks5smjizbqz7bdiafz2fekxowyoho5v63kwozbae6did');
    const key = IdentityKey.fromTorKeyBlob(profile.identity.privateKey);
    expect(key.serviceId).toBe(expected);
    expect(key.torKeyBlob()).toBe(profile.identity.privateKey);
  });

  for (const { name, session } of sessions) {
    for (const [peer, { service_id, identity_keyblob }] of Object.entries(session.peers)) {
      it(`${name}: peer ${peer} key blob gives its service id`, () => {
        const key = IdentityKey.fromTorKeyBlob(identity_keyblob);
        expect(key.serviceId).toBe(service_id);
        expect(key.torKeyBlob()).toBe(identity_keyblob);
      });
    }
  }
});

/** Splits a recorded byte stream into Ricochet packets `u16 size ‖ u16 channel ‖ data`. */
function packets(stream: Uint8Array): { channel: number; data: Uint8Array }[] {
  const out: { channel: number; data: Uint8Array }[] = [];
  let offset = 0;
  while (offset + 4 <= stream.length) {
    const size = ((stream[offset] ?? 0) << 8) | (stream[offset + 1] ?? 0);
    const channel = ((stream[offset + 2] ?? 0) << 8) | (stream[offset + 3] ?? 0);
    out.push({ channel, data: stream.subarray(offset + 4, offset + size) });
    offset += size;
  }
  return out;
}

function streamOf(segments: Session['connections'][number]['segments'], from: string): Uint8Array {
  return hexToBytes(
    segments
      .filter((segment) => segment.from === from)
      .map((segment) => segment.hex)
      .join(''),
  );
}

describe('auth proofs recorded on the wire', () => {
  const proofs: {
    label: string;
    blob: string;
    proof: Uint8Array;
    signature: Uint8Array;
    clientId: string;
  }[] = [];
  for (const { name, session } of sessions) {
    session.connections.forEach((connection, index) => {
      const client = packets(streamOf(connection.segments, 'client').subarray(4));
      const server = packets(streamOf(connection.segments, 'server').subarray(1));
      const open = client
        .filter((p) => p.channel === 0)
        .map((p) => fromBinary(Control.PacketSchema, p.data).openChannel)
        .find((o) => o?.channelType === 'im.ricochet.auth.hidden-service');
      const result = server
        .filter((p) => p.channel === 0)
        .map((p) => fromBinary(Control.PacketSchema, p.data).channelResult)
        .find((r) => r !== undefined && r.channelIdentifier === open?.channelIdentifier);
      const proofPacket = client
        .filter((p) => p.channel === open?.channelIdentifier && p.data.length > 0)
        .map((p) => fromBinary(Auth.PacketSchema, p.data).proof)
        .find((p) => p !== undefined);
      if (!open || !result || !proofPacket) return; // a dropped duplicate connection has no proof
      const clientCookie = getExtension(open, Auth.client_cookie);
      const serverCookie = getExtension(result, Auth.server_cookie);
      const clientId = session.peers[connection.client]?.service_id ?? '';
      const serverId = session.peers[connection.server]?.service_id ?? '';
      expect(proofPacket.serviceId).toBe(clientId);
      const proof = hmac(
        sha256,
        new Uint8Array([...clientCookie, ...serverCookie]),
        new TextEncoder().encode(clientId + serverId),
      );
      proofs.push({
        label: `${name} connection ${index}`,
        blob: session.peers[connection.client]?.identity_keyblob ?? '',
        proof,
        signature: proofPacket.signature,
        clientId,
      });
    });
  }

  it('finds proofs in every session', () => {
    expect(proofs.length).toBeGreaterThanOrEqual(sessions.length);
  });

  it('re-signing each proof from the key blob gives the exact wire signature', () => {
    for (const { blob, proof, signature, clientId } of proofs) {
      const key = IdentityKey.fromTorKeyBlob(blob);
      expect(bytesToHex(key.sign(proof))).toBe(bytesToHex(signature));
      expect(verifySignature(publicKeyFromServiceId(clientId), proof, signature)).toBe(true);
    }
  });
});

describe('IdentityKey', () => {
  it('generates distinct keys whose seeded and expanded forms sign the same bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, message) => {
          const seeded = IdentityKey.fromSeed(seed);
          const expanded = IdentityKey.fromTorKeyBlob(seeded.torKeyBlob());
          const signature = seeded.sign(message);
          expect(expanded.sign(message)).toEqual(signature);
          expect(verifySignature(seeded.publicKey, message, signature)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
    expect(IdentityKey.generate().serviceId).not.toBe(IdentityKey.generate().serviceId);
  });

  it('signs with an unreduced clamped scalar as C tor keeps it', () => {
    // A scalar ≥ L (clamped keys are in [2^254, 2^255), L ≈ 2^252): the reduced and the raw
    // scalar must give the same public key and signature; checked against seeded signing.
    const key = IdentityKey.fromSeed(new Uint8Array(32).fill(7));
    const expanded = key.expandedKey();
    expect((expanded[31] ?? 0) & 0x40).toBe(0x40);
    const message = new TextEncoder().encode('unreduced');
    expect(IdentityKey.fromExpandedKey(expanded).sign(message)).toEqual(key.sign(message));
  });

  it('hands out copies, keeps the seed of seeded keys only', () => {
    const seed = new Uint8Array(32).fill(1);
    const key = IdentityKey.fromSeed(seed);
    seed.fill(9);
    expect(key.seed).toEqual(new Uint8Array(32).fill(1));
    key.expandedKey().fill(0);
    expect(key.expandedKey().some((byte) => byte !== 0)).toBe(true);
    expect(IdentityKey.fromExpandedKey(key.expandedKey()).seed).toBeUndefined();
  });

  it('wipe() zeroes the secrets and refuses to sign or export afterwards', () => {
    const key = IdentityKey.generate();
    key.wipe();
    expect(() => key.sign(new Uint8Array(1))).toThrow(IdentityKeyWipedError);
    expect(() => key.expandedKey()).toThrow(IdentityKeyWipedError);
    expect(() => key.torKeyBlob()).toThrow(IdentityKeyWipedError);
    expect(() => key.seed).toThrow(IdentityKeyWipedError);
    expect(key.serviceId).toHaveLength(56);
  });

  it('never shows secrets in JSON or util.inspect', () => {
    const key = IdentityKey.fromSeed(new Uint8Array(32).fill(3));
    const blobBase64 = key.torKeyBlob().slice('ED25519-V3:'.length);
    for (const text of [JSON.stringify(key), inspect(key, { showHidden: true, depth: 5 })]) {
      expect(text).toContain(key.serviceId);
      expect(text).not.toContain(blobBase64);
      expect(text).not.toContain(bytesToHex(key.expandedKey()));
    }
  });

  it('rejects wrong types and lengths with TypeError / RangeError', () => {
    expect(() => IdentityKey.fromSeed(new Uint8Array(31))).toThrow(RangeError);
    expect(() => IdentityKey.fromSeed('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => IdentityKey.fromExpandedKey(new Uint8Array(63))).toThrow(RangeError);
    expect(() => IdentityKey.fromTorKeyBlob(7 as unknown as string)).toThrow(TypeError);
    expect(() => IdentityKey.generate().sign('hi' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('key blob errors', () => {
  const good = IdentityKey.fromSeed(new Uint8Array(32).fill(5)).torKeyBlob();
  const body = good.slice('ED25519-V3:'.length);
  const cases: [string, string, new (...args: never[]) => InvalidKeyBlobError][] = [
    ['wrong key type', 'RSA1024:' + body, KeyBlobFormatError],
    ['lower-case key type', 'ed25519-v3:' + body, KeyBlobFormatError],
    ['not base64', 'ED25519-V3:' + body.replace(/^./, '*'), KeyBlobFormatError],
    [
      'inner whitespace',
      'ED25519-V3:' + body.slice(0, 10) + ' ' + body.slice(10),
      KeyBlobFormatError,
    ],
    ['oversize input', good + 'A'.repeat(1000), KeyBlobFormatError],
    ['32 bytes', 'ED25519-V3:' + Buffer.alloc(32, 0x40).toString('base64'), KeyBlobLengthError],
    ['empty', 'ED25519-V3:', KeyBlobLengthError],
    [
      'non-canonical trailing bits',
      'ED25519-V3:' + body.replace(/(.)==$/, (_m, c: string) => (c === 'A' ? 'B' : 'A') + '=='),
      KeyBlobFormatError,
    ],
  ];
  for (const [label, blob, errorClass] of cases) {
    it(`rejects ${label} with ${errorClass.name}`, () => {
      expect(() => IdentityKey.fromTorKeyBlob(blob)).toThrow(errorClass);
      expect(() => IdentityKey.fromTorKeyBlob(blob)).toThrow(InvalidKeyBlobError);
    });
  }

  it('accepts the unpadded base64 form too', () => {
    expect(IdentityKey.fromTorKeyBlob(good.replace(/=+$/, '')).torKeyBlob()).toBe(good);
  });

  it('rejects an unclamped scalar (e.g. a libsodium seed ‖ public key) with KeyBlobScalarError', () => {
    const expanded = IdentityKey.fromSeed(new Uint8Array(32).fill(5)).expandedKey();
    for (const mutate of [
      (b: Uint8Array) => (b[0] = (b[0] ?? 0) | 1),
      (b: Uint8Array) => (b[31] = (b[31] ?? 0) | 0x80),
      (b: Uint8Array) => (b[31] = (b[31] ?? 0) & ~0x40),
    ]) {
      const bad = Uint8Array.from(expanded);
      mutate(bad);
      expect(() => IdentityKey.fromExpandedKey(bad)).toThrow(KeyBlobScalarError);
      const blob = 'ED25519-V3:' + Buffer.from(bad).toString('base64');
      expect(() => IdentityKey.fromTorKeyBlob(blob)).toThrow(KeyBlobScalarError);
    }
  });

  it('never throws anything but InvalidKeyBlobError for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tail) => {
        try {
          IdentityKey.fromTorKeyBlob('ED25519-V3:' + tail);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidKeyBlobError);
        }
      }),
    );
  });
});

describe('verifySignature', () => {
  const key = IdentityKey.fromSeed(new Uint8Array(32).fill(11));
  const message = new TextEncoder().encode('proof');
  const signature = key.sign(message);

  it('returns false for any flipped bit in signature, message or key, never throws', () => {
    fc.assert(
      fc.property(fc.nat({ max: 64 * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(signature);
        bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(verifySignature(key.publicKey, message, bad)).toBe(false);
      }),
    );
    expect(verifySignature(key.publicKey, new TextEncoder().encode('proog'), signature)).toBe(
      false,
    );
    const otherKey = IdentityKey.fromSeed(new Uint8Array(32).fill(12)).publicKey;
    expect(verifySignature(otherKey, message, signature)).toBe(false);
  });

  it('returns false for garbage public keys and signatures of the right length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (publicKey, garbage) => {
          expect(verifySignature(publicKey, message, garbage)).toBe(false);
        },
      ),
    );
  });

  it('rejects a non-canonical S (S + L) and the small-order identity key', () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i] ?? 0);
    const malleable = Uint8Array.from(signature);
    let sPlusL = s + L;
    for (let i = 32; i < 64; i++) {
      malleable[i] = Number(sPlusL & 0xffn);
      sPlusL >>= 8n;
    }
    expect(verifySignature(key.publicKey, message, malleable)).toBe(false);
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const trivial = new Uint8Array(64);
    trivial[0] = 1;
    expect(verifySignature(identity, message, trivial)).toBe(false);
  });

  it('throws TypeError / RangeError for wrong types and lengths', () => {
    expect(() => verifySignature(key.publicKey.subarray(1), message, signature)).toThrow(
      RangeError,
    );
    expect(() => verifySignature(key.publicKey, message, signature.subarray(1))).toThrow(
      RangeError,
    );
    expect(() => verifySignature(key.publicKey, 'x' as unknown as Uint8Array, signature)).toThrow(
      TypeError,
    );
  });
});
