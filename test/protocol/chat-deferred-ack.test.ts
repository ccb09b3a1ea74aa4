// Deferred chat acks (docs/PROTOCOL.md "When Sotto acknowledges"): with `deferChatAcks` an
// accepted ChatMessage is acknowledged only when the caller says it is saved
// (acknowledgeChat), every arrival once; refusals stay immediate and byte for byte as 3.0.41's;
// the number of waiting acks is bounded; a closed connection acks nothing.
import { describe, expect, it } from 'vitest';
import { MAX_DEFERRED_ACKS } from '../../src/protocol/channels/chat.js';
import { LimitExceededError } from '../../src/protocol/errors.js';
import { ChannelType, encodeChatPacket } from '../../src/protocol/messages.js';
import { encodePacket } from '../../src/protocol/packet-codec.js';
import { FakeClock, Pair, controlMessages } from './connection-harness.js';

function deferringPair(): Pair {
  const pair = new Pair({ clock: new FakeClock(), known: true, server: { deferChatAcks: true } });
  pair.connectAsContacts();
  return pair;
}

const acks = (pair: Pair): { id: number; accepted: boolean }[] =>
  pair.client.of('chat-ack').map(({ id, accepted }) => ({ id, accepted }));

describe('deferred chat acks', () => {
  it('acks an accepted message only when the receiver acknowledges it, once per arrival', () => {
    const pair = deferringPair();
    const id = pair.client.conn.sendChatMessage('saved first');
    pair.pump();
    expect(pair.server.of('chat-message')).toEqual([
      { type: 'chat-message', id, text: 'saved first', timeDelta: 0, ackDeferred: true },
    ]);
    expect(acks(pair)).toEqual([]);
    // A re-send while the save is pending: no second event, acked together with the first.
    pair.client.conn.sendChatMessage('saved first', { id });
    pair.pump();
    expect(pair.server.of('chat-message')).toHaveLength(1);
    expect(acks(pair)).toEqual([]);
    const wroteBeforeAck = pair.serverWrote.length;
    expect(pair.server.conn.acknowledgeChat(id)).toBe(true);
    pair.pump();
    expect(acks(pair)).toEqual([{ id, accepted: true }]); // the sender drops the 2nd copy's ack
    expect(pair.serverWrote.length).toBeGreaterThan(wroteBeforeAck);
    expect(pair.server.conn.acknowledgeChat(id)).toBe(false); // nothing waits any more
    // A duplicate of a message already acknowledged is acked at once.
    pair.client.conn.sendChatMessage('saved first', { id });
    pair.pump();
    expect(acks(pair)).toEqual([
      { id, accepted: true },
      { id, accepted: true },
    ]);
  });

  it('refuses bad text at once, as 3.0.41 does, with the same bytes as without deferral', () => {
    const refusal = (defer: boolean): Uint8Array[] => {
      const pair = new Pair({
        clock: new FakeClock(),
        known: true,
        server: { deferChatAcks: defer },
      });
      pair.connectAsContacts();
      const before = pair.serverWrote.length;
      pair.server.conn.receive(peerMessage(pair, '', 9));
      pair.pump();
      expect(pair.server.of('chat-message')).toEqual([]);
      return pair.serverWrote.slice(before);
    };
    const deferred = refusal(true);
    expect(deferred).toEqual(refusal(false));
    expect(deferred.length).toBeGreaterThan(0);
  });

  it('closes the connection past MAX_DEFERRED_ACKS waiting acks (LimitExceededError)', () => {
    const pair = deferringPair();
    for (let i = 0; i < MAX_DEFERRED_ACKS; i++) {
      pair.server.conn.receive(peerMessage(pair, 'm', i + 1));
    }
    pair.server.drainEvents();
    expect(pair.server.of('chat-message')).toHaveLength(MAX_DEFERRED_ACKS);
    expect(pair.server.of('closed')).toEqual([]);
    pair.server.conn.receive(peerMessage(pair, 'm', 0xffff));
    pair.server.drainEvents();
    const closing = pair.server.events.find((e) => e.type === 'closing');
    expect(closing?.type === 'closing' && closing.reason).toBeInstanceOf(LimitExceededError);
  });

  it('acks nothing once the connection is closed, and does not throw', () => {
    const pair = deferringPair();
    const id = pair.client.conn.sendChatMessage('in flight');
    pair.pump();
    pair.server.conn.close();
    pair.pump();
    const wrote = pair.serverWrote.length;
    expect(pair.server.conn.acknowledgeChat(id)).toBe(false);
    pair.pump();
    expect(pair.serverWrote.length).toBe(wrote);
    expect(acks(pair)).toEqual([]);
  });
});

/** A ChatMessage on the client's chat channel, as the peer's bytes (frame 0: introduction). */
function peerMessage(pair: Pair, text: string, messageId: number): Uint8Array {
  const open = controlMessages(pair.clientWrote.slice(1)).find(
    (m) => m.kind === 'open-channel' && m.channelType === ChannelType.Chat,
  );
  if (open?.kind !== 'open-channel') throw new Error('no chat channel');
  const data = encodeChatPacket({
    kind: 'chat-message',
    messageText: text,
    messageId,
    timeDelta: 0,
  });
  return encodePacket({ channel: open.channelIdentifier, data });
}
