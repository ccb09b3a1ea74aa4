// import-ricochet against the one schema (issue 12): a ricochet.json with as many contacts as a
// profile holds is imported whole (every contact keeps its `imported-ricochet` origin through the
// first save); one more is refused with a typed error before anything is written.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { modelFromVault, vaultFromModel } from '../../src/core/vault-mapping.js';
import { openVault } from '../../src/profile/vault.js';
import { LIMITS } from '../../src/schema/limits.js';
import { serviceIds } from '../support/ricochet-ids.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ricochet-all-types.json');
let dir: string;
let ids: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sotto-import-limits-'));
  ids = serviceIds(LIMITS.contacts + 1);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ricochetJson(users: number): Promise<string> {
  const fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as { identity: unknown };
  const entries = ids
    .slice(0, users)
    .map((id, i): [string, object] => [id, { nickname: `u${i}`, type: 'allowed' }]);
  const path = join(dir, `ricochet-${users}.json`);
  await writeFile(
    path,
    JSON.stringify({ identity: fixture.identity, users: Object.fromEntries(entries) }),
  );
  return path;
}

async function run(argv: string[]): Promise<number> {
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const quietErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await main(argv);
  } finally {
    quiet.mockRestore();
    quietErr.mockRestore();
  }
}

describe('import-ricochet and the contact limit', () => {
  it('imports as many contacts as a profile holds, and the first save keeps every one', async () => {
    const profile = join(dir, 'full');
    const path = await ricochetJson(LIMITS.contacts);
    expect(await run(['import-ricochet', path, '--profile', profile, '--no-passphrase'])).toBe(0);
    const vault = await openVault(join(profile, 'vault.sotto'), null);
    expect(vault.state.contacts).toHaveLength(LIMITS.contacts);
    const { model, skipped } = modelFromVault(vault.state, 'unused', Date.now());
    expect(skipped).toEqual([]);
    await vault.save(vaultFromModel(model, vault.state, Date.now()));
    vault.close();
    const saved = (await openVault(join(profile, 'vault.sotto'), null)).state.contacts;
    expect(saved).toHaveLength(LIMITS.contacts);
    expect(saved.every((c) => c.origin === 'imported-ricochet')).toBe(true);
  }, 300_000);

  it('refuses one contact more, whole, before anything is written', async () => {
    const path = await ricochetJson(LIMITS.contacts + 1);
    const profile = join(dir, 'too-many');
    expect(await run(['import-ricochet', path, '--profile', profile, '--no-passphrase'])).toBe(3);
    const left = await readdir(profile).catch(() => []);
    expect(left.filter((f) => f.startsWith('vault'))).toEqual([]);
  }, 120_000);
});
