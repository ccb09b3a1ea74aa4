// The onion-grater profiles in contrib/ against the control commands Sotto's code builds in attach
// mode: every command line and event subscription the code sends passes (through the real line
// builders of src/onion/control/), nothing more is allowed (the profile lists exactly those
// commands and events), and the Whonix profile points the onion at the client's own address.
// test/tor/grater-profiles.test.ts runs the same profiles against real tor.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addOnion, delOnion, getInfo, setEvents } from '../../src/onion/control/commands.js';
import {
  clientAuthV3Key,
  onionClientAuthAdd,
  onionClientAuthRemove,
} from '../../src/onion/control/client-auth-commands.js';
import type { TorControlConnection } from '../../src/onion/control/control-connection.js';
import { ControlReplyParser, type ControlReply } from '../../src/onion/control/reply-parser.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { MAX_STREAMS_PER_CIRCUIT, RICOCHET_VIRTUAL_PORT } from '../../src/onion/onion-service.js';
import { ATTACH_EVENTS } from '../../src/onion/tor-attach.js';
import { judge, parseGraterProfile, type GraterProfile } from '../support/grater-profile.js';
import { ALICE_PUBLIC, ALICE_SECRET } from '../support/x25519-vectors.js';

const TAILS = parseGraterProfile(readFileSync('contrib/tails/sotto.yml', 'utf8'));
const WHONIX = parseGraterProfile(readFileSync('contrib/whonix/40_sotto.yml', 'utf8'));

/** A control connection that records each line the builders send and answers like tor. */
function recordingConnection(serviceId: string): { conn: TorControlConnection; lines: string[] } {
  const lines: string[] = [];
  const answer = (line: string): ControlReply => {
    const text = line.startsWith('ADD_ONION')
      ? `250-ServiceID=${serviceId}\r\n250 OK\r\n`
      : line.startsWith('GETINFO ')
        ? `250-${line.slice(8)}=x\r\n250 OK\r\n`
        : '250 OK\r\n';
    const [reply] = new ControlReplyParser().push(Buffer.from(text));
    if (reply === undefined) throw new Error('no reply');
    return reply;
  };
  const conn = {
    send: (line: string) => {
      lines.push(line);
      return Promise.resolve(answer(line));
    },
  } as unknown as TorControlConnection;
  return { conn, lines };
}

/**
 * The lines attach mode sends: subscriptions, the two GETINFO keys, ADD_ONION for the identity
 * onion and for an endpoint onion (client authorization), DEL_ONION, and a peer's credential.
 */
async function linesSottoSends(target: string): Promise<string[]> {
  const key = IdentityKey.generate();
  const { conn, lines } = recordingConnection(key.serviceId);
  await setEvents(conn, ATTACH_EVENTS);
  await setEvents(conn, ['HS_DESC']);
  await getInfo(conn, ['status/bootstrap-phase']);
  await getInfo(conn, ['net/listeners/socks']);
  // As OnionService.publish builds it.
  await addOnion(conn, {
    key: { type: 'ED25519-V3', blob: key.torKeyBlob().slice('ED25519-V3:'.length) },
    ports: [{ virtualPort: RICOCHET_VIRTUAL_PORT, target }],
    maxStreams: MAX_STREAMS_PER_CIRCUIT,
  });
  await addOnion(conn, {
    key: { type: 'ED25519-V3', blob: key.torKeyBlob().slice('ED25519-V3:'.length) },
    ports: [{ virtualPort: RICOCHET_VIRTUAL_PORT, target }],
    maxStreams: MAX_STREAMS_PER_CIRCUIT,
    clientAuthV3: [clientAuthV3Key(ALICE_PUBLIC)],
  });
  await delOnion(conn, key.serviceId);
  // As ClientAuthRegistry sends them.
  await onionClientAuthAdd(conn, key.serviceId, ALICE_SECRET);
  await onionClientAuthRemove(conn, key.serviceId);
  key.wipe();
  return lines;
}

