// Hand-built vectors from the protocol text (field numbers as deployed), strictness, and
// fast-check round trips / garbage for every channel's message codec.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ChannelType,
  decodeAuthPacket,
  decodeChatPacket,
  decodeContactResponse,
  decodeControlPacket,
  decodeFilePacket,
  encodeAuthPacket,
  encodeChatPacket,
  encodeContactResponse,
  encodeControlPacket,
  encodeFilePacket,
  type ChatPacket,
  type ControlMessage,
  type FilePacket,
} from '../../src/protocol/messages.js';
import {
  LimitExceededError,
  MalformedPacketError,
  ProtocolError,
  ProtocolViolationError,
} from '../../src/protocol/errors.js';
import { hex, toHex } from './session-vectors.js';

const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex');
/** Length-delimited field: tag ‖ varint length ‖ body. */
const ld = (tag: string, body: string): string => {
  const n = body.length / 2;
  const len: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    len.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  len.push(rest);
  return tag + Buffer.from(len).toString('hex') + body;
};
const COOKIE = hex('000102030405060708090a0b0c0d0e0f');

describe('hand-built vectors', () => {
  it('auth OpenChannel with a fixed cookie (ext 7200 = tag 82 c2 03)', () => {
    const bytes = hex(
      '0a37' + '0801' + '121f' + ascii(ChannelType.Auth) + '82c20310' + toHex(COOKIE),
    );
    const message: ControlMessage = {
      kind: 'open-channel',
      channelIdentifier: 1,
      channelType: ChannelType.Auth,
      clientCookie: COOKIE,
    };
    expect(decodeControlPacket(bytes)).toEqual(message);
    expect(toHex(encodeControlPacket(message))).toBe(toHex(bytes));
  });

  it('ChannelResult with server cookie', () => {
    const bytes = hex('12180801100182c20310' + toHex(COOKIE));
    const message: ControlMessage = {
      kind: 'channel-result',
      channelIdentifier: 1,
      opened: true,
      serverCookie: COOKIE,
    };
    expect(decodeControlPacket(bytes)).toEqual(message);
    expect(toHex(encodeControlPacket(message))).toBe(toHex(bytes));
  });

  it('contact request OpenChannel (ext 200 = tag c2 0c), message only, and its Pending result', () => {
    const open = hex(
      '0a26' + '0803' + '121b' + ascii(ChannelType.ContactRequest) + 'c20c04' + '12026869',
    );
    const message: ControlMessage = {
      kind: 'open-channel',
      channelIdentifier: 3,
      channelType: ChannelType.ContactRequest,
      contactRequest: { nickname: '', messageText: 'hi' },
    };
    expect(decodeControlPacket(open)).toEqual(message);
    expect(toHex(encodeControlPacket(message))).toBe(toHex(open));
    const withNick = encodeControlPacket({
      ...message,
      contactRequest: { nickname: 'Al', messageText: 'hi' },
    });
    expect(toHex(withNick)).toContain('c20c08' + '0a02416c' + '12026869');
    const result = hex('1209' + '0803' + '1001' + 'ca0c020801');
    const answer: ControlMessage = {
      kind: 'channel-result',
      channelIdentifier: 3,
      opened: true,
      contactResponse: 'pending',
    };
    expect(decodeControlPacket(result)).toEqual(answer);
    expect(toHex(encodeControlPacket(answer))).toBe(toHex(result));
    expect(decodeContactResponse(hex('0802'))).toEqual({
      kind: 'contact-response',
      status: 'accepted',
    });
    expect(toHex(encodeContactResponse('rejected'))).toBe('0803');
  });

  it('chat message and its acknowledgement', () => {
    const chat: ChatPacket = {
      kind: 'chat-message',
      messageText: 'hi',
      messageId: 1,
      timeDelta: 0,
    };
    expect(toHex(encodeChatPacket(chat))).toBe('0a060a0268691001');
    expect(decodeChatPacket(hex('0a060a0268691001'))).toEqual(chat);
    const delayed: ChatPacket = { ...chat, timeDelta: -5 };
    expect(toHex(encodeChatPacket(delayed))).toBe('0a110a0268691001' + '18fbffffffffffffffff01');
    expect(decodeChatPacket(encodeChatPacket(delayed))).toEqual(delayed);
    const ack: ChatPacket = { kind: 'chat-acknowledge', messageId: 1, accepted: true };
    expect(toHex(encodeChatPacket(ack))).toBe('120408011001');
    expect(decodeChatPacket(hex('120408011001'))).toEqual(ack);
    // accepted absent on the wire means true (schema default).
    expect(decodeChatPacket(hex('12020801'))).toEqual(ack);
  });

  it('auth Result for an unknown peer keeps is_known_contact=false (10 00)', () => {
    expect(toHex(encodeAuthPacket({ kind: 'result', accepted: true, isKnownContact: false }))).toBe(
      '120408011000',
    );
    expect(
      toHex(encodeAuthPacket({ kind: 'result', accepted: false, isKnownContact: false })),
    ).toBe('12020800');
    expect(() => decodeAuthPacket(hex('120408001001'))).toThrow(ProtocolViolationError);
    expect(decodeAuthPacket(hex('120408011001'))).toEqual({
      kind: 'result',
      accepted: true,
      isKnownContact: true,
    });
  });

  it('file packets emit explicit defaults (response=0, result=0)', () => {
    expect(toHex(encodeFilePacket({ kind: 'file-header-response', fileId: 5, accept: true }))).toBe(
      '1a0408051000',
    );
    expect(
      toHex(encodeFilePacket({ kind: 'file-transfer-complete', fileId: 5, result: 'success' })),
    ).toBe('320408051000');
    expect(toHex(encodeFilePacket({ kind: 'file-header-ack', fileId: 5, accepted: true }))).toBe(
      '120408051001',
    );
  });
});

