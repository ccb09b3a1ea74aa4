// The demo's echo bot over a recording MessengerCore: what it answers to each event, the
// 2000-unit limit of its replies, one greeting per contact, and nothing after stop().
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_UNITS } from '../../src/contacts/text-rules.js';
import { ECHO_GREETING, ECHO_PREFIX, EchoBot, echoReply } from '../../src/demo/echo-bot.js';
import { FakeCore } from '../tui/support/fake-core.js';
import { ricochetIdFor } from '../tui/support/ids.js';

const ALICE = ricochetIdFor(2);
const BOB = ricochetIdFor(3);

describe('echoReply', () => {
  it('prefixes the text', () => {
    expect(echoReply('hello')).toBe('echo: hello');
  });

  it('never exceeds the Ricochet message limit and never splits a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2100 }), (text) => {
        const reply = echoReply(text);
        expect(reply.length).toBeLessThanOrEqual(MAX_MESSAGE_UNITS);
        expect(reply.startsWith(ECHO_PREFIX)).toBe(true);
        const last = reply.charCodeAt(reply.length - 1);
        if (reply.length < (ECHO_PREFIX + text).length) {
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
      }),
    );
  });

  it('cuts before a surrogate pair that would straddle the limit', () => {
    const text = 'x'.repeat(MAX_MESSAGE_UNITS - ECHO_PREFIX.length - 1) + '😀';
    const reply = echoReply(text);
    expect(reply).toBe(ECHO_PREFIX + 'x'.repeat(MAX_MESSAGE_UNITS - ECHO_PREFIX.length - 1));
  });
});

describe('EchoBot', () => {
  it('accepts requests, echoes messages, accepts files', () => {
    const core = new FakeCore();
    new EchoBot(core, { greeting: null });
    core.emit(
      { type: 'request', address: ALICE, nickname: 'alice', message: 'hi' },
      { type: 'message', address: ALICE, id: 7, text: 'ping', timeDelta: 0 },
      { type: 'file-offer', address: ALICE, fileId: 3, name: 'a.txt', size: 10 },
    );
    expect(core.commands).toEqual([
      { type: 'accept', address: ALICE },
      { type: 'send', address: ALICE, text: 'echo: ping' },
      { type: 'accept-file', address: ALICE, fileId: 3 },
    ]);
  });

  it('greets each contact once per run when it comes online', () => {
    const core = new FakeCore();
    new EchoBot(core);
    core.emit(
      { type: 'online', address: ALICE },
      { type: 'offline', address: ALICE },
      { type: 'online', address: ALICE },
      { type: 'online', address: BOB },
    );
    expect(core.commands).toEqual([
      { type: 'send', address: ALICE, text: ECHO_GREETING },
      { type: 'send', address: BOB, text: ECHO_GREETING },
    ]);
  });

  it('ignores other events and stops listening after stop()', () => {
    const core = new FakeCore();
    const bot = new EchoBot(core, { greeting: null });
    core.emit(
      { type: 'delivered', address: ALICE, id: 1 },
      { type: 'tor', progress: 5, summary: 'x' },
    );
    expect(core.commands).toEqual([]);
    bot.stop();
    expect(core.listenerCount).toBe(0);
    core.emit({ type: 'message', address: ALICE, id: 8, text: 'late', timeDelta: 0 });
    expect(core.commands).toEqual([]);
  });

  it('reports a refused command instead of leaving a floating rejection', async () => {
    const core = new FakeCore();
    core.failWith = new Error('peer offline');
    const errors: unknown[] = [];
    new EchoBot(core, { greeting: null, onError: (e) => errors.push(e) });
    core.emit({ type: 'message', address: ALICE, id: 9, text: 'x', timeDelta: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([core.failWith]);
  });
});
