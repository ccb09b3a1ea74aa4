// Unit tests for the UI's formatting helpers.
import { describe, expect, it } from 'vitest';
import {
  etaSeconds,
  formatAgo,
  formatBytes,
  formatEta,
  progressBar,
  shortenId,
} from '../../../src/tui/state/format.js';
import { isOverLimit, MESSAGE_LIMIT_UTF16 } from '../../../src/tui/state/composer.js';

describe('format', () => {
  it('shortens IDs', () => {
    expect(shortenId(`ricochet:${'abcdefgh'.repeat(7)}`)).toBe('abcdefgh…efgh');
  });
  it('says how long ago', () => {
    expect(formatAgo(10)).toBe('just now');
    expect(formatAgo(60)).toBe('1 minute ago');
    expect(formatAgo(300)).toBe('5 minutes ago');
    expect(formatAgo(7200)).toBe('2 hours ago');
    expect(formatAgo(86400 * 3)).toBe('3 days ago');
  });
  it('formats sizes, ETAs and bars', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(etaSeconds(1000, 500, 100)).toBe(5);
    expect(etaSeconds(1000, 500, 0)).toBeNull();
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(null)).toBe('--:--');
    expect(progressBar(0.5, 12)).toBe('[#####.....]');
    expect(progressBar(Number.NaN, 4)).toBe('[..]');
  });
  it('counts the message limit in UTF-16 units', () => {
    expect(isOverLimit('x'.repeat(MESSAGE_LIMIT_UTF16))).toBe(false);
    expect(isOverLimit('😀'.repeat(1001))).toBe(true);
  });
});
