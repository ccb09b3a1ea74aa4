import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/schema/limits.js';
import {
  VaultStateError,
  emptyVaultState,
  validateVaultState,
  type VaultState,
} from '../../src/profile/vault-state.js';
import { encodeLegacyVaultState } from '../../src/profile/vault-state-json.js';
import { ALICE, BOB, sampleState } from './helpers.js';

function expectInvalid(value: unknown, path: string): void {
  let error: unknown;
  try {
    validateVaultState(value);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(VaultStateError);
  expect((error as VaultStateError).path).toBe(path);
}

/** The state as the sealed JSON holds it (identity as base64), parsed. */
const jsonOf = (state: VaultState): Record<string, unknown> =>
  JSON.parse(new TextDecoder().decode(encodeLegacyVaultState(state))) as Record<string, unknown>;

const clone = (): Record<string, unknown> => jsonOf(sampleState());

describe('validateVaultState', () => {
  it('accepts a full state and returns an equal copy', () => {
    const state: VaultState = {
      ...sampleState(),
      incomingRequests: [{ serviceId: BOB, nickname: 'b', message: 'hi', receivedAt: 5 }],
      blocked: [{ serviceId: BOB, blockedAt: 1, nickname: 'x' }],
      rejected: [{ serviceId: ALICE, rejectedAt: 2 }],
      settings: {
        historyDefault: true,
        blockUnknown: true,
        identityOnline: { until: 1_796_433_600_000 },
        bridges: { type: 'obfs4', lines: ['a'] },
      },
    };
    const parsed = jsonOf(state);
    expect(validateVaultState(parsed)).toEqual(state);
    expect(validateVaultState(parsed)).not.toBe(parsed);
  });

  it('accepts the empty state', () => {
    const state = emptyVaultState({ expandedKey: new Uint8Array(64) });
    expect(validateVaultState(jsonOf(state))).toEqual(state);
  });

  it('names the offending field', () => {
    const cases: [(s: Record<string, unknown>) => void, string][] = [
      [(s) => (s['version'] = 2), 'state.version'],
      [(s) => (s['extra'] = 1), 'state.extra'],
      [(s) => delete s['settings'], 'state.settings'],
      [(s) => (s['identity'] = { expandedKey: 'AAAA' }), 'state.identity.expandedKey'],
      [(s) => (s['identity'] = { expandedKey: '!'.repeat(88) }), 'state.identity.expandedKey'],
      [
        (s) =>
          (s['contacts'] = [{ serviceId: 'x', nickname: 'a', addedAt: 1, historyEnabled: true }]),
        'state.contacts[0].serviceId',
      ],
      [
        (s) =>
          (s['contacts'] = [
            {
              serviceId: ALICE,
              nickname: 'n'.repeat(LIMITS.storedNickname + 1),
              addedAt: 1,
              historyEnabled: true,
            },
          ]),
        'state.contacts[0].nickname',
      ],
      [
        (s) =>
          (s['contacts'] = [
            { serviceId: ALICE, nickname: 'a', addedAt: 1, historyEnabled: true },
            { serviceId: ALICE, nickname: 'b', addedAt: 1, historyEnabled: true },
          ]),
        'state.contacts[1].serviceId',
      ],
      [
        (s) =>
          (s['contacts'] = [
            { serviceId: ALICE, nickname: 'a', addedAt: 1.5, historyEnabled: true },
          ]),
        'state.contacts[0].addedAt',
      ],
      [(s) => (s['history'] = { nope: [] }), 'state.history key'],
      [
        (s) => (s['history'] = { [ALICE]: [{ id: 1 }] }),
        'state.history.' + ALICE + '[0].direction',
      ],
      [(s) => (s['queues'] = []), 'state.queues'],
      [
        (s) => (s['queues'] = { [ALICE]: [{ localId: 1, text: 't', at: 1, state: 'lost' }] }),
        'state.queues.' + ALICE + '[0].state',
      ],
      [
        (s) =>
          (s['queues'] = {
            [ALICE]: [{ localId: 1, text: 't', at: 1, state: 'sent', failReason: 'refused' }],
          }),
        'state.queues.' + ALICE + '[0].failReason',
      ],
      [
        (s) => (s['settings'] = { historyDefault: 1, blockUnknown: false }),
        'state.settings.historyDefault',
      ],
      [
        (s) => (s['settings'] = { historyDefault: true, blockUnknown: false, ownNickname: 7 }),
        'state.settings.ownNickname',
      ],
      [
        (s) =>
          (s['settings'] = { historyDefault: true, blockUnknown: false, identityOnline: 'off' }),
        'state.settings.identityOnline',
      ],
      [
        (s) =>
          (s['settings'] = {
            historyDefault: true,
            blockUnknown: false,
            identityOnline: { until: -1 },
          }),
        'state.settings.identityOnline.until',
      ],
      [
        (s) =>
          (s['settings'] = {
            historyDefault: true,
            blockUnknown: false,
            identityOnline: { until: 5, from: 1 },
          }),
        'state.settings.identityOnline.from',
      ],
      [
        (s) =>
          (s['settings'] = {
            historyDefault: true,
            blockUnknown: false,
            bridges: { type: 'x', lines: [] },
          }),
        'state.settings.bridges.type',
      ],
      [
        (s) =>
          (s['outgoingRequests'] = [
            { serviceId: BOB, nickname: 'b', message: 'm', createdAt: 1, state: 'odd' },
          ]),
        'state.outgoingRequests[0].state',
      ],
      [
        (s) =>
          (s['outgoingRequests'] = [
            {
              serviceId: BOB,
              nickname: 'b',
              message: 'm',
              createdAt: 1,
              state: 'rejected',
              rejection: 'x',
            },
          ]),
        'state.outgoingRequests[0].rejection',
      ],
      [
        (s) =>
          (s['outgoingRequests'] = [
            {
              serviceId: BOB,
              nickname: 'b',
              message: 'm',
              createdAt: 1,
              state: 'pending',
              rejection: 'explicit',
            },
          ]),
        'state.outgoingRequests[0].rejection',
      ],
      [(s) => (s['blocked'] = 'x'), 'state.blocked'],
      [(s) => (s['contacts'] = Array.from({ length: LIMITS.contacts + 1 })), 'state.contacts'],
    ];
    for (const [mutate, path] of cases) {
      const s = clone();
      mutate(s);
      expectInvalid(s, path);
    }
  });

  it('does not mistake inherited properties for fields', () => {
    const s = clone();
    const settings = Object.create({ historyDefault: true, blockUnknown: true }) as object;
    s['settings'] = settings;
    expectInvalid(s, 'state.settings.historyDefault');
    expectInvalid(JSON.parse('{"__proto__": {"version": 1}}'), 'state.__proto__');
  });

  it('random JSON never throws anything but VaultStateError (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateVaultState(value);
        } catch (error) {
          expect(error).toBeInstanceOf(VaultStateError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random mutations of a valid state never throw anything but VaultStateError (property)', () => {
    const keys = Object.keys(sampleState());
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (key, value) => {
        const s = clone();
        s[key] = value;
        try {
          validateVaultState(s);
        } catch (error) {
          expect(error).toBeInstanceOf(VaultStateError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
