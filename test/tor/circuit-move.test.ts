// A circuit move over real tor (issue 14): mid-conversation, Sotto moves its contact — a
// Ricochet-compatible peer (no extensions, as `--ricochet-compat`) — to a fresh circuit (a new
// SOCKS isolation key, so tor builds a new rendezvous circuit) while messages are in flight.
// Every message reaches the peer exactly once, none fails, and the mover never shows it offline.
// Then the same between two Sotto peers with endpoint onions ON: their live link is an endpoint
// link (they move there right after connecting), and a forced move takes a fresh circuit to the
// peer's endpoint onion (new key, the endpoint handshake again), never the identity onion.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SottoInstance, befriend } from './messenger-support.js';
import { expectDeliveredOnce, watchConversationReceipts } from '../support/exactly-once.js';
import { until } from '../support/wait.js';

const testnet = inject('torTestnetClientTorrc');

/** Removes the instances a describe made (those its beforeAll got to) and ends the spies. */
async function removeAll(...instances: (SottoInstance | undefined)[]): Promise<void> {
  for (const s of instances) await s?.remove();
  vi.restoreAllMocks();
}

describe('a circuit move over tor', () => {
  let sotto: SottoInstance;
  let compat: SottoInstance;
  const moves: string[] = [];
  const done: string[] = [];

  beforeAll(async () => {
    // No automatic moves here: the test asks for exactly one, at a moment it chooses.
    const circuits = { explore: false, factor: 1e9 };
    sotto = await SottoInstance.create('mover', testnet, {
      circuits: {
        ...circuits,
        onMove: (m) => moves.push(m.reason),
        onMoveDone: (id) => done.push(id),
      },
    });
    compat = await SottoInstance.create('compat', testnet, { features: [], circuits });
    await Promise.all([sotto.start(), compat.start()]);
    await befriend(sotto, compat);
  });

  afterAll(() => removeAll(sotto, compat));

  it('delivers every message exactly once across a forced move mid-conversation', async () => {
    const onWire = watchConversationReceipts();
    const fromS = sotto.events.mark;
    const fromC = compat.events.mark;
    const send = (text: string) =>
      sotto.core.dispatch({ type: 'send', address: compat.address, text });
    const before = ['one', 'two', 'three'].map((w) => `before the move ${w}`);
    for (const t of before) await send(t);
    const inFlight = [...Array(6).keys()].map((i) => `in flight ${i}`);
    for (const t of inFlight) await send(t);
    expect(sotto.core.moveToFreshCircuit(compat.address)).toBe(true);
    const during = [...Array(4).keys()].map((i) => `during the move ${i}`);
    for (const t of during) await send(t);
    const all = [...before, ...inFlight, ...during];

    const received = (t: string): number =>
      compat.events.events.slice(fromC).filter((e) => e.type === 'message' && e.text === t).length;
    for (const t of all) {
      await compat.events.waitFor((e) => e.type === 'message' && e.text === t, 120_000, fromC);
    }
    const delivered = (): number[] =>
      sotto.events.events.slice(fromS).flatMap((e) => (e.type === 'delivered' ? [e.id] : []));
    await until(() => delivered().length >= all.length, 'every message delivered', {
      timeoutMs: 120_000,
    });
    // The move finished (old link drained, chat on the new one), and after it one more message
    // goes out on the new circuit.
    expect(moves).toEqual(['requested']);
    await until(() => done.length === 1, 'the move finished', { timeoutMs: 120_000 });
    await send('after the move');
    await compat.events.waitFor(
      (e) => e.type === 'message' && e.text === 'after the move',
      120_000,
      fromC,
    );

    await until(() => delivered().length >= all.length + 1, 'the last message delivered', {
      timeoutMs: 120_000,
    });
    for (const t of [...all, 'after the move']) expect(received(t), t).toBe(1);
    expectDeliveredOnce(delivered(), all.length + 1);
    const failed = sotto.events.events
      .slice(fromS)
      .filter((e) => e.type === 'message-state' && e.state === 'failed');
    expect(failed).toEqual([]);
    expect(sotto.events.events.slice(fromS).filter((e) => e.type === 'offline')).toEqual([]);
    // What the peer's conversation saw: each message once (the drain came before any re-send).
    onWire.expectEachOnce(all);
  });
});

