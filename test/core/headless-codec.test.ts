import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  COMMAND_SCHEMAS,
  HeadlessError,
  MAX_COMMAND_LINE,
  formatEvent,
  parseCommandLine,
} from '../../src/core/headless-codec.js';
import type { CoreCommand, CoreEvent } from '../../src/api/core-api.js';

const A = `ricochet:${'a'.repeat(56)}`;

function codeOf(line: string): string | undefined {
  const r = parseCommandLine(line);
  return r instanceof HeadlessError ? r.code : undefined;
}

describe('parseCommandLine', () => {
  it('parses every command of the schema', () => {
    const samples: CoreCommand[] = [
      { type: 'id' },
      { type: 'add', address: A, nickname: 'Alice', message: 'hi' },
      { type: 'accept', address: A },
      { type: 'accept', address: A, nickname: 'Al' },
      { type: 'send', address: A, text: 'héllo\n😀' },
      { type: 'accept-file', address: A, fileId: 4294967295 },
      { type: 'history', address: A, enabled: true },
      { type: 'retry-message', address: A, id: 3 },
      { type: 'block-unknown', enabled: false },
      { type: 'messages', address: A },
      { type: 'set-nickname', nickname: 'Al' },
      { type: 'set-nickname', nickname: '' },
      { type: 'own-nickname' },
      { type: 'identity-online' },
      { type: 'set-identity-online', mode: 'dark' },
      { type: 'set-identity-online', mode: 'open', minutes: 30 },
      { type: 'quit' },
    ];
    for (const c of samples) expect(parseCommandLine(JSON.stringify(c))).toEqual(c);
    expect(Object.keys(COMMAND_SCHEMAS)).toHaveLength(28);
  });

  it.each([
    ['', 'bad-json'],
    ['{', 'bad-json'],
    ['{"type":"id"} x', 'bad-json'],
    ['null', 'not-an-object'],
    ['[1]', 'not-an-object'],
    ['"id"', 'not-an-object'],
    ['{}', 'missing-field'],
    ['{"type":3}', 'missing-field'],
    ['{"type":"launch"}', 'unknown-command'],
    ['{"type":"toString"}', 'unknown-command'],
    ['{"type":"__proto__"}', 'unknown-command'],
    ['{"type":"send","address":"x"}', 'missing-field'],
    ['{"type":"send","address":"x","text":"t","extra":1}', 'unknown-field'],
    ['{"type":"id","__proto__":{"x":1}}', 'unknown-field'],
    ['{"type":"send","address":1,"text":"t"}', 'bad-field-type'],
    ['{"type":"accept-file","address":"x","fileId":-1}', 'bad-field-type'],
    ['{"type":"accept-file","address":"x","fileId":1.5}', 'bad-field-type'],
    ['{"type":"accept-file","address":"x","fileId":4294967296}', 'bad-field-type'],
    ['{"type":"accept-file","address":"x","fileId":"1"}', 'bad-field-type'],
    ['{"type":"set-identity-online","mode":"open","minutes":"30"}', 'bad-field-type'],
    ['{"type":"set-identity-online","minutes":30}', 'missing-field'],
    ['{"type":"set-identity-online","mode":"dark","until":5}', 'unknown-field'],
    ['{"type":"history","address":"x","enabled":"yes"}', 'bad-field-type'],
    ['{"type":"accept","address":"x","nickname":null}', 'bad-field-type'],
    ['{"type":"set-nickname"}', 'missing-field'],
    ['{"type":"set-nickname","nickname":7}', 'bad-field-type'],
  ])('%j → %s', (line, code) => {
    expect(codeOf(line)).toBe(code);
  });

  it('caps the line length before parsing', () => {
    const long = JSON.stringify({ type: 'send', address: A, text: 'x'.repeat(MAX_COMMAND_LINE) });
    expect(codeOf(long)).toBe('line-too-long');
    const ok = JSON.stringify({ type: 'send', address: A, text: '\u0001'.repeat(2000) });
    expect(ok.length).toBeLessThanOrEqual(MAX_COMMAND_LINE);
    expect(codeOf(ok)).toBeUndefined();
  });

  it('survives deeply nested JSON and huge numbers inside the length cap', () => {
    const deep = `{"type":"id","x":${'['.repeat(15_000)}${']'.repeat(15_000)}}`;
    expect(deep.length).toBeLessThanOrEqual(MAX_COMMAND_LINE);
    expect(codeOf(deep)).toBe('unknown-field');
    expect(codeOf(`${'['.repeat(16_000)}${']'.repeat(16_000)}`)).toBe('not-an-object');
    expect(codeOf('{"type":"accept-file","address":"x","fileId":1e400}')).toBe('bad-field-type');
  });

  it('turns errors into error events', () => {
    const e = parseCommandLine('{"type":"nope"}');
    expect(e).toBeInstanceOf(HeadlessError);
    expect((e as HeadlessError).toEvent()).toEqual({
      type: 'error',
      code: 'unknown-command',
      message: 'unknown command "nope"',
    });
  });

  it('property: random strings and random JSON never throw, and results are well-typed', () => {
    const anyLine = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.json(),
      fc
        .record(
          {
            type: fc.constantFrom(...Object.keys(COMMAND_SCHEMAS), 'x'),
            address: fc.oneof(fc.string(), fc.integer()),
            text: fc.string(),
            fileId: fc.oneof(fc.integer(), fc.double()),
            enabled: fc.oneof(fc.boolean(), fc.string()),
          },
          { requiredKeys: ['type'] },
        )
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(anyLine, (line) => {
        const r = parseCommandLine(line);
        if (r instanceof HeadlessError) {
          expect(typeof r.code).toBe('string');
          return;
        }
        const schema = COMMAND_SCHEMAS[r.type];
        for (const key of Object.keys(r)) expect(key === 'type' || key in schema).toBe(true);
        expect(parseCommandLine(JSON.stringify(r))).toEqual(r);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('formatEvent', () => {
  it('writes one line with control, bidi and separator characters escaped', () => {
    const event: CoreEvent = {
      type: 'message',
      address: A,
      id: 1,
      text: 'a\u{e0001}\u{1d173}\nb\r\u0007\u001b[31m\u007f\u0085\u202e\u2028\u2029\u200b\ufeff\ud800z',
      timeDelta: 0,
    };
    const line = formatEvent(event);
    expect(line).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    expect(line).not.toMatch(/[\ud800-\udfff]/u);
    expect(JSON.parse(line)).toEqual(event);
  });

  it('property: any event text round-trips and never yields a raw control character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), fc.string(), (text, code) => {
        for (const event of [
          { type: 'message', address: A, id: 7, text, timeDelta: -1 } as const,
          { type: 'error', code, message: text } as const,
        ]) {
          const line = formatEvent(event);
          expect(line).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
          expect(line).not.toMatch(/[\ud800-\udfff]/u);
          expect(JSON.parse(line)).toEqual(event);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
