// The plaintext inside the vault: a versioned plain object (version 1) and a strict hand-written
// validator for it. Every field is type-checked, unknown keys are refused, and every string and
// list is bounded by the one set of limits (src/schema/limits.ts, the models' own), so a damaged or
// hostile state fails with VaultStateError and nothing else, and what validates, the models hold.
// The identity secrets are bytes (Uint8Array) in memory, so they can be zeroed; the JSON form
// (base64 text) exists only at the sealing edge (vault-state-json.ts). The primitive checks are in
// vault-state-checks.ts, the contact and endpoint records in vault-state-contacts.ts.

import { NetworkSettingsError, type NetworkSettings } from '../onion/network-settings.js';
import { networkSettingsFromJson } from '../onion/network-settings-json.js';
import { LIMITS } from '../schema/limits.js';
import { contact, wipeContactSecrets, type ContactRecord } from './vault-state-contacts.js';
import {
  bool,
  fail,
  integer,
  list,
  object,
  oneOf,
  optional,
  optionalField,
  recordMap,
  secretBytes,
  serviceId,
  text,
  time,
  uniqueIds,
  type ServiceIdText,
} from './vault-state-checks.js';

export { VaultStateError, secretBytes, type ServiceIdText } from './vault-state-checks.js';
export {
  wipeContactSecrets,
  wipeEndpoint,
  type ContactRecord,
  type EndpointRecord,
} from './vault-state-contacts.js';

export const VAULT_STATE_VERSION = 1;

/** The identity secrets, as bytes the vault owns and zeroes on close (base64 only in the JSON). */
export interface IdentityRecord {
  /** The 32-byte Ed25519 seed, when Sotto generated the key. */
  readonly seed?: Uint8Array;
  /** The 64-byte expanded secret key (tor's ED25519-V3 blob). */
  readonly expandedKey: Uint8Array;
}

export interface IncomingRequestRecord {
  readonly serviceId: ServiceIdText;
  readonly nickname: string;
  readonly message: string;
  readonly receivedAt: number;
}

export type OutgoingRequestState = 'pending' | 'rejected' | 'failed';

export interface OutgoingRequestRecord {
  readonly serviceId: ServiceIdText;
  readonly nickname: string;
  readonly message: string;
  readonly createdAt: number;
  readonly state: OutgoingRequestState;
  /** How a `rejected` request was refused (older vaults: absent, inferred from lastError). */
  readonly rejection?: RejectionKindRecord;
  readonly lastAttemptAt?: number;
  readonly lastError?: string;
}

/** `explicit`: the peer answered Rejected; `closed-while-pending`: it closed before answering. */
export type RejectionKindRecord = 'explicit' | 'closed-while-pending';

export interface BlockedRecord {
  readonly serviceId: ServiceIdText;
  readonly nickname?: string;
  readonly blockedAt: number;
}

export interface RejectedRecord {
  readonly serviceId: ServiceIdText;
  readonly rejectedAt: number;
}

export interface QueuedMessageRecord {
  readonly localId: number;
  readonly text: string;
  readonly at: number;
  /** Wire message_id of a message already sent once (re-sent with the same id; messenger core). */
  readonly wireId?: number;
  /** Delivery state (older vaults: absent; `sent` if it has a wireId, else `queued`). A `failed`
   * message waits for the user's retry and is never re-sent on its own after a restart. */
  readonly state?: QueuedMessageState;
  /** Why a `failed` message failed: the peer refused it, or it ran out of attempts. */
  readonly failReason?: 'refused' | 'attempts';
}

export type QueuedMessageState = 'queued' | 'sent' | 'failed';

export type HistoryDeliveryState = 'queued' | 'sent' | 'delivered' | 'failed';

export interface HistoryMessageRecord {
  readonly id: number;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly at: number;
  readonly timeDelta: number;
  readonly state: HistoryDeliveryState;
}

export type BridgeType = 'none' | 'obfs4' | 'snowflake' | 'meek' | 'custom';

export interface BridgeSettings {
  readonly type: BridgeType;
  readonly lines: readonly string[];
}

/** Whether our identity onion is published: always, until a time (ms), or not at all (dark). */
export type IdentityOnlineRecord = 'always' | 'dark' | { readonly until: number };

export interface SettingsRecord {
  readonly historyDefault: boolean;
  readonly blockUnknown: boolean;
  /** The nickname our contact requests carry; absent: none (the default, nothing identifying). */
  readonly ownNickname?: string;
  readonly bridges?: BridgeSettings;
  /** How the launched tor reaches the network (src/onion/network-settings.ts); absent: direct. */
  readonly network?: NetworkSettings;
  /** The dark identity onion (src/core/identity-onion.ts); absent: 'always'. */
  readonly identityOnline?: IdentityOnlineRecord;
}

