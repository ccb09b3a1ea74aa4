import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdentityKey } from '../../src/identity/identity-key.js';
import {
  MAX_RICOCHET_JSON_BYTES,
  RicochetFileTooLargeError,
  RicochetImportError,
  RicochetJsonError,
  RicochetKeyError,
  RicochetNoIdentityError,
  importRicochetFile,
  parseRicochetSettings,
} from '../../src/profile/import-ricochet.js';
import { tempDir } from './helpers.js';
import { VECTOR_DIR } from '../protocol/session-vectors.js';

const VECTORS = VECTOR_DIR;
const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const CAROL = 'h44ilsblgrguks5smjizbqz7bdiafz2fekxowyoho5v63kwozbae6did';

describe('import of a real Ricochet Refresh 3.0.41 profile', () => {
  it('yields the key of service id h44il…6did and the contact dave', async () => {
    const result = await importRicochetFile(join(VECTORS, 'profile-ricochet.json'));
    expect(result.serviceId).toBe(CAROL);
    expect(IdentityKey.fromExpandedKey(result.expandedKey).serviceId).toBe(CAROL);
    const recorded = await readFile(join(VECTORS, 'profile-ricochet.txt'), 'utf8');
    expect(recorded).toContain(`Service id of identity.privateKey: ${result.serviceId}`);
    expect(result.contacts).toEqual([
      {
        serviceId: '2r2ny532lclzz3slust6lc2xqmzvm6fzucu67lhmq6u7g5ckryoborid',
        nickname: 'dave',
        type: 'allowed',
      },
    ]);
    expect(result.warnings).toEqual([]);
  });
});

describe('fixtures', () => {
  it('imports every documented contact type and skips malformed entries with warnings', async () => {
    const result = await importRicochetFile(join(FIXTURES, 'ricochet-all-types.json'));
    expect(result.serviceId).toBe(CAROL);
    expect(result.contacts.map((c) => [c.nickname, c.type])).toEqual([
      ['alice', 'allowed'],
      ['bob', 'requesting'],
      ['mallory', 'blocked'],
      ['erin', 'pending'],
      ['', 'rejected'],
    ]);
    expect(result.warnings).toHaveLength(8);
    const joined = result.warnings.join('\n');
    expect(joined).toContain('"not-a-service-id"');
    expect(joined).toContain("this profile's own id");
    expect(joined).toContain('unknown type "friend"');
    expect(joined).toContain('nickname missing or not a string');
    expect(joined).toContain('unknown type undefined');
    expect(joined).not.toContain('ED25519');
  });

  it('reports identity problems with typed errors', async () => {
    const cases: [string, new (...args: never[]) => Error][] = [
      ['ricochet-bad-key-length.json', RicochetKeyError],
      ['ricochet-bad-key-prefix.json', RicochetKeyError],
      ['ricochet-bad-key-base64.json', RicochetKeyError],
      ['ricochet-no-identity.json', RicochetNoIdentityError],
      ['ricochet-empty-key.json', RicochetNoIdentityError],
    ];
    for (const [file, cls] of cases) {
      await expect(importRicochetFile(join(FIXTURES, file))).rejects.toBeInstanceOf(cls);
    }
  });

  it('refuses a key blob whose scalar is not clamped', () => {
    const key = Buffer.from(
      'aHBClTe3NlnoHYG0C8RaM82k8AM9B2Wid41dHp/PpVyOLjioXO6cypWkxpzYYhqH0iSWQ6wxxzWFduJGLrobBg==',
      'base64',
    );
    key[0] = (key[0] ?? 0) | 1;
    const text = JSON.stringify({
      identity: { privateKey: `ED25519-V3:${key.toString('base64')}` },
    });
    expect(() => parseRicochetSettings(text)).toThrow(RicochetKeyError);
  });

  it('ignores a users member that is not an object, with a warning', async () => {
    const result = await importRicochetFile(join(FIXTURES, 'ricochet-users-not-object.json'));
    expect(result.contacts).toEqual([]);
    expect(result.warnings).toHaveLength(1);
  });
});

describe('bounds and garbage', () => {
  it('refuses files over 1 MiB before reading them', async () => {
    const path = join(await tempDir(), 'ricochet.json');
    await writeFile(path, '');
    await truncate(path, MAX_RICOCHET_JSON_BYTES + 1); // sparse: nothing to read anyway
    await expect(importRicochetFile(path)).rejects.toBeInstanceOf(RicochetFileTooLargeError);
    expect(() => parseRicochetSettings(' '.repeat(MAX_RICOCHET_JSON_BYTES + 1))).toThrow(
      RicochetFileTooLargeError,
    );
  });

  it('refuses invalid JSON, non-objects and non-UTF-8', async () => {
    for (const text of ['', '{', 'null', '[]', '"x"', '{"identity": 5}']) {
      expect(() => parseRicochetSettings(text)).toThrow(RicochetImportError);
    }
    expect(() => parseRicochetSettings('{')).toThrow(RicochetJsonError);
    const path = join(await tempDir(), 'ricochet.json');
    await writeFile(path, Buffer.from([0x7b, 0xff, 0x7d]));
    await expect(importRicochetFile(path)).rejects.toBeInstanceOf(RicochetJsonError);
  });

  it('random input never throws anything but RicochetImportError (property)', () => {
    const check = (text: string): void => {
      try {
        parseRicochetSettings(text);
      } catch (error) {
        expect(error).toBeInstanceOf(RicochetImportError);
      }
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 500 });
    fc.assert(fc.property(fc.json(), check), { numRuns: 500 });
    const blob =
      'ED25519-V3:aHBClTe3NlnoHYG0C8RaM82k8AM9B2Wid41dHp/PpVyOLjioXO6cypWkxpzYYhqH0iSWQ6wxxzWFduJGLrobBg==';
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (users, key) => {
        check(JSON.stringify({ identity: { privateKey: blob }, users }));
        check(JSON.stringify({ identity: { privateKey: key } }));
      }),
      { numRuns: 500 },
    );
  });
});
