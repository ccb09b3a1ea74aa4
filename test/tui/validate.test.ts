// Nickname and request-message checks follow Ricochet's limits.
import { describe, expect, it } from 'vitest';
import {
  nicknameProblem,
  ownNicknameProblem,
  requestMessageProblem,
  suggestedNickname,
} from '../../src/tui/validate.js';

describe('validate', () => {
  it('accepts ordinary nicknames and refuses empty, long, markup and invisible ones', () => {
    expect(nicknameProblem('Alice Müller')).toBeNull();
    expect(nicknameProblem('  ')).toBe('give them a nickname');
    expect(nicknameProblem('x'.repeat(31))).toBe('at most 30 characters');
    expect(nicknameProblem('a<b>')).toBe('no " < > or & in nicknames');
    expect(nicknameProblem('a\u202eb')).toBe('no invisible or control characters');
    expect(nicknameProblem('a\u0007b')).toBe('no invisible or control characters');
  });
  it('limits request messages to 2000 UTF-16 units', () => {
    expect(requestMessageProblem('x'.repeat(2000))).toBeNull();
    expect(requestMessageProblem('😀'.repeat(1001))).toBe('at most 2000 characters');
  });
  it('our own nickname may be empty (requests then carry none), else follows the same rules', () => {
    expect(ownNicknameProblem('')).toBeNull();
    expect(ownNicknameProblem('  ')).toBeNull();
    expect(ownNicknameProblem('Me')).toBeNull();
    expect(ownNicknameProblem('a&b')).toBe('no " < > or & in nicknames');
  });
  it('suggests the nickname a request carried, else the first 8 characters of its ID', () => {
    const address = `ricochet:${'abcdefgh'.repeat(7)}`;
    const request = { address, message: '', receivedAt: 0 };
    expect(suggestedNickname({ ...request, nickname: '' })).toBe('abcdefgh');
    expect(suggestedNickname({ ...request, nickname: ' Bob ' })).toBe('Bob');
    expect(suggestedNickname({ ...request, nickname: '\t ' })).toBe('abcdefgh');
    expect(suggestedNickname({ ...request, nickname: 'x'.repeat(31) })).toBe('abcdefgh');
  });
});