export interface VaultState {
  readonly version: 1;
  readonly identity: IdentityRecord;
  readonly contacts: readonly ContactRecord[];
  readonly incomingRequests: readonly IncomingRequestRecord[];
  readonly outgoingRequests: readonly OutgoingRequestRecord[];
  readonly blocked: readonly BlockedRecord[];
  readonly rejected: readonly RejectedRecord[];
  /** Messages composed while the contact was offline, keyed by service id. */
  readonly queues: Readonly<Record<ServiceIdText, readonly QueuedMessageRecord[]>>;
  /**
   * Saved history (only for contacts with history enabled), keyed by service id. It is not sealed
   * in the vault: each conversation has its own log (history-logs.ts). openVault fills it from the
   * logs and createVault writes it to new logs; save() ignores it (history is persisted change by
   * change through `vault.history(id)`), and the vault drops its loaded copy on the first save.
   */
  readonly history: Readonly<Record<ServiceIdText, readonly HistoryMessageRecord[]>>;
  readonly settings: SettingsRecord;
  /**
   * How much of the send-queue journal (src/profile/queue-journal.ts) this state holds: the
   * journal file generation and the count of its records folded in. Absent: none.
   */
  readonly queueJournal?: QueueJournalMarkRecord;
}

/** The fold watermark of the send-queue journal a saved state holds (queue-journal.ts). */
export interface QueueJournalMarkRecord {
  /** The journal file generation the state was taken against (JOURNAL_GENERATION_PATTERN). */
  readonly generation: string;
  /** How many entries of that generation the state holds (the first `folded` of them). */
  readonly folded: number;
}

/** A send-queue journal file generation: 32 lower-case hex characters. */
export const JOURNAL_GENERATION_PATTERN = /^[0-9a-f]{32}$/;

export function emptyVaultState(identity: IdentityRecord): VaultState {
  return {
    version: 1,
    identity,
    contacts: [],
    incomingRequests: [],
    outgoingRequests: [],
    blocked: [],
    rejected: [],
    queues: {},
    history: {},
    settings: { historyDefault: false, blockUnknown: false },
  };
}

// ---- records ----------------------------------------------------------------------------------

function identity(value: unknown, path: string): IdentityRecord {
  const o = object(value, path, ['expandedKey'], ['seed']);
  const expandedKey = secretBytes(o['expandedKey'], `${path}.expandedKey`, 64);
  let seed: Uint8Array | undefined;
  try {
    seed = optional(o, 'seed', (v) => secretBytes(v, `${path}.seed`, 32));
  } catch (error) {
    expandedKey.fill(0);
    throw error;
  }
  return seed === undefined ? { expandedKey } : { seed, expandedKey };
}

function incoming(value: unknown, path: string): IncomingRequestRecord {
  const o = object(value, path, ['serviceId', 'nickname', 'message', 'receivedAt']);
  return {
    serviceId: serviceId(o['serviceId'], `${path}.serviceId`),
    nickname: text(o['nickname'], `${path}.nickname`, LIMITS.storedNickname),
    message: text(o['message'], `${path}.message`, LIMITS.requestMessage),
    receivedAt: time(o['receivedAt'], `${path}.receivedAt`),
  };
}

const OUTGOING_STATES = ['pending', 'rejected', 'failed'] as const;
const REJECTION_KINDS = ['explicit', 'closed-while-pending'] as const;

function outgoing(value: unknown, path: string): OutgoingRequestRecord {
  const o = object(
    value,
    path,
    ['serviceId', 'nickname', 'message', 'createdAt', 'state'],
    ['rejection', 'lastAttemptAt', 'lastError'],
  );
  const state = oneOf(o['state'], `${path}.state`, OUTGOING_STATES);
  const rejection = optional(o, 'rejection', (v) => oneOf(v, `${path}.rejection`, REJECTION_KINDS));
  if (rejection !== undefined && state !== 'rejected') {
    fail(`${path}.rejection`, 'only a rejected request has a rejection kind');
  }
  const lastAttemptAt = optional(o, 'lastAttemptAt', (v) => time(v, `${path}.lastAttemptAt`));
  const lastError = optional(o, 'lastError', (v) => text(v, `${path}.lastError`, LIMITS.errorText));
  return {
    serviceId: serviceId(o['serviceId'], `${path}.serviceId`),
    nickname: text(o['nickname'], `${path}.nickname`, LIMITS.storedNickname),
    message: text(o['message'], `${path}.message`, LIMITS.requestMessage),
    createdAt: time(o['createdAt'], `${path}.createdAt`),
    state,
    ...(rejection === undefined ? {} : { rejection }),
    ...(lastAttemptAt === undefined ? {} : { lastAttemptAt }),
    ...(lastError === undefined ? {} : { lastError }),
  };
}

