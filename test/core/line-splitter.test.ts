import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSplitter, type SplitItem } from '../../src/core/line-splitter.js';
import { HeadlessError, parseCommandLine } from '../../src/core/headless-codec.js';

const enc = new TextEncoder();
const lines = (items: SplitItem[]): string[] =>
  items.map((i) => (i.kind === 'line' ? i.text : `!${i.error.code}`));

describe('LineSplitter', () => {
  it('splits lines, strips CR, skips blank lines, and delivers an unterminated last line', () => {
    const s = new LineSplitter(100);
    expect(lines(s.push(enc.encode('{"a":1}\n\r\n  \n{"b":2}\r\n{"c"')))).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
    expect(lines(s.push(enc.encode(':3}')))).toEqual([]);
    expect(lines(s.end())).toEqual(['{"c":3}']);
    expect(lines(s.end())).toEqual([]);
  });

  it('works byte at a time, including multi-byte UTF-8 split across pushes', () => {
    const input = enc.encode('héllo 😀\nsecond ünïcode\n');
    const s = new LineSplitter(64);
    const out: SplitItem[] = [];
    for (const b of input) out.push(...s.push(Uint8Array.of(b)));
    expect(lines(out)).toEqual(['héllo 😀', 'second ünïcode']);
  });

  it('drops an oversize line with one error, buffers no more than the limit, then recovers', () => {
    const s = new LineSplitter(10);
    const out: SplitItem[] = [];
    for (let i = 0; i < 1000; i++) {
      out.push(...s.push(enc.encode('xxxxxxxxxxxxxxxxxxxx')));
      expect(s.buffered).toBeLessThanOrEqual(11);
    }
    out.push(...s.push(enc.encode('\nok\n0123456789\n01234567890\n')));
    expect(lines(out)).toEqual(['!line-too-long', 'ok', '0123456789', '!line-too-long']);
    expect(lines(s.push(enc.encode('0123456789\r\n')))).toEqual(['0123456789']);
  });

  it('reports invalid UTF-8 as an error and carries on', () => {
    const s = new LineSplitter(100);
    const bad = Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d, 0x0a, 0x61, 0x0a, 0xc3, 0x0a);
    expect(lines(s.push(bad))).toEqual(['!invalid-utf8', 'a', '!invalid-utf8']);
  });

  it('rejects a bad limit', () => {
    expect(() => new LineSplitter(0)).toThrow(RangeError);
  });

  it('property: any chunking of any bytes gives the same items, and the buffer stays bounded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0x0a), fc.constant(0x0d), fc.integer({ min: 0, max: 255 })), {
          maxLength: 400,
        }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (bytes, cuts) => {
          const data = Uint8Array.from(bytes);
          const whole = new LineSplitter(16);
          const expected = lines([...whole.push(data), ...whole.end()]);
          const chunked = new LineSplitter(16);
          const got: SplitItem[] = [];
          let at = 0;
          let i = 0;
          while (at < data.length) {
            const n = cuts[i++ % cuts.length] ?? 1;
            got.push(...chunked.push(data.subarray(at, at + n)));
            expect(chunked.buffered).toBeLessThanOrEqual(17);
            at += n;
          }
          got.push(...chunked.end());
          expect(lines(got)).toEqual(expected);
          for (const item of got) {
            if (item.kind === 'line') expect(enc.encode(item.text).length).toBeLessThanOrEqual(16);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: garbage bytes through splitter and parser only ever give commands or errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), (data, n) => {
        const s = new LineSplitter(128);
        const items: SplitItem[] = [];
        for (let at = 0; at < data.length; at += n)
          items.push(...s.push(data.subarray(at, at + n)));
        items.push(...s.end());
        for (const item of items) {
          if (item.kind === 'error') {
            expect(item.error).toBeInstanceOf(HeadlessError);
            continue;
          }
          const r = parseCommandLine(item.text);
          expect(r instanceof HeadlessError || typeof r.type === 'string').toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