describe('strictness', () => {
  const violation = (f: () => unknown): void => expect(f).toThrow(ProtocolViolationError);
  const malformed = (f: () => unknown): void => expect(f).toThrow(MalformedPacketError);

  it('containers need exactly one field', () => {
    violation(() => decodeChatPacket(new Uint8Array(0)));
    violation(() => decodeChatPacket(hex('0a040a026869' + '12020801')));
    violation(() => decodeControlPacket(hex('1a020800' + '2200')));
    violation(() => decodeFilePacket(new Uint8Array(0)));
    violation(() => decodeAuthPacket(new Uint8Array(0)));
  });

  it('wrong wire types, truncation, bad UTF-8, bad bools are malformed', () => {
    malformed(() => decodeChatPacket(hex('0a060a0268691200'))); // message_id as bytes
    malformed(() => decodeChatPacket(hex('080a'))); // chat_message as varint
    malformed(() => decodeChatPacket(hex('0a060a0268'))); // truncated
    malformed(() => decodeChatPacket(hex('0a040a02c328'))); // invalid UTF-8
    malformed(() => decodeChatPacket(hex('120408011002'))); // bool 2
    malformed(() => decodeChatPacket(hex('0b'))); // group wire type
    malformed(() => decodeControlPacket(hex('1a020801' + 'ff')));
  });

  it('unknown fields, repeated singular fields, missing required fields are violations', () => {
    violation(() => decodeChatPacket(hex('0a060a0268692001'))); // field 4
    violation(() => decodeChatPacket(hex('0a080a02686910011002'))); // message_id twice
    violation(() => decodeChatPacket(hex('0a021001'))); // message_text missing
    violation(() => decodeAuthPacket(hex('12021000'))); // accepted missing
    violation(() => decodeControlPacket(hex('1a00'))); // KeepAlive.response_requested missing
    violation(() => decodeFilePacket(hex('12021001'))); // file_id missing
  });

  it('extensions only with their channel type, cookies 16 bytes, sane channel ids', () => {
    const open = (body: string): Uint8Array => hex(ld('0a', body));
    const chatType = ld('12', ascii(ChannelType.Chat));
    const authType = ld('12', ascii(ChannelType.Auth));
    violation(() => decodeControlPacket(open('0801' + chatType + ld('82c203', toHex(COOKIE)))));
    violation(() => decodeControlPacket(open('0801' + authType)));
    violation(() => decodeControlPacket(open('0801' + authType + ld('82c203', '00'.repeat(15)))));
    violation(() => decodeControlPacket(open('0801' + chatType + ld('c20c', ''))));
    violation(() => decodeControlPacket(open('0800' + chatType)));
    // Extension 201 (Response) belongs to ChannelResult, not OpenChannel; 300 is unknown.
    violation(() =>
      decodeControlPacket(
        open('0803' + ld('12', ascii(ChannelType.ContactRequest)) + ld('ca0c', '0801')),
      ),
    );
    violation(() => decodeControlPacket(open('0801' + chatType + 'e01201')));
    violation(() => decodeControlPacket(open('08ffffffffffffffffff01' + chatType)));
    violation(() => decodeControlPacket(hex(ld('12', '0801' + '1001' + '1801')))); // opened + error
    violation(() => decodeContactResponse(hex('0809'))); // unknown enum value
    expect(decodeControlPacket(hex(ld('12', '0801' + '1000' + '1802')))).toEqual({
      kind: 'channel-result',
      channelIdentifier: 1,
      opened: false,
      commonError: 'unauthorized',
    });
  });

  it('proof fields are checked for size', () => {
    const sid = 'a'.repeat(56);
    const ok = encodeAuthPacket({ kind: 'proof', signature: new Uint8Array(64), serviceId: sid });
    expect(toHex(ok)).toBe(ld('0a', ld('0a', '00'.repeat(64)) + ld('12', ascii(sid))));
    expect(decodeAuthPacket(ok)).toMatchObject({ kind: 'proof', serviceId: sid });
    const proof = (body: string): Uint8Array => hex(ld('0a', body));
    violation(() => decodeAuthPacket(proof(ld('0a', '00'.repeat(64))))); // no service id
    violation(() => decodeAuthPacket(proof(ld('12', ascii(sid))))); // no signature
    violation(() => decodeAuthPacket(proof(ld('0a', '00'.repeat(63)) + ld('12', ascii(sid)))));
    violation(() =>
      decodeAuthPacket(proof(ld('0a', '00'.repeat(64)) + ld('12', ascii(sid + 'a')))),
    );
    violation(() =>
      decodeAuthPacket(proof(ld('0a', '00'.repeat(64)) + ld('12', ascii(sid.toUpperCase())))),
    );
    violation(() =>
      encodeAuthPacket({ kind: 'proof', signature: new Uint8Array(64), serviceId: sid + '.onion' }),
    );
  });

  it('file chunk and hash limits', () => {
    const big = new Uint8Array(64513);
    expect(() => encodeFilePacket({ kind: 'file-chunk', fileId: 1, chunkData: big })).toThrow(
      LimitExceededError,
    );
    const raw = hex(ld('22', '0801' + ld('12', '00'.repeat(64513))));
    expect(() => decodeFilePacket(raw)).toThrow(LimitExceededError);
    const ok = encodeFilePacket({ kind: 'file-chunk', fileId: 1, chunkData: big.subarray(1) });
    expect(decodeFilePacket(ok)).toMatchObject({ kind: 'file-chunk', fileId: 1 });
    const header = {
      kind: 'file-header',
      fileId: 1,
      fileSize: 3,
      name: 'a.txt',
      fileHash: new Uint8Array(63),
    } as const;
    expect(() => encodeFilePacket(header)).toThrow(ProtocolViolationError);
    const bytes = encodeFilePacket({ ...header, fileHash: new Uint8Array(64) });
    expect(decodeFilePacket(bytes)).toEqual({ ...header, fileHash: new Uint8Array(64) });
  });
});

