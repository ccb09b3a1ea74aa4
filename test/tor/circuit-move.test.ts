// A circuit move over real tor (issue 14): mid-conversation, Sotto moves its contact — a
// Ricochet-compatible peer (no extensions, as `--ricochet-compat`) — to a fresh circuit (a new
// SOCKS isolation key, so tor builds a new rendezvous circuit) while messages are in flight.
// Every message reaches the peer exactly once, none fails, and the mover never shows it offline.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Conversation } from '../../src/core/conversation.js';
import { SottoInstance, befriend } from './messenger-support.js';
import { until } from '../support/wait.js';

const testnet = inject('torTestnetClientTorrc');

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

  afterAll(async () => {
    await sotto?.remove();
    await compat?.remove();
    vi.restoreAllMocks();
  });

  it('delivers every message exactly once across a forced move mid-conversation', async () => {
    const onWire = vi.spyOn(Conversation.prototype, 'receive');
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
    expect(new Set(delivered()).size).toBe(all.length + 1);
    expect(delivered()).toHaveLength(all.length + 1);
    const failed = sotto.events.events
      .slice(fromS)
      .filter((e) => e.type === 'message-state' && e.state === 'failed');
    expect(failed).toEqual([]);
    expect(sotto.events.events.slice(fromS).filter((e) => e.type === 'offline')).toEqual([]);
    // What the peer's conversation saw: each message once (the drain came before any re-send).
    for (const t of all)
      expect(
        onWire.mock.calls.filter((c) => c[1] === t),
        t,
      ).toHaveLength(1);
  });
});