const FORBIDDEN = [
  'SETCONF SocksPort=0',
  'RESETCONF SocksPort',
  'SAVECONF',
  'SIGNAL NEWNYM',
  'SIGNAL SHUTDOWN',
  'TAKEOWNERSHIP',
  'GETCONF ControlPort',
  'GETINFO address',
  'GETINFO circuit-status',
  'GETINFO status/bootstrap-phase net/listeners/socks address',
  'ADD_ONION NEW:ED25519-V3 Port=9878,127.0.0.1:4000',
  `ADD_ONION ED25519-V3:${'A'.repeat(86)}== Flags=Detach MaxStreams=16 Port=9878,127.0.0.1:4000`,
  `ADD_ONION ED25519-V3:${'A'.repeat(86)}== MaxStreams=16 Port=80,127.0.0.1:4000`,
  // MaxStreams=0 means unlimited streams per circuit: a stream flood the cap of 16 prevents.
  `ADD_ONION ED25519-V3:${'A'.repeat(86)}== MaxStreams=0 Port=9878,127.0.0.1:4000`,
  `ADD_ONION ED25519-V3:${'A'.repeat(86)}== MaxStreams=16 Port=9878,127.0.0.1:4000 Port=22,127.0.0.1:22`,
  'DEL_ONION x',
  'SETEVENTS CIRC',
  'SETEVENTS STREAM',
  'SETEVENTS HS_DESC ADDRMAP',
  'ONION_CLIENT_AUTH_VIEW',
  `ONION_CLIENT_AUTH_VIEW ${'a'.repeat(56)}`,
  // Never on disk, no nickname, no other key type.
  `ONION_CLIENT_AUTH_ADD ${'a'.repeat(56)} x25519:${'A'.repeat(43)}= Flags=Permanent`,
  `ONION_CLIENT_AUTH_ADD ${'a'.repeat(56)} x25519:${'A'.repeat(43)}= ClientName=x`,
  `ONION_CLIENT_AUTH_ADD ${'a'.repeat(56)} ed25519:${'A'.repeat(43)}=`,
  'ONION_CLIENT_AUTH_REMOVE x',
  // Client authorization only for one contact's key, only with our own key and stream cap.
  `ADD_ONION ED25519-V3:${'A'.repeat(86)}== Flags=V3Auth MaxStreams=16 Port=9878,127.0.0.1:4000 ClientAuthV3=${'A'.repeat(52)} ClientAuthV3=${'B'.repeat(52)}`,
  `ADD_ONION NEW:ED25519-V3 Flags=V3Auth MaxStreams=16 Port=9878,127.0.0.1:4000 ClientAuthV3=${'A'.repeat(52)}`,
  `ADD_ONION ED25519-V3:${'A'.repeat(86)}== Flags=V3Auth,Detach MaxStreams=16 Port=9878,127.0.0.1:4000 ClientAuthV3=${'A'.repeat(52)}`,
];

describe.each([
  ['contrib/tails/sotto.yml', TAILS],
  ['contrib/whonix/40_sotto.yml', WHONIX],
] as [string, GraterProfile][])('%s', (_name, profile) => {
  it('lets every command Sotto sends in attach mode through', async () => {
    for (const line of await linesSottoSends('127.0.0.1:41234')) {
      expect(judge(profile, line, '127.0.0.1'), line).toMatchObject({ kind: 'pass' });
    }
  });

  it('allows exactly those commands and events, nothing more', () => {
    expect([...profile.commands.keys()].sort()).toEqual([
      'ADD_ONION',
      'DEL_ONION',
      'GETINFO',
      'ONION_CLIENT_AUTH_ADD',
      'ONION_CLIENT_AUTH_REMOVE',
    ]);
    expect([...profile.events.keys()].sort()).toEqual([...ATTACH_EVENTS].sort());
    expect([...profile.events.values()].every((e) => !e.suppress)).toBe(true);
    for (const line of FORBIDDEN)
      expect(judge(profile, line, '127.0.0.1'), line).toEqual({ kind: 'filtered' });
  });
});

describe('contrib/tails/sotto.yml', () => {
  it('lets the onion point only at a loopback listener', async () => {
    const lines = await linesSottoSends('10.0.0.5:41234');
    const addOnionLines = lines.filter((line) => line.startsWith('ADD_ONION'));
    expect(addOnionLines).toHaveLength(2);
    for (const line of addOnionLines)
      expect(judge(TAILS, line, '127.0.0.1')).toEqual({ kind: 'filtered' });
  });
});

describe('contrib/whonix/40_sotto.yml', () => {
  it("rewrites the onion's target to the workstation's own address", async () => {
    const lines = await linesSottoSends('0.0.0.0:9878');
    const [identityLine = '', endpointLine = ''] = lines.filter((l) => l.startsWith('ADD_ONION'));
    const verdict = judge(WHONIX, identityLine, '10.152.152.11');
    expect(verdict.kind).toBe('pass');
    const forwarded = verdict.kind === 'pass' ? verdict.line : '';
    expect(forwarded).toMatch(/ Port=9878,10\.152\.152\.11:9878$/u);
    // The key itself is passed on unchanged.
    expect(forwarded.split(' ')[1]).toBe(identityLine.split(' ')[1]);
    // An endpoint onion: the same rewrite, the contact's key passed on unchanged.
    const endpoint = judge(WHONIX, endpointLine, '10.152.152.11');
    expect(endpoint).toEqual({
      kind: 'pass',
      line: endpointLine.replace(' Port=9878,0.0.0.0:9878 ', ' Port=9878,10.152.152.11:9878 '),
    });
    expect(endpointLine).toContain(` ClientAuthV3=${clientAuthV3Key(ALICE_PUBLIC)}`);
  });
});