function blockedEntry(value: unknown, path: string): BlockedRecord {
  const o = object(value, path, ['serviceId', 'blockedAt'], ['nickname']);
  const nickname = optional(o, 'nickname', (v) =>
    text(v, `${path}.nickname`, LIMITS.storedNickname),
  );
  return {
    serviceId: serviceId(o['serviceId'], `${path}.serviceId`),
    blockedAt: time(o['blockedAt'], `${path}.blockedAt`),
    ...(nickname === undefined ? {} : { nickname }),
  };
}

function rejectedEntry(value: unknown, path: string): RejectedRecord {
  const o = object(value, path, ['serviceId', 'rejectedAt']);
  return {
    serviceId: serviceId(o['serviceId'], `${path}.serviceId`),
    rejectedAt: time(o['rejectedAt'], `${path}.rejectedAt`),
  };
}

const QUEUED_STATES = ['queued', 'sent', 'failed'] as const;
const FAIL_REASONS = ['refused', 'attempts'] as const;

function queued(value: unknown, path: string): QueuedMessageRecord {
  const o = object(value, path, ['localId', 'text', 'at'], ['wireId', 'state', 'failReason']);
  const wireId = optional(o, 'wireId', (v) => integer(v, `${path}.wireId`, 1, 0xffff_ffff));
  const state = optional(o, 'state', (v) => oneOf(v, `${path}.state`, QUEUED_STATES));
  const failReason = optional(o, 'failReason', (v) => oneOf(v, `${path}.failReason`, FAIL_REASONS));
  if (failReason !== undefined && state !== 'failed') {
    fail(`${path}.failReason`, 'only a failed message has a fail reason');
  }
  return {
    localId: integer(o['localId'], `${path}.localId`, 0, Number.MAX_SAFE_INTEGER),
    text: text(o['text'], `${path}.text`, LIMITS.messageText),
    at: time(o['at'], `${path}.at`),
    ...(wireId === undefined ? {} : { wireId }),
    ...(state === undefined ? {} : { state }),
    ...(failReason === undefined ? {} : { failReason }),
  };
}

const DELIVERY = ['queued', 'sent', 'delivered', 'failed'] as const;
const DIRECTIONS = ['in', 'out'] as const;

export function historyMessage(value: unknown, path: string): HistoryMessageRecord {
  const o = object(value, path, ['id', 'direction', 'text', 'at', 'timeDelta', 'state']);
  return {
    id: integer(o['id'], `${path}.id`, 0, 0xffff_ffff),
    direction: oneOf(o['direction'], `${path}.direction`, DIRECTIONS),
    text: text(o['text'], `${path}.text`, LIMITS.messageText),
    at: time(o['at'], `${path}.at`),
    timeDelta: integer(o['timeDelta'], `${path}.timeDelta`, -0x7fff_ffff, 0),
    state: oneOf(o['state'], `${path}.state`, DELIVERY),
  };
}

const BRIDGE_TYPES = ['none', 'obfs4', 'snowflake', 'meek', 'custom'] as const;

function settings(value: unknown, path: string): SettingsRecord {
  const o = object(
    value,
    path,
    ['historyDefault', 'blockUnknown'],
    ['bridges', 'network', 'ownNickname', 'identityOnline'],
  );
  const identityOnline = optional(o, 'identityOnline', (v): IdentityOnlineRecord => {
    if (v === 'always' || v === 'dark') return v;
    const w = object(v, `${path}.identityOnline`, ['until']);
    return { until: time(w['until'], `${path}.identityOnline.until`) };
  });
  const ownNickname = optional(o, 'ownNickname', (v) =>
    text(v, `${path}.ownNickname`, LIMITS.nickname),
  );
  const network = optional(o, 'network', (v) => {
    try {
      return networkSettingsFromJson(v);
    } catch (error) {
      if (!(error instanceof NetworkSettingsError)) throw error;
      return fail(`${path}.network${error.field === '' ? '' : `.${error.field}`}`, error.message);
    }
  });
  const bridges = optional(o, 'bridges', (v): BridgeSettings => {
    const b = object(v, `${path}.bridges`, ['type', 'lines']);
    return {
      type: oneOf(b['type'], `${path}.bridges.type`, BRIDGE_TYPES),
      lines: list(b['lines'], `${path}.bridges.lines`, LIMITS.bridgeLines).map((l, i) =>
        text(l, `${path}.bridges.lines[${i}]`, LIMITS.bridgeLine),
      ),
    };
  });
  return {
    historyDefault: bool(o['historyDefault'], `${path}.historyDefault`),
    blockUnknown: bool(o['blockUnknown'], `${path}.blockUnknown`),
    ...(ownNickname === undefined ? {} : { ownNickname }),
    ...(bridges === undefined ? {} : { bridges }),
    ...(network === undefined ? {} : { network }),
    ...(identityOnline === undefined ? {} : { identityOnline }),
  };
}

