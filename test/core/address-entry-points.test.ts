// Where a Ricochet ID enters Sotto, its key is checked in full (prime order, as tor does, rend-spec-v3
// "Encoding onion addresses"): the wire (the client's proof), commands from the UI and headless
// (`add`, `block`), and import-ricochet. Everything behind them trusts what they let in: loading a
// profile checks only the structure of the ids its authenticated vault holds, and an import
// checks each id once. A weak key here has a correct checksum and version, so only the point
// check can refuse it.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { readFile, writeFile } from 'node:fs/promises';
import { Point } from '@noble/ed25519';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoreEvent } from '../../src/api/core-api.js';
import { main } from '../../src/cli/main.js';
import { runHeadless } from '../../src/core/headless.js';
import { modelFromVault } from '../../src/core/vault-mapping.js';
import {
  AddressPublicKeyError,
  isValidServiceId,
  isWellFormedServiceId,
  parseRicochetAddress,
} from '../../src/identity/service-id.js';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  RicochetTooManyContactsError,
  parseRicochetSettings,
} from '../../src/profile/import-ricochet.js';
import { LIMITS } from '../../src/schema/limits.js';
import { openVault } from '../../src/profile/vault.js';
import { emptyVaultState } from '../../src/profile/vault-state.js';
import { verifyAuthProof } from '../../src/protocol/auth-proof.js';
import { ProtocolViolationError } from '../../src/protocol/errors.js';
import { checkAddress } from '../../src/tui/components/AddContact.js';
import { LoopbackSotto } from '../abuse/loopback-support.js';
import { tempDir } from '../profile/helpers.js';
import { serviceIds, weakKeyServiceIds } from '../support/ricochet-ids.js';

const WEAK = weakKeyServiceIds();
const WEAK_IDS = [WEAK.smallOrder, WEAK.torsioned];
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ricochet-all-types.json');

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Counts the expensive prime-order checks (`isTorsionFree`) made while `run` runs. */
async function pointChecksDuring(run: () => unknown): Promise<number> {
  const spy = vi.spyOn(Point.prototype, 'isTorsionFree');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe('weak keys with a correct checksum', () => {
  it('have the structure of an id, and only the full check refuses them', () => {
    for (const id of WEAK_IDS) {
      expect(isWellFormedServiceId(id)).toBe(true);
      expect(isValidServiceId(id)).toBe(false);
      expect(() => parseRicochetAddress(`ricochet:${id}`)).toThrow(AddressPublicKeyError);
    }
  });
});

describe('every entry point refuses a weak key', () => {
  it('the wire: a client proof claiming it is a protocol violation', () => {
    const cookie = new Uint8Array(16);
    for (const id of WEAK_IDS) {
      expect(() =>
        verifyAuthProof(new Uint8Array(64), id, serviceIds(1)[0] as string, cookie, cookie),
      ).toThrow(ProtocolViolationError);
    }
  });

  it('the add-contact dialog of the UI refuses it', () => {
    for (const id of WEAK_IDS) expect(checkAddress(`ricochet:${id}`).ok).toBe(false);
  });

  it('headless add and block answer invalid-address and keep nothing', async () => {
    const sotto = await LoopbackSotto.start();
    stops.push(() => sotto.stop());
    const input = new PassThrough();
    const output = new PassThrough();
    const done = runHeadless(sotto.messenger, { input, output });
    for (const id of WEAK_IDS) {
      const address = `ricochet:${id}`;
      input.write(`${JSON.stringify({ type: 'add', address, nickname: 'x', message: '' })}\n`);
      input.write(`${JSON.stringify({ type: 'block', address })}\n`);
    }
    input.end();
    await done;
    const events = ((output.read() as Buffer | null)?.toString('utf8') ?? '')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as CoreEvent);
    const errors = events.filter((e) => e.type === 'error');
    expect(errors.map((e) => e.type === 'error' && e.code)).toEqual(
      Array.from({ length: 4 }, () => 'invalid-address'),
    );
    expect(events.filter((e) => e.type === 'contact')).toEqual([]);
    const vault = await openVault(join(sotto.dir, 'vault.sotto'), null);
    expect(vault.state.contacts).toEqual([]);
    expect(vault.state.outgoingRequests).toEqual([]);
    expect(vault.state.blocked).toEqual([]);
    vault.close();
  });

  it('import-ricochet skips it with a warning', async () => {
    const fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as { identity: unknown };
    const [good] = serviceIds(1) as [string];
    const users = Object.fromEntries(
      [...WEAK_IDS, good].map((id) => [id, { nickname: 'n', type: 'allowed' }]),
    );
    const result = parseRicochetSettings(JSON.stringify({ identity: fixture.identity, users }));
    expect(result.contacts.map((c) => c.serviceId)).toEqual([good]);
    expect(result.warnings).toHaveLength(2);
  });
});

describe('behind the entry points, no id is checked twice', () => {
  it('loading a profile does not redo the point check of its contacts', async () => {
    const ids = serviceIds(201);
    const self = ids.shift() as string;
    const state = {
      ...emptyVaultState({ expandedKey: IdentityKey.generate().expandedKey() }),
      contacts: ids.map((serviceId, i) => ({
        serviceId,
        nickname: `c${i}`,
        addedAt: 1,
        historyEnabled: false,
      })),
    };
    let loaded = 0;
    const checks = await pointChecksDuring(() => {
      const { model, skipped } = modelFromVault(state, self, 1);
      expect(skipped).toEqual([]);
      loaded = model.book.size;
    });
    expect(loaded).toBe(200);
    expect(checks).toBe(0);
  });

  it('import-ricochet refuses a file over the limit before checking any key', async () => {
    const fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as { identity: unknown };
    const file = (count: number): string =>
      JSON.stringify({
        identity: fixture.identity,
        users: Object.fromEntries(
          serviceIds(count).map((id, i) => [id, { nickname: `u${i}`, type: 'allowed' }]),
        ),
      });
    const oversize = file(LIMITS.contacts + 1);
    const empty = file(0);
    const base = await pointChecksDuring(() => parseRicochetSettings(empty));
    const checks = await pointChecksDuring(() => {
      expect(() => parseRicochetSettings(oversize)).toThrow(RicochetTooManyContactsError);
    });
    expect(checks).toBe(base);
  });

  it('import-ricochet checks each imported id once', async () => {
    const dir = await tempDir();
    const fixture = JSON.parse(await readFile(FIXTURE, 'utf8')) as { identity: unknown };
    const ids = serviceIds(60);
    const quiet = (): void => {
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    };
    const importChecks = async (users: number): Promise<number> => {
      const path = join(dir, `ricochet-${users}.json`);
      const entries = ids
        .slice(0, users)
        .map((id, i): [string, object] => [id, { nickname: `u${i}`, type: 'allowed' }]);
      await writeFile(
        path,
        JSON.stringify({ identity: fixture.identity, users: Object.fromEntries(entries) }),
      );
      quiet();
      const profile = join(dir, `profile-${users}`);
      let code = -1;
      const checks = await pointChecksDuring(async () => {
        code = await main(['import-ricochet', path, '--profile', profile, '--no-passphrase']);
      });
      vi.restoreAllMocks();
      expect(code).toBe(0);
      return checks;
    };
    const few = await importChecks(20);
    const more = await importChecks(60);
    expect(more - few).toBe(40);
  });
});
