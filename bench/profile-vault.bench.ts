// Measures the vault KDF and open/save cost with a large state (1,000 contacts, 10,000 history
// messages). Prints figures, asserts nothing. Run:
//   npx tsc --outDir node_modules/.cache/sotto-bench --rootDir . --module nodenext \
//     --moduleResolution nodenext --target es2023 --types node --skipLibCheck --strict \
//     bench/profile-vault.bench.ts && node node_modules/.cache/sotto-bench/bench/profile-vault.bench.js
import { scrypt } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SCRYPT_PARAMS, createVault, openVault } from '../src/profile/vault.js';
import { emptyVaultState, type VaultState } from '../src/profile/vault-state.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
function fakeServiceId(i: number): string {
  let out = '';
  let n = i + 1;
  for (let k = 0; k < 56; k++) {
    out += ALPHABET[(n + k * 7) % 32];
    n = Math.floor(n / 3) + k;
  }
  return out;
}

function bigState(): VaultState {
  const base = emptyVaultState({ expandedKey: new Uint8Array(64).fill(1) });
  const contacts = Array.from({ length: 1000 }, (_, i) => ({
    serviceId: `${fakeServiceId(i).slice(0, 50)}${String(i)
      .padStart(6, 'a')
      .replace(/[0-9]/g, (d) => ALPHABET[Number(d) + 2] ?? 'a')}`,
    nickname: `contact ${i}`,
    addedAt: 1_700_000_000_000 + i,
    historyEnabled: i < 100,
  }));
  const history: Record<string, VaultState['history'][string]> = {};
  for (let c = 0; c < 100; c++) {
    history[contacts[c]!.serviceId] = Array.from({ length: 100 }, (_, m) => ({
      id: m,
      direction: m % 2 === 0 ? ('in' as const) : ('out' as const),
      text: `message ${m} to contact ${c}: the quick brown fox jumps over the lazy dog`,
      at: 1_700_000_000_000 + m * 1000,
      timeDelta: 0,
      state: 'delivered' as const,
    }));
  }
  return { ...base, contacts, history };
}

function kdfOnce(): Promise<number> {
  const { logN, r, p } = DEFAULT_SCRYPT_PARAMS;
  const start = performance.now();
  return new Promise((resolve, reject) => {
    scrypt(
      'bench passphrase',
      Buffer.alloc(32),
      32,
      { N: 2 ** logN, r, p, maxmem: 2 ** logN * r * 129 },
      (e) => (e ? reject(e) : resolve(performance.now() - start)),
    );
  });
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

const { logN, r, p } = DEFAULT_SCRYPT_PARAMS;
const kdf: number[] = [];
for (let i = 0; i < 5; i++) kdf.push(await kdfOnce());
console.log(
  `scrypt log2N=${logN} r=${r} p=${p} (${(128 * 2 ** logN * r) / 2 ** 20} MiB): median ${fmt(median(kdf))}, runs ${kdf.map(fmt).join(', ')}`,
);

const dir = await mkdtemp(join(tmpdir(), 'sotto-bench-'));
try {
  const path = join(dir, 'vault.sotto');
  const state = bigState();
  const vault = await createVault(path, 'bench passphrase', state);
  vault.close();
  console.log(
    `state: ${state.contacts.length} contacts, ${Object.values(state.history).reduce((n, h) => n + h.length, 0)} history messages, vault file ${((await stat(path)).size / 1024).toFixed(0)} KiB`,
  );
  const opens: number[] = [];
  const saves: number[] = [];
  for (let i = 0; i < 5; i++) {
    let start = performance.now();
    const v = await openVault(path, 'bench passphrase');
    opens.push(performance.now() - start);
    start = performance.now();
    await v.save(v.state);
    saves.push(performance.now() - start);
    v.close();
  }
  console.log(
    `open (KDF + decrypt + validate): median ${fmt(median(opens))}, runs ${opens.map(fmt).join(', ')}`,
  );
  console.log(
    `save (validate + encrypt + atomic write + fsync): median ${fmt(median(saves))}, runs ${saves.map(fmt).join(', ')}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
