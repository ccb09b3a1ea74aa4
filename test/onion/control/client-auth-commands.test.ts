// v3 client authorization on the control port (control-spec §3.27 `ClientAuthV3=`, §3.30–3.32),
// against a scripted control peer over real loopback sockets: the exact command lines (key
// encodings from the specs: base32 public key as in rend-spec-v3 G.1.2, `x25519:` + base64
// secret), every documented reply code, tor's refusals as TorControlError, and the
// ONION_CLIENT_AUTH_VIEW reply parsed whole, byte at a time, and against garbage. Expected
// encodings were computed outside this code (Python's base64 module) from RFC 7748 §6.1 keys.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientAuthV3Key,
  onionClientAuthAdd,
  onionClientAuthRemove,
  onionClientAuthView,
  parseClientAuthView,
} from '../../../src/onion/control/client-auth-commands.js';
import { addOnion } from '../../../src/onion/control/commands.js';
import { TorControlConnection } from '../../../src/onion/control/control-connection.js';
import {
  ControlArgumentError,
  ControlProtocolError,
  MalformedControlFieldError,
  TorControlError,
} from '../../../src/onion/control/errors.js';
import { ControlReplyParser } from '../../../src/onion/control/reply-parser.js';
import { scriptedPeer, type ScriptedPeer } from '../../support/scripted-control-peer.js';
import { ALICE_SECRET, ALICE_PUBLIC } from '../../support/x25519-vectors.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
/** base64.b32encode(ALICE_PUBLIC) without its padding. */
const ALICE_PUBLIC_BASE32 = 'QUQPACMJGCTVI5ELPXOLIPXXLIG36OQNEY4BV5HLUSUY5KU3JZVA';
/** base64.b64encode(ALICE_SECRET). */
const ALICE_SECRET_BASE64 = 'dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=';
/** rend-spec-v3 G.1.2's example key and the bytes it decodes to. */
const SPEC_EXAMPLE_BASE32 = 'OM7TGIVRYMY6PFX6GAC6ATRTA5U6WW6U7A4ZNHQDI6OVL52XVV2Q';
const SPEC_EXAMPLE_BYTES = hex('733f3322b1c331e796fe3005e04e330769eb5bd4f839969e03479d55f757ad75');
const ONION = 'n35etu3yjxrqjpntmfziom5sjwspoydchmelc4xleoy4jk2u4lziz2yd'; // control-spec's example

let peer: ScriptedPeer | undefined;
let conn: TorControlConnection | undefined;
afterEach(async () => {
  conn?.close();
  conn = undefined;
  await peer?.close();
  peer = undefined;
});

async function answering(
  answer: (line: string) => string,
  byteAtATime = true,
): Promise<{ conn: TorControlConnection; received: string[] }> {
  peer = await scriptedPeer((line) => answer(line), { byteAtATime });
  conn = await TorControlConnection.connect({ host: '127.0.0.1', port: peer.port });
  return { conn, received: peer.received };
}

function reply(text: string) {
  const [parsed] = new ControlReplyParser().push(Buffer.from(text));
  if (parsed === undefined) throw new Error('incomplete reply');
  return parsed;
}

describe('key encodings', () => {
  it('ClientAuthV3 is the base32 public key, 52 characters, no padding', () => {
    expect(clientAuthV3Key(ALICE_PUBLIC)).toBe(ALICE_PUBLIC_BASE32);
    expect(clientAuthV3Key(SPEC_EXAMPLE_BYTES)).toBe(SPEC_EXAMPLE_BASE32);
  });

  it('refuses a key that is not 32 bytes', () => {
    for (const length of [0, 31, 33]) {
      expect(() => clientAuthV3Key(new Uint8Array(length))).toThrow(ControlArgumentError);
    }
  });
});