const text = fc.string({ unit: 'binary', maxLength: 60 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const channelId = fc.integer({ min: 1, max: 0xffff });
const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

const controlArb: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({
    kind: fc.constant('open-channel' as const),
    channelIdentifier: channelId,
    channelType: fc.constantFrom(ChannelType.Chat, ChannelType.FileTransfer, 'x.unknown'),
  }),
  fc.record({
    kind: fc.constant('open-channel' as const),
    channelIdentifier: channelId,
    channelType: fc.constant(ChannelType.Auth),
    clientCookie: bytes16,
  }),
  fc.record({
    kind: fc.constant('open-channel' as const),
    channelIdentifier: channelId,
    channelType: fc.constant(ChannelType.ContactRequest),
    contactRequest: fc.record({ nickname: text, messageText: text }),
  }),
  fc.record(
    {
      kind: fc.constant('channel-result' as const),
      channelIdentifier: channelId,
      opened: fc.constant(true),
    },
    { requiredKeys: ['kind', 'channelIdentifier', 'opened'] },
  ),
  fc.record({
    kind: fc.constant('channel-result' as const),
    channelIdentifier: channelId,
    opened: fc.constant(false),
    commonError: fc.constantFrom(
      'generic' as const,
      'unknown-type' as const,
      'unauthorized' as const,
      'bad-usage' as const,
      'failed' as const,
    ),
  }),
  fc.record({
    kind: fc.constant('channel-result' as const),
    channelIdentifier: channelId,
    opened: fc.boolean(),
    serverCookie: bytes16,
  }),
  fc.record({
    kind: fc.constant('channel-result' as const),
    channelIdentifier: channelId,
    opened: fc.boolean(),
    contactResponse: fc.constantFrom(
      'undefined' as const,
      'pending' as const,
      'accepted' as const,
      'rejected' as const,
      'error' as const,
    ),
  }),
  fc.record({ kind: fc.constant('keep-alive' as const), responseRequested: fc.boolean() }),
  fc.record({
    kind: fc.constantFrom('enable-features' as const, 'features-enabled' as const),
    features: fc.array(text, { maxLength: 5 }),
  }),
);

const chatArb: fc.Arbitrary<ChatPacket> = fc.oneof(
  fc.record({
    kind: fc.constant('chat-message' as const),
    messageText: text,
    messageId: u32,
    timeDelta: fc.integer({ min: -1e9, max: 0 }),
  }),
  fc.record({
    kind: fc.constant('chat-acknowledge' as const),
    messageId: u32,
    accepted: fc.boolean(),
  }),
);

const fileArb: fc.Arbitrary<FilePacket> = fc.oneof(
  fc.record({
    kind: fc.constant('file-header' as const),
    fileId: u32,
    fileSize: fc.maxSafeNat(),
    name: text,
    fileHash: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant('file-header-ack' as const), fileId: u32, accepted: fc.boolean() }),
  fc.record({
    kind: fc.constant('file-header-response' as const),
    fileId: u32,
    accept: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('file-chunk' as const),
    fileId: u32,
    chunkData: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({
    kind: fc.constant('file-chunk-ack' as const),
    fileId: u32,
    bytesReceived: fc.maxSafeNat(),
  }),
  fc.record({
    kind: fc.constant('file-transfer-complete' as const),
    fileId: u32,
    result: fc.constantFrom('success' as const, 'failure' as const, 'cancelled' as const),
  }),
);

describe('properties', () => {
  it('decode ∘ encode is the identity, and re-encoding is byte-stable', () => {
    fc.assert(
      fc.property(controlArb, (m) => {
        const bytes = encodeControlPacket(m);
        const back = decodeControlPacket(bytes);
        expect(back).toEqual(m);
        expect(toHex(encodeControlPacket(back))).toBe(toHex(bytes));
      }),
    );
    fc.assert(
      fc.property(chatArb, (m) => {
        expect(decodeChatPacket(encodeChatPacket(m))).toEqual(m);
      }),
    );
    fc.assert(
      fc.property(fileArb, (m) => {
        expect(decodeFilePacket(encodeFilePacket(m))).toEqual(m);
      }),
    );
  });

  const decoders = [
    decodeControlPacket,
    decodeChatPacket,
    decodeFilePacket,
    decodeAuthPacket,
    decodeContactResponse,
  ];
  it('random bytes raise only ProtocolError subclasses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (data) => {
        for (const decode of decoders) {
          try {
            decode(data);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid packets raise only ProtocolError subclasses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          controlArb.map(encodeControlPacket),
          chatArb.map(encodeChatPacket),
          fileArb.map(encodeFilePacket),
        ),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (bytes, at, value) => {
          const mutated = Uint8Array.from(bytes);
          if (mutated.length > 0) mutated[at % mutated.length] = value;
          for (const decode of decoders) {
            try {
              decode(mutated);
            } catch (error) {
              expect(error).toBeInstanceOf(ProtocolError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
