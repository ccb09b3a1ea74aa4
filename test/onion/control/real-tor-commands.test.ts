// Command wrappers against a real offline tor (DisableNetwork 1): GETINFO, GETCONF/SETCONF,
// SETEVENTS with real async events, ADD_ONION (new key and given key), DEL_ONION, TAKEOWNERSHIP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../../src/onion/control/authenticate.js';
import {
  addOnion,
  delOnion,
  getConf,
  getInfo,
  resetConf,
  setConf,
  setEvents,
  signal,
  takeOwnership,
} from '../../../src/onion/control/commands.js';
import {
  TorControlConnection,
  type TorAsyncEvent,
} from '../../../src/onion/control/control-connection.js';
import { ControlArgumentError, TorControlError } from '../../../src/onion/control/errors.js';
import { parseBootstrapPhase } from '../../../src/onion/control/events.js';
import { startTestTor, type TestTor } from '../../support/control-test-tor.js';

let tor: TestTor;
let conn: TorControlConnection;

beforeAll(async () => {
  tor = await startTestTor({ kind: 'cookie' });
  conn = await TorControlConnection.connect(tor.target);
  await authenticate(conn);
});
afterAll(async () => {
  conn.close();
  await tor.stop();
});

describe('GETINFO / GETCONF / SETCONF', () => {
  it('reads single-line and data values', async () => {
    const info = await getInfo(conn, ['version', 'config-text', 'status/bootstrap-phase']);
    expect(info.get('version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.get('config-text')).toContain('DisableNetwork 1');
    const phase = parseBootstrapPhase(info.get('status/bootstrap-phase') ?? '');
    expect(phase.progress).toBeGreaterThanOrEqual(0);
    expect(phase.tag).not.toBe('');
  });

  it('an unknown GETINFO key is TorControlError 552', async () => {
    const failure = await getInfo(conn, ['no-such-key']).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TorControlError);
    expect((failure as TorControlError).status).toBe(552);
  });

  it('sets, reads and resets options, with quoting', async () => {
    await setConf(conn, [['ContactInfo', 'Sotto "test" \\ user']]);
    expect((await getConf(conn, ['ContactInfo'])).get('ContactInfo')).toEqual([
      'Sotto "test" \\ user',
    ]);
    await resetConf(conn, [['ContactInfo', null]]);
    expect((await getConf(conn, ['ContactInfo'])).get('ContactInfo')).toEqual([]);
    expect((await getConf(conn, ['DisableNetwork'])).get('DisableNetwork')).toEqual(['1']);
  });

  it('refuses injection in keys and values before sending', async () => {
    await expect(setConf(conn, [['ContactInfo', 'x\r\nSIGNAL HALT']])).rejects.toBeInstanceOf(
      ControlArgumentError,
    );
    await expect(getInfo(conn, ['version\r\nSIGNAL HALT'])).rejects.toBeInstanceOf(
      ControlArgumentError,
    );
    await expect(getConf(conn, ['Socks Port'])).rejects.toBeInstanceOf(ControlArgumentError);
    expect((await getInfo(conn, ['version'])).size).toBe(1);
  });
});

describe('SETEVENTS', () => {
  it('delivers real async events between replies', async () => {
    const events: TorAsyncEvent[] = [];
    const unsubscribe = conn.onEvent((event) => events.push(event));
    try {
      await setEvents(conn, ['CONF_CHANGED', 'STATUS_CLIENT', 'NETWORK_LIVENESS', 'HS_DESC']);
      await setConf(conn, [['ContactInfo', 'event test']]);
      // tor writes the 650 event before the 250 of the next command; one round trip flushes it.
      await getInfo(conn, ['version']);
      const changed = events.find((event) => event.keyword === 'CONF_CHANGED');
      expect(changed?.lines.map((line) => line.text)).toContain('ContactInfo=event test');
      await setEvents(conn, []);
    } finally {
      unsubscribe();
    }
  });

  it('an unknown event is TorControlError 552', async () => {
    const failure = await setEvents(conn, ['NO_SUCH_EVENT']).catch((e: unknown) => e);
    expect((failure as TorControlError).status).toBe(552);
  });
});

describe('ADD_ONION / DEL_ONION', () => {
  it('creates an onion with a new key, re-adds it from that key, and deletes it', async () => {
    const created = await addOnion(conn, {
      key: 'NEW',
      ports: [{ virtualPort: 9878, target: '127.0.0.1:22001' }],
    });
    expect(created.serviceId).toMatch(/^[a-z2-7]{56}$/);
    expect(created.privateKey?.type).toBe('ED25519-V3');
    const blob = created.privateKey?.blob ?? '';
    expect(Buffer.from(blob, 'base64')).toHaveLength(64);
    expect((await getInfo(conn, ['onions/current'])).get('onions/current')).toContain(
      created.serviceId,
    );
    await delOnion(conn, created.serviceId);
    expect((await getInfo(conn, ['onions/current'])).get('onions/current')).not.toContain(
      created.serviceId,
    );

    const again = await addOnion(conn, {
      key: { type: 'ED25519-V3', blob },
      ports: [{ virtualPort: 9878, target: 22001 }],
      flags: ['DiscardPK'],
      maxStreams: 8,
    });
    expect(again).toEqual({ serviceId: created.serviceId });
    await delOnion(conn, again.serviceId);
  });

  it('DiscardPK returns no private key; unix targets are accepted', async () => {
    const onion = await addOnion(conn, {
      key: 'NEW',
      ports: [{ virtualPort: 9878, target: `unix:${tor.dataDir}/service.sock` }],
      flags: ['DiscardPK'],
    });
    expect(onion.privateKey).toBeUndefined();
    await delOnion(conn, onion.serviceId);
  });

  it('deleting an unknown onion is TorControlError 552', async () => {
    const gone = await addOnion(conn, {
      key: 'NEW',
      ports: [{ virtualPort: 1 }],
      flags: ['DiscardPK'],
    });
    await delOnion(conn, gone.serviceId);
    const failure = await delOnion(conn, gone.serviceId).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TorControlError);
    expect((failure as TorControlError).status).toBe(552);
  });

  it('refuses malformed keys, ports, targets and flags before sending', async () => {
    const bad = [
      { key: { type: 'ED25519-V3' as const, blob: 'short' }, ports: [{ virtualPort: 1 }] },
      { key: 'NEW' as const, ports: [] },
      { key: 'NEW' as const, ports: [{ virtualPort: 0 }] },
      { key: 'NEW' as const, ports: [{ virtualPort: 1, target: '127.0.0.1:1 Port=2' }] },
      { key: 'NEW' as const, ports: [{ virtualPort: 1, target: 'example.com:80' }] },
      { key: 'NEW' as const, ports: [{ virtualPort: 1 }], flags: ['Detach,NonAnonymous'] },
      { key: 'NEW' as const, ports: [{ virtualPort: 1 }], maxStreams: -1 },
    ];
    for (const request of bad) {
      await expect(addOnion(conn, request)).rejects.toBeInstanceOf(ControlArgumentError);
    }
    await expect(delOnion(conn, 'x')).rejects.toBeInstanceOf(ControlArgumentError);
  });

  it('only Detach onions outlive their control connection', async () => {
    const other = await TorControlConnection.connect(tor.target);
    await authenticate(other);
    const owned = await addOnion(other, { key: 'NEW', ports: [{ virtualPort: 9878 }] });
    const detached = await addOnion(other, {
      key: 'NEW',
      ports: [{ virtualPort: 9878 }],
      flags: ['Detach', 'DiscardPK'],
    });
    other.close();
    const list = (await getInfo(conn, ['onions/detached'])).get('onions/detached') ?? '';
    expect(list.split('\n')).toContain(detached.serviceId);
    expect(list).not.toContain(owned.serviceId);
    await delOnion(conn, detached.serviceId);
  });
});

describe('SIGNAL and TAKEOWNERSHIP', () => {
  it('NEWNYM is accepted', async () => {
    await signal(conn, 'NEWNYM');
  });

  it('tor exits when an owning control connection closes', async () => {
    const own = await startTestTor({ kind: 'none' });
    try {
      const owner = await TorControlConnection.connect(own.target);
      await authenticate(owner);
      await takeOwnership(owner);
      await resetConf(owner, [['__OwningControllerProcess', null]]);
      const exited = own.exited;
      owner.close();
      expect(await exited).toBeDefined();
    } finally {
      await own.stop();
    }
  });
});