function queueJournalMark(value: unknown, path: string): QueueJournalMarkRecord {
  const o = object(value, path, ['generation', 'folded']);
  const generation = text(o['generation'], `${path}.generation`, 32);
  if (!JOURNAL_GENERATION_PATTERN.test(generation))
    fail(`${path}.generation`, 'expected 32 hex characters');
  return { generation, folded: integer(o['folded'], `${path}.folded`, 0, Number.MAX_SAFE_INTEGER) };
}

const TOP_LEVEL = [
  'version',
  'identity',
  'contacts',
  'incomingRequests',
  'outgoingRequests',
  'blocked',
  'rejected',
  'queues',
  'history',
  'settings',
];

/** Zeroes the identity secrets (the vault calls this on close). */
export function wipeIdentity(identity: IdentityRecord): void {
  identity.expandedKey.fill(0);
  identity.seed?.fill(0);
}

/**
 * Validate a state (in memory: identity as bytes; parsed JSON: identity as base64) and return a
 * fresh, clean copy (unknown keys refused, not dropped) whose identity bytes are new copies; with
 * `ownIdentity`, that record is used as it is and the value's identity is not read. Throws only
 * {@link VaultStateError}.
 */
export function validateVaultState(value: unknown, ownIdentity?: IdentityRecord): VaultState {
  const o = object(value, 'state', TOP_LEVEL, ['queueJournal']);
  if (o['version'] !== VAULT_STATE_VERSION) fail('state.version', 'unsupported state version');
  const each = <T>(key: string, max: number, check: (v: unknown, p: string) => T): T[] =>
    list(o[key], `state.${key}`, max).map((v, i) => check(v, `state.${key}[${i}]`));
  // Contacts may carry endpoint secrets: every copy made is wiped if anything later fails.
  const contacts: ContactRecord[] = [];
  try {
    for (const [i, v] of list(o['contacts'], 'state.contacts', LIMITS.contacts).entries()) {
      contacts.push(contact(v, `state.contacts[${i}]`));
    }
    return withRest(contacts);
  } catch (error) {
    wipeContactSecrets({ contacts });
    throw error;
  }

  function withRest(contacts: ContactRecord[]): VaultState {
    uniqueIds(contacts, 'state.contacts');
    const outgoingRequests = each('outgoingRequests', LIMITS.contacts, outgoing);
    // The contact book holds contacts and outgoing requests together.
    if (contacts.length + outgoingRequests.length > LIMITS.contacts) {
      fail('state.outgoingRequests', `more than ${LIMITS.contacts} contacts and requests together`);
    }
    const history = recordMap(o['history'], 'state.history', (v, p) =>
      list(v, p, LIMITS.historyPerContact).map((e, i) => historyMessage(e, `${p}[${i}]`)),
    );
    const state: Omit<VaultState, 'identity'> = {
      version: 1,
      contacts,
      incomingRequests: each('incomingRequests', LIMITS.incomingRequests, incoming),
      outgoingRequests,
      blocked: each('blocked', LIMITS.blocked, blockedEntry),
      rejected: each('rejected', LIMITS.rejected, rejectedEntry),
      queues: recordMap(o['queues'], 'state.queues', (v, p) =>
        list(v, p, LIMITS.queuePerContact).map((e, i) => queued(e, `${p}[${i}]`)),
      ),
      history,
      settings: settings(o['settings'], 'state.settings'),
      ...optionalField(o, 'queueJournal', (v) => queueJournalMark(v, 'state.queueJournal')),
    };
    // Last, so that no copy of the secrets is left behind when another field fails.
    return { ...state, identity: ownIdentity ?? identity(o['identity'], 'state.identity') };
  }
}