describe('a circuit move over tor between Sotto peers on their endpoint onions', () => {
  let a: SottoInstance;
  let b: SottoInstance;
  const moves = new Map<string, string[]>();
  const done: string[] = [];

  beforeAll(async () => {
    const circuits = (name: string) => ({
      explore: false,
      factor: 1e9,
      onMove: (m: { reason: string }) => moves.set(name, [...(moves.get(name) ?? []), m.reason]),
      onMoveDone: (id: string) => done.push(id),
    });
    a = await SottoInstance.create('ep-a', testnet, { circuits: circuits('a') });
    b = await SottoInstance.create('ep-b', testnet, { circuits: circuits('b') });
    await Promise.all([a.start(), b.start()]);
    const [fromA, fromB] = [a.events.mark, b.events.mark];
    await befriend(a, b);
    const connected =
      (of: SottoInstance) => (e: { type: string; state?: string; address?: string }) =>
        e.type === 'endpoint' && e.state === 'connected' && e.address === of.address;
    await a.events.waitFor(connected(b), 300_000, fromA);
    await b.events.waitFor(connected(a), 300_000, fromB);
  });

  afterAll(() => removeAll(a, b));

  it('delivers every message exactly once across a forced move on the endpoint link', async () => {
    const onWire = watchConversationReceipts();
    const route = (s: SottoInstance, of: SottoInstance) => s.core.liveRoute(of.address)?.via;
    await until(() => route(a, b) === 'endpoint' && route(b, a) === 'endpoint', 'on endpoints', {
      timeoutMs: 120_000,
    });
    // The side that dialled the live link can always move; the accepting one only when its new
    // link would win the duplicate rule (docs/PERFORMANCE.md "On endpoint links").
    let pair: [SottoInstance, SottoInstance] | undefined;
    const fromMark = new Map([
      [a, a.events.mark],
      [b, b.events.mark],
    ]);
    await until(
      () => {
        if (a.core.moveToFreshCircuit(b.address)) pair = [a, b];
        else if (b.core.moveToFreshCircuit(a.address)) pair = [b, a];
        return pair !== undefined;
      },
      'a move could start',
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    // The endpoint upgrade is a move of its own (finished before another can start): count on.
    const doneBefore = done.length;
    const [from, to] = pair as [SottoInstance, SottoInstance];
    const [fromS, fromT] = [fromMark.get(from) ?? 0, to.events.mark];
    const send = (text: string) => from.core.dispatch({ type: 'send', address: to.address, text });
    const during = [...Array(6).keys()].map((i) => `during the endpoint move ${i}`);
    for (const t of during) await send(t);
    const story = (): string =>
      `moves ${JSON.stringify([...moves])} done ${done.length - doneBefore}\n` +
      [from, to]
        .map((x) => x.events.events.slice(fromMark.get(x) ?? 0).map((e) => JSON.stringify(e)))
        .map((lines, k) => `${k === 0 ? 'mover' : 'peer'}:\n${lines.join('\n')}`)
        .join('\n');
    await until(() => done.length === doneBefore + 1, story, { timeoutMs: 120_000 });
    await send('after the endpoint move');
    const all = [...during, 'after the endpoint move'];
    for (const t of all) {
      await to.events.waitFor((e) => e.type === 'message' && e.text === t, 120_000, fromT);
    }
    const delivered = (): number[] =>
      from.events.events.slice(fromS).flatMap((e) => (e.type === 'delivered' ? [e.id] : []));
    await until(() => delivered().length >= all.length, 'every message delivered', {
      timeoutMs: 120_000,
    });
    const received = (t: string): number =>
      to.events.events.slice(fromT).filter((e) => e.type === 'message' && e.text === t).length;
    for (const t of all) expect(received(t), t).toBe(1);
    onWire.expectEachOnce(all);
    expectDeliveredOnce(delivered(), all.length);
    expect([...moves.values()].flat()).toEqual(['requested']);
    // Still on the endpoint onion on both sides, nobody shown offline, nothing failed.
    expect(route(from, to)).toBe('endpoint');
    expect(route(to, from)).toBe('endpoint');
    for (const [s, mark] of [
      [from, fromS],
      [to, fromT],
    ] as const) {
      expect(s.events.events.slice(mark).filter((e) => e.type === 'offline')).toEqual([]);
    }
    const failed = from.events.events
      .slice(fromS)
      .filter((e) => e.type === 'message-state' && e.state === 'failed');
    expect(failed).toEqual([]);
  });
});
