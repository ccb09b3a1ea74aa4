// Delivery state never claims what did not happen: a message sent while the contact's connection
// is closing (the connection refuses it) stays `queued` — no `sent` — and goes out on the next
// connection exactly once. The real Messenger over loopback TCP (test/abuse/loopback-support.ts);
// the contact is a Ricochet client driven by hand, whose socket stays half-open so that Sotto's
// side of the connection is `closing` but not yet closed when the message is sent.
import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import { RicochetConnection } from '../../src/protocol/connection.js';
import type { ConnectionEvent } from '../../src/protocol/connection-types.js';
import { LoopbackSotto, RawPeer } from '../abuse/loopback-support.js';

/** A contact's client that only reads and answers when data arrives; never ends its socket. */
class HalfOpenContact {
  readonly events: ConnectionEvent[] = [];
  readonly socket: Socket;
  readonly connection: RicochetConnection;
  constructor(key: IdentityKey, serverServiceId: string, port: number) {
    this.connection = new RicochetConnection({
      role: 'client',
      identity: key,
      peerServiceId: serverServiceId,
      now: Date.now,
      random: (n) => new Uint8Array(randomBytes(n)),
    });
    this.socket = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.connection.receive(new Uint8Array(chunk));
      this.#flush();
    });
    this.socket.on('error', () => undefined);
    this.#flush();
  }
  #flush(): void {
    for (const frame of this.connection.takeOutput()) this.socket.write(frame);
    this.events.push(...this.connection.takeEvents());
  }
}

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('a send the connection refuses', () => {
  it('stays queued (never `sent`) and is delivered once on the next connection', async () => {
    const contactKey = IdentityKey.generate();
    const sotto = await LoopbackSotto.start([contactKey]);
    stops.push(() => sotto.stop());
    const contact = `ricochet:${contactKey.serviceId}`;
    const first = new HalfOpenContact(contactKey, sotto.key.serviceId, sotto.port);
    stops.push(() => void first.socket.destroy());
    const stateOf = (id: number): string[] =>
      sotto.events.flatMap((e) =>
        e.type === 'message-state' && e.address === contact && e.id === id ? [e.state] : [],
      );
    // The chat is up: a first message is delivered (the contact acknowledges it).
    await sotto.messenger.dispatch({ type: 'send', address: contact, text: 'warm-up' });
    await sotto.waitFor((e) => e.type === 'delivered' && e.address === contact);

    // A malformed packet (size 2 < the 4-byte header): Sotto closes the connection and ends its
    // side; ours stays open, so Sotto's connection is closing but not closed.
    const ended = once(first.socket, 'end');
    first.socket.write(Buffer.from([0x00, 0x02, 0x00, 0x00]));
    await ended;
    await sotto.messenger.dispatch({ type: 'send', address: contact, text: 'while closing' });
    const queued = sotto.events.find(
      (e): e is Extract<CoreEvent, { type: 'queued' }> =>
        e.type === 'queued' && e.text === 'while closing',
    );
    if (queued === undefined) throw new Error('not queued');
    expect(stateOf(queued.id)).toEqual([]);
    expect(sotto.events.filter((e) => e.type === 'error')).toEqual([]);

    // The connection goes; the contact comes back on a new one and gets the message once.
    first.socket.destroy();
    await sotto.waitFor((e) => e.type === 'offline' && e.address === contact);
    expect(stateOf(queued.id)).toEqual([]);
    const second = new RawPeer(contactKey, sotto.key.serviceId, sotto.port);
    stops.push(() => second.link.destroy());
    await sotto.waitFor(
      (e) => e.type === 'delivered' && e.address === contact && e.id === queued.id,
    );
    expect(stateOf(queued.id)).toEqual(['sent', 'delivered']);
    const received = (events: readonly ConnectionEvent[]): number =>
      events.filter((e) => e.type === 'chat-message' && e.text === 'while closing').length;
    expect(received(first.events) + received(second.events)).toBe(1);
    await sotto.messenger.dispatch({ type: 'messages', address: contact });
    const list = sotto.events.findLast((e) => e.type === 'messages');
    expect(list?.type === 'messages' && list.messages.find((m) => m.id === queued.id)?.state).toBe(
      'delivered',
    );
  });
});
