// What our contact request says about us, read from the bytes on the wire (real Messenger cores on
// loopback sockets): by default the ContactRequest extension of the OpenChannel carries no
// nickname field at all, exactly like the request Ricochet Refresh 3.0.41 sends in the recording
// session-request-accept-chat.json; once the user sets a nickname (`set-nickname`), it is sent.
// The receiving side accepts the nickname-less request without choosing a name, and the two chat.
import { fromBinary, getExtension, hasExtension, isFieldSet } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContactRequestSchema,
  contact_request,
} from '../../src/protocol/gen/ContactRequestChannel_pb.js';
import { PacketSchema as ControlPacketSchema } from '../../src/protocol/gen/ControlChannel_pb.js';
import { IntroductionParser } from '../../src/protocol/introduction.js';
import { decodePacket } from '../../src/protocol/packet-codec.js';
import { loadSessions, stream } from '../protocol/session-vectors.js';
import { LoopbackSotto } from './loopback-support.js';

interface SentRequest {
  /** ContactRequest fields present on the wire, by name. */
  readonly fieldsSet: readonly string[];
  readonly nickname: string;
  readonly messageText: string;
}

/** The ContactRequest a client stream (introduction + packets) opened its channel with. */
function contactRequestIn(clientStream: Uint8Array): SentRequest {
  const intro = new IntroductionParser().push(clientStream);
  if (!intro.done) throw new Error('no complete introduction');
  const bytes = intro.rest;
  for (let offset = 0; offset < bytes.length;) {
    const result = decodePacket(bytes, offset);
    if ('needMore' in result) break;
    offset += result.consumed;
    if (result.packet.channel !== 0 || result.packet.data.length === 0) continue;
    const control = fromBinary(ControlPacketSchema, result.packet.data);
    const open = control.openChannel;
    if (open === undefined || !hasExtension(open, contact_request)) continue;
    const request = getExtension(open, contact_request);
    return {
      fieldsSet: ContactRequestSchema.fields
        .filter((f) => isFieldSet(request, f))
        .map((f) => f.name),
      nickname: request.nickname,
      messageText: request.messageText,
    };
  }
  throw new Error('no OpenChannel with a contact_request in the stream');
}

describe('the nickname our contact requests carry, on the wire', () => {
  let alice: LoopbackSotto;
  let bob: LoopbackSotto;
  let carol: LoopbackSotto;

  beforeAll(async () => {
    alice = await LoopbackSotto.start();
    bob = await LoopbackSotto.start();
    carol = await LoopbackSotto.start();
  });
  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await carol?.stop();
  });

  it('3.0.41 sends no nickname field (the recording)', () => {
    const session = loadSessions().find((s) => s.file === 'session-request-accept-chat.json');
    const connection = session?.connections[0];
    if (connection === undefined) throw new Error('recording missing');
    const sent = contactRequestIn(stream(connection, 'client'));
    expect(sent.fieldsSet).toEqual(['message_text']);
    expect(sent.nickname).toBe('');
  });

  it('by default our request is shaped like 3.0.41’s: no nickname field; accepted with no name chosen', async () => {
    const aliceId = `ricochet:${alice.key.serviceId}`;
    const bobId = `ricochet:${bob.key.serviceId}`;
    await alice.messenger.dispatch({ type: 'own-nickname' });
    expect(alice.events).toContainEqual({ type: 'own-nickname', nickname: '' });
    await alice.messenger.dispatch({ type: 'add', address: bobId, nickname: 'bob', message: 'hi' });
    const request = await bob.waitFor((e) => e.type === 'request' && e.address === aliceId);
    expect(request).toEqual({ type: 'request', address: aliceId, nickname: '', message: 'hi' });
    // Only alice's connection has reached bob so far: these are the bytes she sent.
    expect(bob.tor.inbound).toHaveLength(1);
    const sent = contactRequestIn(new Uint8Array(Buffer.concat(bob.tor.received)));
    expect(sent).toEqual({ fieldsSet: ['message_text'], nickname: '', messageText: 'hi' });

    // Bob accepts as a headless user would, without choosing a name; then they chat.
    await bob.messenger.dispatch({ type: 'accept', address: aliceId });
    await bob.waitFor(
      (e) =>
        e.type === 'contact' &&
        e.address === aliceId &&
        e.nickname === alice.key.serviceId.slice(0, 8),
    );
    await alice.waitFor((e) => e.type === 'online' && e.address === bobId);
    await alice.messenger.dispatch({ type: 'send', address: bobId, text: 'one' });
    await bob.waitFor((e) => e.type === 'message' && e.address === aliceId && e.text === 'one');
    await alice.waitFor((e) => e.type === 'delivered' && e.address === bobId);
    await bob.messenger.dispatch({ type: 'send', address: aliceId, text: 'two' });
    await alice.waitFor((e) => e.type === 'message' && e.address === bobId && e.text === 'two');
    await bob.waitFor((e) => e.type === 'delivered' && e.address === aliceId);
  }, 60_000);

  it('a nickname the user set is sent', async () => {
    const aliceId = `ricochet:${alice.key.serviceId}`;
    const carolId = `ricochet:${carol.key.serviceId}`;
    await alice.messenger.dispatch({ type: 'set-nickname', nickname: 'Alice' });
    await alice.messenger.dispatch({
      type: 'add',
      address: carolId,
      nickname: 'carol',
      message: 'hello carol',
    });
    const request = await carol.waitFor((e) => e.type === 'request' && e.address === aliceId);
    expect(request).toMatchObject({ nickname: 'Alice', message: 'hello carol' });
    expect(carol.tor.inbound).toHaveLength(1);
    const sent = contactRequestIn(new Uint8Array(Buffer.concat(carol.tor.received)));
    expect(sent).toEqual({
      fieldsSet: ['nickname', 'message_text'],
      nickname: 'Alice',
      messageText: 'hello carol',
    });
  }, 60_000);
});
