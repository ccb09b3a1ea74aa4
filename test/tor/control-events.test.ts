// Control-port events from a real tor on the private loopback test network: STATUS_CLIENT
// BOOTSTRAP up to 100 % and HS_DESC UPLOAD/UPLOADED for an ADD_ONION service, parsed end to end.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authenticate } from '../../src/onion/control/authenticate.js';
import { addOnion, getInfo, setConf, setEvents } from '../../src/onion/control/commands.js';
import { TorControlConnection } from '../../src/onion/control/control-connection.js';
import {
  parseBootstrapPhase,
  parseTorEvent,
  type ParsedTorEvent,
} from '../../src/onion/control/events.js';
import { startTestTor, type TestTor } from '../support/control-test-tor.js';

const clientLines = inject('torTestnetClientTorrc');

/** Resolves with the first parsed event matching `predicate`; rejects after `timeoutMs`. */
function nextEvent<T extends ParsedTorEvent>(
  conn: TorControlConnection,
  predicate: (event: ParsedTorEvent) => event is T,
  timeoutMs: number,
  seen: ParsedTorEvent[],
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = conn.onEvent((raw) => {
      const event = parseTorEvent(raw);
      if (event === undefined) return;
      seen.push(event);
      if (predicate(event)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(event);
      }
    });
  });
}

let tor: TestTor;
let conn: TorControlConnection;

beforeAll(async () => {
  tor = await startTestTor({ kind: 'cookie' }, { extraTorrc: clientLines });
  conn = await TorControlConnection.connect(tor.target);
  await authenticate(conn);
});
afterAll(async () => {
  conn.close();
  await tor.stop();
});

describe('real tor events on the test network', () => {
  it('reports bootstrap progress up to 100 and then publishes an onion', async () => {
    const seen: ParsedTorEvent[] = [];
    await setEvents(conn, ['STATUS_CLIENT', 'HS_DESC', 'NETWORK_LIVENESS']);
    const done = nextEvent(
      conn,
      (event): event is Extract<ParsedTorEvent, { type: 'bootstrap' }> =>
        event.type === 'bootstrap' && event.progress === 100,
      120_000,
      seen,
    );
    await setConf(conn, [['DisableNetwork', '0']]);
    const finished = await done;
    expect(finished.tag).toBe('done');
    const progress = seen.flatMap((event) => (event.type === 'bootstrap' ? [event.progress] : []));
    expect(progress.length).toBeGreaterThan(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    const phase = parseBootstrapPhase(
      (await getInfo(conn, ['status/bootstrap-phase'])).get('status/bootstrap-phase') ?? '',
    );
    expect(phase.progress).toBe(100);

    const uploaded = nextEvent(
      conn,
      (event): event is Extract<ParsedTorEvent, { type: 'hs-desc' }> =>
        event.type === 'hs-desc' && event.action === 'UPLOADED',
      120_000,
      seen,
    );
    const onion = await addOnion(conn, {
      key: 'NEW',
      ports: [{ virtualPort: 9878, target: 22001 }],
      flags: ['DiscardPK'],
    });
    const event = await uploaded;
    expect(event.address).toBe(onion.serviceId);
    expect(
      seen.some(
        (e) => e.type === 'hs-desc' && e.action === 'UPLOAD' && e.address === onion.serviceId,
      ),
    ).toBe(true);
  });
});