describe('ADD_ONION with ClientAuthV3', () => {
  it('puts one ClientAuthV3= per key after the ports, with the V3Auth flag', async () => {
    const { conn, received } = await answering(() => `250-ServiceID=${ONION}\r\n250 OK\r\n`);
    const blob = `${'A'.repeat(86)}==`;
    const result = await addOnion(conn, {
      key: { type: 'ED25519-V3', blob },
      ports: [{ virtualPort: 9878, target: '127.0.0.1:4000' }],
      maxStreams: 16,
      clientAuthV3: [ALICE_PUBLIC_BASE32, SPEC_EXAMPLE_BASE32],
    });
    expect(result).toEqual({ serviceId: ONION });
    expect(received).toEqual([
      `ADD_ONION ED25519-V3:${blob} Flags=V3Auth MaxStreams=16 Port=9878,127.0.0.1:4000 ` +
        `ClientAuthV3=${ALICE_PUBLIC_BASE32} ClientAuthV3=${SPEC_EXAMPLE_BASE32}`,
    ]);
  });

  it('refuses a ClientAuthV3 value that is not 52 base32 characters, before sending', async () => {
    const { conn, received } = await answering(() => '250 OK\r\n');
    for (const bad of ['', ALICE_PUBLIC_BASE32.slice(1), `${ALICE_PUBLIC_BASE32}=`, 'a'.repeat(52)])
      await expect(
        addOnion(conn, { key: 'NEW', ports: [{ virtualPort: 9878 }], clientAuthV3: [bad] }),
      ).rejects.toBeInstanceOf(ControlArgumentError);
    expect(received).toEqual([]);
  });
});

describe('ONION_CLIENT_AUTH_ADD / REMOVE', () => {
  it('sends the secret as x25519:<base64>, never Permanent, and reads 250/251/252', async () => {
    const answers = ['250 OK', '251 Client for onion existed and replaced', '252 Registered'];
    const { conn, received } = await answering(() => `${answers.shift() ?? '250 OK'}\r\n`);
    expect(await onionClientAuthAdd(conn, ONION, ALICE_SECRET)).toBe('added');
    expect(await onionClientAuthAdd(conn, ONION, ALICE_SECRET)).toBe('replaced');
    expect(await onionClientAuthAdd(conn, ONION, ALICE_SECRET, { clientName: 'bob-1' })).toBe(
      'added-and-decrypted',
    );
    expect(received).toEqual([
      `ONION_CLIENT_AUTH_ADD ${ONION} x25519:${ALICE_SECRET_BASE64}`,
      `ONION_CLIENT_AUTH_ADD ${ONION} x25519:${ALICE_SECRET_BASE64}`,
      `ONION_CLIENT_AUTH_ADD ${ONION} x25519:${ALICE_SECRET_BASE64} ClientName=bob-1`,
    ]);
  });

  it('reads REMOVE 250 as removed and 251 as not held', async () => {
    const answers = ['250 OK', '251 Client credentials for this onion did not exist'];
    const { conn, received } = await answering(() => `${answers.shift() ?? '250 OK'}\r\n`);
    expect(await onionClientAuthRemove(conn, ONION)).toBe('removed');
    expect(await onionClientAuthRemove(conn, ONION)).toBe('not-held');
    expect(received).toEqual([
      `ONION_CLIENT_AUTH_REMOVE ${ONION}`,
      `ONION_CLIENT_AUTH_REMOVE ${ONION}`,
    ]);
  });

  it("tor's error codes arrive as TorControlError carrying the keyword, never the secret", async () => {
    for (const status of [451, 510, 512, 551, 552]) {
      const { conn } = await answering(() => `${status} refused\r\n`);
      const error = await onionClientAuthAdd(conn, ONION, ALICE_SECRET).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TorControlError);
      expect(error).toMatchObject({ status, commandKeyword: 'ONION_CLIENT_AUTH_ADD' });
      expect(String((error as Error).message)).not.toContain(ALICE_SECRET_BASE64);
      conn.close();
      await peer?.close();
    }
  });

  it('checks its arguments before anything is sent', async () => {
    const { conn, received } = await answering(() => '250 OK\r\n');
    const checks = [
      onionClientAuthAdd(conn, ONION.toUpperCase(), ALICE_SECRET),
      onionClientAuthAdd(conn, `${ONION} Flags=Permanent`, ALICE_SECRET),
      onionClientAuthAdd(conn, ONION, ALICE_SECRET.subarray(1)),
      onionClientAuthAdd(conn, ONION, ALICE_SECRET, { clientName: 'a b' }),
      onionClientAuthAdd(conn, ONION, ALICE_SECRET, { clientName: 'x'.repeat(17) }),
      onionClientAuthRemove(conn, 'x'),
      onionClientAuthView(conn, `${ONION}\r\nSIGNAL HALT`),
    ];
    for (const check of checks) await expect(check).rejects.toBeInstanceOf(ControlArgumentError);
    expect(received).toEqual([]);
  });
});

