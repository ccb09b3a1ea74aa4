// The messenger's debounced vault saver: a burst of changes is one write, writes never overlap, a
// closed messenger writes at once, a failed write is reported and the next change writes again.
import { describe, expect, it } from 'vitest';
import { DebouncedVaultSaver } from '../../src/core/vault-saver.js';
import type { SaveOptions } from '../../src/profile/vault.js';
import type { VaultState } from '../../src/profile/vault-state.js';

function saver(options: { closed?: boolean; failFirst?: boolean } = {}) {
  const writes: SaveOptions[] = [];
  const errors: unknown[] = [];
  let running = 0;
  let overlapped = false;
  let version = 0;
  const instance = new DebouncedVaultSaver({
    debounceMs: 60_000, // never fires in these tests: only flush/saveNow write
    snapshot: () => ({ version: ++version }) as unknown as VaultState,
    save: async (_state, saveOptions) => {
      running++;
      overlapped ||= running > 1;
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      if (options.failFirst === true && writes.length === 0) {
        writes.push(saveOptions);
        throw new Error('disk full');
      }
      writes.push(saveOptions);
    },
    onError: (error) => errors.push(error),
    isClosed: () => options.closed === true,
  });
  return { instance, writes, errors, overlapped: () => overlapped };
}

describe('DebouncedVaultSaver', () => {
  it('writes a burst of changes once, on flush', async () => {
    const s = saver();
    for (let i = 0; i < 5; i++) s.instance.changed();
    expect(s.writes).toEqual([]);
    await s.instance.flush();
    expect(s.writes).toEqual([{}]);
    await s.instance.flush(); // nothing pending: no second write
    expect(s.writes).toHaveLength(1);
  });

  it('writes at once when closed, one write after another', async () => {
    const s = saver({ closed: true });
    s.instance.changed();
    s.instance.changed();
    await s.instance.flush();
    expect(s.writes).toHaveLength(2);
    expect(s.overlapped()).toBe(false);
  });

  it('saveNow passes its options and replaces a pending write', async () => {
    const s = saver();
    s.instance.changed();
    await s.instance.saveNow({ forget: true });
    await s.instance.flush();
    expect(s.writes).toEqual([{ forget: true }]);
  });

  it('reports a failed write and writes again on the next change', async () => {
    const s = saver({ failFirst: true });
    s.instance.changed();
    await s.instance.flush();
    expect(s.errors).toHaveLength(1);
    s.instance.changed();
    await s.instance.flush();
    expect(s.writes).toHaveLength(2);
    expect(s.errors).toHaveLength(1);
  });
});
