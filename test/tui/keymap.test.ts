// The keymap is coherent: no key does two things in the same place, and every binding has help.
import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { KEYMAP, findBinding, type KeyContext } from '../../src/tui/keymap.js';

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const probes: readonly [string, Partial<Key>][] = [
  ...'abcdefghijklmnopqrstuvwxyz?'.split('').map((c): [string, Partial<Key>] => [c, {}]),
  ['c', { ctrl: true }],
  ['n', { ctrl: true }],
  ['', { return: true }],
  ['', { return: true, meta: true }],
  ['\n', {}],
  ['', { tab: true }],
  ['', { escape: true, meta: true }],
  ['', { upArrow: true }],
  ['', { downArrow: true }],
  ['', { pageUp: true }],
  ['', { pageDown: true }],
];

describe('keymap', () => {
  it('has a description and keys for every binding', () => {
    for (const b of KEYMAP) {
      expect(b.description.length).toBeGreaterThan(3);
      expect(b.keys.length).toBeGreaterThan(0);
    }
  });

  it('binds no key to two different actions within one context', () => {
    const contexts = new Set<KeyContext>(KEYMAP.map((b) => b.context));
    for (const context of contexts) {
      for (const [input, extra] of probes) {
        const key = { ...noKey, ...extra };
        const ids = new Set(
          KEYMAP.filter(
            (b) => (b.context === context || b.context === 'global') && b.matches(input, key),
          ).map((b) => b.id),
        );
        expect(ids.size, `${context}: ${JSON.stringify([input, extra])}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('resolves the documented keys', () => {
    expect(findBinding('contacts', 'a', noKey)).toBe('add-contact');
    expect(findBinding('composer', '', { ...noKey, return: true })).toBe('send');
    expect(findBinding('composer', '\n', noKey)).toBe('newline');
    expect(findBinding('composer', '', { ...noKey, return: true, meta: true })).toBe('newline');
    expect(findBinding('composer', 'c', { ...noKey, ctrl: true })).toBe('quit');
    expect(findBinding('composer', 'q', noKey)).toBeNull();
  });
});