describe('ONION_CLIENT_AUTH_VIEW', () => {
  const VIEW =
    `250-ONION_CLIENT_AUTH_VIEW\r\n` +
    `250-CLIENT ${ONION} x25519:${ALICE_SECRET_BASE64}\r\n` +
    `250-CLIENT ${'a'.repeat(56)} x25519:${ALICE_SECRET_BASE64} ClientName=alice Flags=Permanent\r\n` +
    `250 OK\r\n`;

  it('lists the credentials without their secrets, reply arriving byte at a time', async () => {
    const { conn, received } = await answering(() => VIEW, true);
    const credentials = await onionClientAuthView(conn);
    expect(credentials).toEqual([
      { serviceId: ONION, permanent: false },
      { serviceId: 'a'.repeat(56), clientName: 'alice', permanent: true },
    ]);
    expect(JSON.stringify(credentials)).not.toContain(ALICE_SECRET_BASE64);
    expect(received).toEqual(['ONION_CLIENT_AUTH_VIEW']);
  });

  it('reads the empty list for one onion', async () => {
    const { conn, received } = await answering(
      () => `250-ONION_CLIENT_AUTH_VIEW ${ONION}\r\n250 OK\r\n`,
    );
    expect(await onionClientAuthView(conn, ONION)).toEqual([]);
    expect(received).toEqual([`ONION_CLIENT_AUTH_VIEW ${ONION}`]);
  });

  it('refuses malformed replies with a typed error', () => {
    const bad = [
      '250 OK\r\n',
      '250-SOMETHING_ELSE\r\n250 OK\r\n',
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-CLIENT ${ONION}\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-CLIENT ${ONION} ed25519:${ALICE_SECRET_BASE64}\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-CLIENT ${ONION} x25519:abc=\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-CLIENT short x25519:${ALICE_SECRET_BASE64}\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-CLIENT ${ONION} x25519:${ALICE_SECRET_BASE64} extra\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-SERVER ${ONION} x25519:${ALICE_SECRET_BASE64}\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250+CLIENT=\r\ndata\r\n.\r\n250 OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250 NOT-OK\r\n`,
      `250-ONION_CLIENT_AUTH_VIEW\r\n250-CLIENT ${ONION} x25519:${ALICE_SECRET_BASE64} ClientName="unterminated\r\n250 OK\r\n`,
    ];
    for (const text of bad) {
      expect(() => parseClientAuthView(reply(text)), text).toThrow(MalformedControlFieldError);
    }
  });

  it('never throws anything but a ControlProtocolError on random reply lines', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 120 }).map((s) => s.replace(/[\r\n]/g, ' ')),
      fc
        .tuple(
          fc.constantFrom('CLIENT', 'client', 'X'),
          fc.constantFrom(ONION, 'a'.repeat(56), ''),
          fc.constantFrom(`x25519:${ALICE_SECRET_BASE64}`, 'x25519:', ''),
          fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' ')),
        )
        .map((parts) => parts.join(' ')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
        const text =
          `250-ONION_CLIENT_AUTH_VIEW\r\n` +
          lines.map((l) => `250-${l}\r\n`).join('') +
          '250 OK\r\n';
        try {
          const credentials = parseClientAuthView(reply(text));
          expect(JSON.stringify(credentials)).not.toContain(ALICE_SECRET_BASE64);
        } catch (error) {
          expect(error).toBeInstanceOf(ControlProtocolError);
        }
      }),
    );
  });
});
