// v3 client authorization against a real offline tor (DisableNetwork 1): tor takes ADD_ONION
// `ClientAuthV3=` with our base32 key, and ONION_CLIENT_AUTH_ADD/VIEW/REMOVE with our
// `x25519:<base64>` secret, answering the codes control-spec §3.30–3.32 names. Then the same
// commands through a filtering control port in the manner of onion-grater (Tails, Whonix) whose
// profile knows only Sotto's identity onion: the identity onion's ADD_ONION still passes, the
// client-auth commands come back as UnsupportedByTorError and nothing is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityKey } from '../../../src/identity/identity-key.js';
import { ClientAuthRegistry } from '../../../src/onion/client-auth-registry.js';
import { authenticate } from '../../../src/onion/control/authenticate.js';
import {
  clientAuthV3Key,
  onionClientAuthAdd,
  onionClientAuthRemove,
  onionClientAuthView,
} from '../../../src/onion/control/client-auth-commands.js';
import { addOnion, delOnion } from '../../../src/onion/control/commands.js';
import { TorControlConnection } from '../../../src/onion/control/control-connection.js';
import { OnionService } from '../../../src/onion/onion-service.js';
import { UnsupportedByTorError } from '../../../src/onion/tor-errors.js';
import type { TorSession } from '../../../src/onion/tor-session.js';
import { startTestTor, type TestTor } from '../../support/control-test-tor.js';
import { startFilteringProxy, type FilteringProxy } from '../../support/filtering-control-proxy.js';
import { judge, parseGraterProfile } from '../../support/grater-profile.js';
import { ALICE_SECRET, ALICE_PUBLIC, BOB_SECRET } from '../../support/x25519-vectors.js';

/** The Tails profile as shipped before endpoints: the identity onion only. */
const IDENTITY_ONLY_PROFILE = `
- apparmor-profiles: ['/usr/bin/node']
  users: ['amnesia']
  commands:
    GETINFO: ['status/bootstrap-phase', 'net/listeners/socks']
    ADD_ONION:
      - 'ED25519-V3:[A-Za-z0-9+/]{86}== MaxStreams=16 Port=9878,127\\.0\\.0\\.1:\\d{1,5}'
    DEL_ONION: ['[a-z2-7]{56}']
  events: { STATUS_CLIENT: , HS_DESC: , NETWORK_LIVENESS: }
`;

const password = 'client-auth-test';
let tor: TestTor;
let conn: TorControlConnection;

beforeAll(async () => {
  tor = await startTestTor({ kind: 'password', password });
  if (!('port' in tor.target)) throw new Error('expected a TCP control port');
  conn = await TorControlConnection.connect(tor.target);
  await authenticate(conn, { password });
});
afterAll(async () => {
  conn.close();
  await tor.stop();
});

describe('real tor', () => {
  it('takes ADD_ONION with ClientAuthV3 keys', async () => {
    const key = IdentityKey.generate();
    const result = await addOnion(conn, {
      key: { type: 'ED25519-V3', blob: key.torKeyBlob().slice('ED25519-V3:'.length) },
      ports: [{ virtualPort: 9878, target: '127.0.0.1:9' }],
      maxStreams: 16,
      clientAuthV3: [clientAuthV3Key(ALICE_PUBLIC)],
    });
    expect(result.serviceId).toBe(key.serviceId);
    await delOnion(conn, key.serviceId);
    key.wipe();
  });

  it('adds, replaces, lists and removes a client credential, in memory only', async () => {
    const onion = IdentityKey.generate().serviceId;
    expect(await onionClientAuthAdd(conn, onion, ALICE_SECRET)).toBe('added');
    expect(await onionClientAuthAdd(conn, onion, BOB_SECRET, { clientName: 'bob' })).toBe(
      'replaced',
    );
    expect(await onionClientAuthView(conn, onion)).toEqual([
      { serviceId: onion, clientName: 'bob', permanent: false },
    ]);
    expect(await onionClientAuthRemove(conn, onion)).toBe('removed');
    expect(await onionClientAuthRemove(conn, onion)).toBe('not-held');
    expect(await onionClientAuthView(conn, onion)).toEqual([]);
  });
});

describe('behind a filter that knows only the identity onion', () => {
  let filter: FilteringProxy;
  let filtered: TorControlConnection;
  let session: TorSession;

  beforeAll(async () => {
    const profile = parseGraterProfile(IDENTITY_ONLY_PROFILE);
    const upstream = tor.target as { host: string; port: number };
    filter = await startFilteringProxy({
      upstream,
      upstreamPassword: password,
      allow: (line) => judge(profile, line, '127.0.0.1').kind === 'pass',
    });
    filtered = await TorControlConnection.connect({ host: '127.0.0.1', port: filter.port });
    await authenticate(filtered);
    session = {
      control: filtered,
      socks: { host: '127.0.0.1', port: 9 },
      capabilities: { bootstrapStatus: true, hsDescEvents: true },
    };
  });
  afterAll(async () => {
    filtered.close();
    await filter.close();
  });

  it('refuses ONION_CLIENT_AUTH_ADD/REMOVE as UnsupportedByTorError and keeps nothing', async () => {
    const registry = new ClientAuthRegistry();
    const onion = IdentityKey.generate().serviceId;
    const secret = Uint8Array.from(ALICE_SECRET);
    const added = await registry.add(session, onion, secret).catch((e: unknown) => e);
    expect(added).toBeInstanceOf(UnsupportedByTorError);
    expect(added).toMatchObject({ feature: 'onion-client-auth', status: 510 });
    expect(registry.serviceIds).toEqual([]);
    expect(secret).toEqual(ALICE_SECRET); // the caller's bytes are the caller's
    const removed = await registry.remove(session, onion).catch((e: unknown) => e);
    expect(removed).toBeInstanceOf(UnsupportedByTorError);
    expect(filter.seen.filter((l) => l.startsWith('ONION_CLIENT_AUTH'))).toHaveLength(2);
    expect(filtered.closed).toBe(false);
  });

  it('refuses an onion with ClientAuthV3 as UnsupportedByTorError; the identity onion passes', async () => {
    const endpointKey = IdentityKey.generate();
    const endpoint = await OnionService.open(endpointKey.expandedKey(), () => undefined, {
      listen: { host: '127.0.0.1', port: 0 },
      clientAuthV3: [clientAuthV3Key(ALICE_PUBLIC)],
    });
    const error = await endpoint.publish(session).catch((e: unknown) => e);
    await endpoint.close();
    expect(error).toBeInstanceOf(UnsupportedByTorError);
    expect(error).toMatchObject({
      feature: 'client-auth-v3',
      commandKeyword: 'ADD_ONION',
      status: 510,
    });
    expect(endpoint.published).toBe(false);

    // The identity onion's ADD_ONION, as OnionService builds it, still goes through.
    const identity = IdentityKey.generate();
    const { serviceId } = await addOnion(filtered, {
      key: { type: 'ED25519-V3', blob: identity.torKeyBlob().slice('ED25519-V3:'.length) },
      ports: [{ virtualPort: 9878, target: '127.0.0.1:9' }],
      maxStreams: 16,
    });
    expect(serviceId).toBe(identity.serviceId);
    await delOnion(filtered, serviceId);
  });
});
