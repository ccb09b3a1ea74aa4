// The contact records of the vault state (vault-state.ts) and their validation: a contact and the
// endpoint onions two Sotto contacts negotiated (docs/ENDPOINTS.md §2, docs/SEAMS.md §2), whose
// secrets are bytes the vault zeroes on close and erases with the contact.

import { LIMITS } from '../schema/limits.js';
import {
  bool,
  fail,
  object,
  oneOf,
  optional,
  secretBytes,
  serviceId,
  text,
  time,
  type ServiceIdText,
} from './vault-state-checks.js';

export interface ContactRecord {
  readonly serviceId: ServiceIdText;
  readonly nickname: string;
  readonly addedAt: number;
  readonly historyEnabled: boolean;
  readonly lastConnectedAt?: number;
  readonly origin?: 'request-sent' | 'request-accepted' | 'imported-ricochet';
  /** The contact's endpoint onions (docs/ENDPOINTS.md §2, docs/SEAMS.md §2); absent: identity. */
  readonly endpoint?: EndpointRecord;
}

/**
 * What two Sotto contacts negotiated (docs/ENDPOINTS.md §2). Each half is present or absent as a
 * whole: the onion we host for the contact (its key, and the contact's client-authorization
 * key), and the onion the contact hosts for us (its service id, and our client-authorization
 * secret for its descriptor). The secrets are bytes, zeroed on close and erased with the contact.
 */
export interface EndpointRecord {
  /** Expanded ed25519 key (64 bytes) of the onion we host for this contact. */
  readonly ourEndpointKey?: Uint8Array;
  /** The contact's x25519 public key (32 bytes): it alone may read our endpoint's descriptor. */
  readonly peerClientAuthKey?: Uint8Array;
  /** The onion the contact hosts for us. */
  readonly peerEndpointServiceId?: ServiceIdText;
  /** Our x25519 secret (32 bytes) that decrypts the contact's endpoint descriptor. */
  readonly ourClientAuthSecret?: Uint8Array;
  /** When either half last changed (ms). */
  readonly negotiatedAt: number;
}

const ORIGINS = ['request-sent', 'request-accepted', 'imported-ricochet'] as const;

function endpointGroup(value: unknown, path: string): EndpointRecord {
  const o = object(
    value,
    path,
    ['negotiatedAt'],
    ['ourEndpointKey', 'peerClientAuthKey', 'peerEndpointServiceId', 'ourClientAuthSecret'],
  );
  const pair = (a: string, b: string): void => {
    if (Object.hasOwn(o, a) !== Object.hasOwn(o, b)) fail(`${path}.${b}`, `goes with ${a}`);
  };
  pair('ourEndpointKey', 'peerClientAuthKey');
  pair('peerEndpointServiceId', 'ourClientAuthSecret');
  const negotiatedAt = time(o['negotiatedAt'], `${path}.negotiatedAt`);
  const peerEndpointServiceId = optional(o, 'peerEndpointServiceId', (v) =>
    serviceId(v, `${path}.peerEndpointServiceId`),
  );
  // The secrets last, each wiped again if a later one fails.
  const copies: Uint8Array[] = [];
  try {
    const bytes = (key: string, length: number): Uint8Array | undefined =>
      optional(o, key, (v) => {
        const copy = secretBytes(v, `${path}.${key}`, length);
        copies.push(copy);
        return copy;
      });
    const ourEndpointKey = bytes('ourEndpointKey', 64);
    const peerClientAuthKey = bytes('peerClientAuthKey', 32);
    const ourClientAuthSecret = bytes('ourClientAuthSecret', 32);
    return {
      ...(ourEndpointKey && peerClientAuthKey ? { ourEndpointKey, peerClientAuthKey } : {}),
      ...(peerEndpointServiceId !== undefined && ourClientAuthSecret
        ? { peerEndpointServiceId, ourClientAuthSecret }
        : {}),
      negotiatedAt,
    };
  } catch (error) {
    for (const copy of copies) copy.fill(0);
    throw error;
  }
}

/** Zeroes the secret bytes of an endpoint group. */
export function wipeEndpoint(endpoint: EndpointRecord | undefined): void {
  endpoint?.ourEndpointKey?.fill(0);
  endpoint?.peerClientAuthKey?.fill(0);
  endpoint?.ourClientAuthSecret?.fill(0);
}

export function contact(value: unknown, path: string): ContactRecord {
  const o = object(
    value,
    path,
    ['serviceId', 'nickname', 'addedAt', 'historyEnabled'],
    ['lastConnectedAt', 'origin', 'endpoint'],
  );
  const lastConnectedAt = optional(o, 'lastConnectedAt', (v) => time(v, `${path}.lastConnectedAt`));
  const origin = optional(o, 'origin', (v) => oneOf(v, `${path}.origin`, ORIGINS));
  const record = {
    serviceId: serviceId(o['serviceId'], `${path}.serviceId`),
    nickname: text(o['nickname'], `${path}.nickname`, LIMITS.storedNickname),
    addedAt: time(o['addedAt'], `${path}.addedAt`),
    historyEnabled: bool(o['historyEnabled'], `${path}.historyEnabled`),
    ...(lastConnectedAt === undefined ? {} : { lastConnectedAt }),
    ...(origin === undefined ? {} : { origin }),
  };
  const endpoint = optional(o, 'endpoint', (v) => endpointGroup(v, `${path}.endpoint`));
  return endpoint === undefined ? record : { ...record, endpoint };
}

/** Zeroes every secret of a state but the identity: the contacts' endpoint keys. */
export function wipeContactSecrets(state: { readonly contacts: readonly ContactRecord[] }): void {
  for (const c of state.contacts) wipeEndpoint(c.endpoint);
}
