// ControlReplyParser: framing per control-spec §2.3/§2.4, limits, garbage and chunking properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ControlLineTooLongError,
  ControlProtocolError,
  ControlReplyTooLargeError,
  MalformedControlReplyError,
} from '../../../src/onion/control/errors.js';
import {
  ControlReplyParser,
  type ControlReply,
  type ControlReplyParserLimits,
} from '../../../src/onion/control/reply-parser.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function parseAll(input: Uint8Array, limits?: ControlReplyParserLimits): ControlReply[] {
  return new ControlReplyParser(limits).push(input);
}

function parseByteAtATime(input: Uint8Array): ControlReply[] {
  const parser = new ControlReplyParser();
  const replies: ControlReply[] = [];
  for (let i = 0; i < input.length; i++) replies.push(...parser.push(input.subarray(i, i + 1)));
  return replies;
}

describe('ControlReplyParser framing', () => {
  it('parses a one-line reply', () => {
    expect(parseAll(bytes('250 OK\r\n'))).toEqual([
      { status: 250, isAsync: false, lines: [{ status: 250, separator: ' ', text: 'OK' }] },
    ]);
  });

  it('parses a multi-line PROTOCOLINFO reply', () => {
    const input =
      '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n';
    const [reply, ...rest] = parseAll(bytes(input));
    expect(rest).toEqual([]);
    expect(reply?.lines.map((line) => [line.separator, line.text])).toEqual([
      ['-', 'PROTOCOLINFO 1'],
      ['-', 'AUTH METHODS=NULL'],
      ['-', 'VERSION Tor="0.4.9.11"'],
      [' ', 'OK'],
    ]);
  });

  it('parses a data reply and undoes dot-stuffing', () => {
    const input = '250+config-text=\r\nSocksPort 0\r\n..hidden\r\n\r\n.\r\n250 OK\r\n';
    const [reply] = parseAll(bytes(input));
    expect(reply?.lines[0]).toEqual({
      status: 250,
      separator: '+',
      text: 'config-text=',
      data: 'SocksPort 0\n.hidden\n',
    });
    expect(reply?.lines[1]?.text).toBe('OK');
  });

  it('an empty data block is the empty string', () => {
    const [reply] = parseAll(bytes('250+x=\r\n.\r\n250 OK\r\n'));
    expect(reply?.lines[0]?.data).toBe('');
  });

  it('separates async events interleaved between replies', () => {
    const input =
      '650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n250-version=1\r\n250 OK\r\n' +
      '650-CONF_CHANGED\r\n650-SocksPort=0\r\n650 OK\r\n552 Unrecognized key "x"\r\n';
    const replies = parseAll(bytes(input));
    expect(replies.map((reply) => [reply.status, reply.isAsync, reply.lines.length])).toEqual([
      [650, true, 1],
      [250, false, 2],
      [650, true, 3],
      [552, false, 1],
    ]);
  });

  it('gives identical replies when fed one byte at a time', () => {
    const input = bytes(
      '250+a=\r\n..x\r\ny\r\n.\r\n250-b=c\r\n250 OK\r\n650 HS_DESC UPLOADED x UNKNOWN y\r\n',
    );
    expect(parseByteAtATime(input)).toEqual(parseAll(input));
    expect(parseAll(input)).toHaveLength(2);
  });

  it('keeps a partial reply until its end line arrives', () => {
    const parser = new ControlReplyParser();
    expect(parser.push(bytes('250-a=1\r\n250'))).toEqual([]);
    expect(parser.isIdle).toBe(false);
    expect(parser.push(bytes(' OK\r\n'))).toHaveLength(1);
    expect(parser.isIdle).toBe(true);
  });

  it('decodes UTF-8 text', () => {
    const [reply] = parseAll(bytes('250 café ✓\r\n'));
    expect(reply?.lines[0]?.text).toBe('café ✓');
  });
});

describe('ControlReplyParser rejects bad input with typed errors', () => {
  const malformed = [
    ['bare LF', '250 OK\n'],
    ['HTTP garbage', 'HTTP/1.1 400 Bad Request\r\n'],
    ['status without separator', '250\r\n'],
    ['bad separator', '250*OK\r\n'],
    ['non-digit status', '25a OK\r\n'],
    ['mixed status codes', '250-a\r\n251 OK\r\n'],
    ['empty line', '\r\n'],
  ] as const;
  for (const [what, input] of malformed) {
    it(`refuses ${what}`, () => {
      expect(() => parseAll(bytes(input))).toThrow(MalformedControlReplyError);
    });
  }

  it('refuses an over-long line before its end arrives', () => {
    const parser = new ControlReplyParser({ maxLineBytes: 16 });
    parser.push(bytes('250 0123456789'));
    expect(() => parser.push(bytes('ab'))).toThrow(ControlLineTooLongError);
  });

  it('accepts a line of exactly the cap', () => {
    const line = '250 ' + 'x'.repeat(10) + '\r\n';
    expect(parseAll(bytes(line), { maxLineBytes: line.length })).toHaveLength(1);
    expect(() => parseAll(bytes(line), { maxLineBytes: line.length - 1 })).toThrow(
      ControlLineTooLongError,
    );
  });

  it('refuses a reply larger than the byte cap, also inside a data block', () => {
    const parser = new ControlReplyParser({ maxReplyBytes: 64 });
    parser.push(bytes('250+data=\r\n'));
    const push = (): void => {
      for (let i = 0; i < 20; i++) parser.push(bytes('0123456789\r\n'));
    };
    expect(push).toThrow(ControlReplyTooLargeError);
  });

  it('refuses a reply with more lines than the cap', () => {
    const parser = new ControlReplyParser({ maxLinesPerReply: 3 });
    expect(() => parser.push(bytes('250-a\r\n250-b\r\n250-c\r\n250-d\r\n'))).toThrow(
      ControlReplyTooLargeError,
    );
  });

  it('byte and line budgets restart with each reply', () => {
    const parser = new ControlReplyParser({ maxLinesPerReply: 2, maxReplyBytes: 20 });
    for (let i = 0; i < 50; i++) expect(parser.push(bytes('250-a\r\n250 OK\r\n'))).toHaveLength(1);
  });

  it('stays failed after an error', () => {
    const parser = new ControlReplyParser();
    expect(() => parser.push(bytes('garbage\r\n'))).toThrow(MalformedControlReplyError);
    expect(() => parser.push(bytes('250 OK\r\n'))).toThrow(MalformedControlReplyError);
  });
});

/** A model reply and its wire encoding (with dot-stuffing), for property tests. */
const lineText = fc
  .string({ unit: 'grapheme', maxLength: 40 })
  .filter((text) => !/[\r\n]/.test(text));
const modelLine = fc.oneof(
  fc.record({ separator: fc.constant<'-'>('-'), text: lineText }),
  fc.record({
    separator: fc.constant<'+'>('+'),
    text: lineText,
    dataLines: fc.array(lineText, { maxLength: 5 }),
  }),
);
const modelReply = fc.record({
  status: fc.integer({ min: 100, max: 699 }),
  middle: fc.array(modelLine, { maxLength: 5 }),
  final: lineText,
});
type ModelReply = typeof modelReply extends fc.Arbitrary<infer T> ? T : never;

function encode(reply: ModelReply): string {
  let out = '';
  for (const line of reply.middle) {
    out += `${reply.status}${line.separator}${line.text}\r\n`;
    if ('dataLines' in line) {
      for (const data of line.dataLines) out += `${data.startsWith('.') ? '.' : ''}${data}\r\n`;
      out += '.\r\n';
    }
  }
  return `${out}${reply.status} ${reply.final}\r\n`;
}

function expected(reply: ModelReply): ControlReply {
  return {
    status: reply.status,
    isAsync: reply.status >= 600,
    lines: [
      ...reply.middle.map((line) =>
        'dataLines' in line
          ? {
              status: reply.status,
              separator: '+' as const,
              text: line.text,
              data: line.dataLines.join('\n'),
            }
          : { status: reply.status, separator: '-' as const, text: line.text },
      ),
      { status: reply.status, separator: ' ' as const, text: reply.final },
    ],
  };
}

describe('ControlReplyParser properties', () => {
  it('any chunking of encoded replies yields exactly the model replies', () => {
    fc.assert(
      fc.property(
        fc.array(modelReply, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }),
        (replies, cuts) => {
          const wire = bytes(replies.map(encode).join(''));
          const parser = new ControlReplyParser();
          const got: ControlReply[] = [];
          let offset = 0;
          let cut = 0;
          while (offset < wire.length) {
            const size = cuts[cut++ % cuts.length]!;
            got.push(...parser.push(wire.subarray(offset, offset + size)));
            offset += size;
          }
          expect(got).toEqual(replies.map(expected));
          expect(parser.isIdle).toBe(true);
        },
      ),
    );
  });

  it('random bytes only ever raise ControlProtocolError subclasses', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        fc.boolean(),
        (chunks, prefixValid) => {
          const parser = new ControlReplyParser({ maxLineBytes: 48, maxReplyBytes: 200 });
          try {
            if (prefixValid) parser.push(bytes('250-ok\r\n'));
            for (const chunk of chunks) parser.push(chunk);
          } catch (error) {
            expect(error).toBeInstanceOf(ControlProtocolError);
          }
        },
      ),
    );
  });

  it('random replies from the digit/separator alphabet never crash', () => {
    const alphabet = fc.constantFrom(...'0123456789 -+.\r\nOK='.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 300 }), (chars) => {
        try {
          new ControlReplyParser().push(bytes(chars.join('')));
        } catch (error) {
          expect(error).toBeInstanceOf(ControlProtocolError);
        }
      }),
    );
  });
});
