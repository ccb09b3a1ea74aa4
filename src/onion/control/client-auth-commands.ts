// v3 onion client authorization over the control port (torspec control-spec §3.27 ADD_ONION
// `ClientAuthV3=`, §3.30 ONION_CLIENT_AUTH_ADD, §3.31 ONION_CLIENT_AUTH_REMOVE, §3.32
// ONION_CLIENT_AUTH_VIEW; rend-spec-v3 appendix G). Key encodings as the specs say: the service
// side names a client by its x25519 PUBLIC key in base32 (52 characters, no padding, G.1.2); the
// client side hands tor its x25519 SECRET as `x25519:<base64>`. Secrets never go into an error.
import { base32Encode, SERVICE_ID_PATTERN } from '../../identity/service-id.js';
import type { ControlSendOptions, TorControlConnection } from './control-connection.js';
import { ControlArgumentError, MalformedControlFieldError } from './errors.js';
import { parseKeywordLine } from './quote.js';
import type { ControlReply } from './reply-parser.js';

/** Length of an x25519 key, public or secret. */
export const X25519_KEY_BYTES = 32;
/** A `ClientAuthV3=` value: base32 of 32 bytes, 52 characters, no padding. */
export const CLIENT_AUTH_V3_KEY_PATTERN = /^[A-Z2-7]{52}$/;
/** base64 of 32 bytes with its padding. */
const X25519_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
/** ClientName (tor: 1–16 of A-Za-z0-9+-_). */
const CLIENT_NAME = /^[A-Za-z0-9+_-]{1,16}$/;

function checkKeyBytes(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== X25519_KEY_BYTES) {
    throw new ControlArgumentError(`${what} must be ${X25519_KEY_BYTES} bytes`);
  }
}

function checkServiceId(serviceId: string): void {
  if (!SERVICE_ID_PATTERN.test(serviceId)) {
    throw new ControlArgumentError('invalid onion service id: not 56 lower-case base32 characters');
  }
}

/** The `ClientAuthV3=` value for a client's x25519 public key (rend-spec-v3 G.1.2, upper case). */
export function clientAuthV3Key(publicKey: Uint8Array): string {
  checkKeyBytes(publicKey, 'an x25519 public key');
  return base32Encode(publicKey).toUpperCase();
}

/** What tor did with ONION_CLIENT_AUTH_ADD: 250, 251 (replaced one), 252 (and decrypted a cached descriptor). */
export type ClientAuthAddResult = 'added' | 'replaced' | 'added-and-decrypted';

export interface ClientAuthAddOptions extends ControlSendOptions {
  /** Optional nickname tor shows in ONION_CLIENT_AUTH_VIEW. */
  readonly clientName?: string;
}

/**
 * ONION_CLIENT_AUTH_ADD (§3.30), in memory only (never `Flags=Permanent`: nothing reaches tor's
 * disk). The secret is encoded into the command line and nowhere else.
 */
export async function onionClientAuthAdd(
  conn: TorControlConnection,
  serviceId: string,
  x25519Secret: Uint8Array,
  options: ClientAuthAddOptions = {},
): Promise<ClientAuthAddResult> {
  checkServiceId(serviceId);
  checkKeyBytes(x25519Secret, 'an x25519 secret');
  const { clientName, ...sendOptions } = options;
  if (clientName !== undefined && !CLIENT_NAME.test(clientName)) {
    throw new ControlArgumentError('ClientName must be 1–16 of A-Za-z0-9+-_');
  }
  const name = clientName === undefined ? '' : ` ClientName=${clientName}`;
  const secret = Buffer.from(x25519Secret).toString('base64');
  const reply = await conn.send(
    `ONION_CLIENT_AUTH_ADD ${serviceId} x25519:${secret}${name}`,
    sendOptions,
  );
  if (reply.status === 251) return 'replaced';
  if (reply.status === 252) return 'added-and-decrypted';
  if (reply.status === 250) return 'added';
  throw new MalformedControlFieldError(`ONION_CLIENT_AUTH_ADD answered ${reply.status}`);
}

/** ONION_CLIENT_AUTH_REMOVE (§3.31): `removed`, or `not-held` (251: there was none). */
export async function onionClientAuthRemove(
  conn: TorControlConnection,
  serviceId: string,
  options: ControlSendOptions = {},
): Promise<'removed' | 'not-held'> {
  checkServiceId(serviceId);
  const reply = await conn.send(`ONION_CLIENT_AUTH_REMOVE ${serviceId}`, options);
  if (reply.status === 251) return 'not-held';
  if (reply.status === 250) return 'removed';
  throw new MalformedControlFieldError(`ONION_CLIENT_AUTH_REMOVE answered ${reply.status}`);
}

/** One credential tor holds, as ONION_CLIENT_AUTH_VIEW lists it, without its secret. */
export interface ClientAuthCredential {
  readonly serviceId: string;
  readonly clientName?: string;
  /** `Flags=Permanent`: tor keeps it on disk. Sotto never adds one. */
  readonly permanent: boolean;
}

/**
 * Reads an ONION_CLIENT_AUTH_VIEW reply (§3.32): `250-ONION_CLIENT_AUTH_VIEW [addr]`, then one
 * `250-CLIENT addr x25519:blob [ClientName=…] [Flags=…]` per credential, then `250 OK`. Every
 * line is checked; the secret blob is checked for shape and then dropped.
 */
export function parseClientAuthView(reply: ControlReply): ClientAuthCredential[] {
  const lines = reply.lines;
  const last = lines[lines.length - 1];
  if (reply.status !== 250 || last?.separator !== ' ' || last.text !== 'OK') {
    throw new MalformedControlFieldError('ONION_CLIENT_AUTH_VIEW reply does not end in 250 OK');
  }
  const head = lines[0];
  if (
    lines.length < 2 ||
    head?.separator !== '-' ||
    !/^ONION_CLIENT_AUTH_VIEW(?: [a-z2-7]{56})?$/.test(head.text)
  ) {
    throw new MalformedControlFieldError('ONION_CLIENT_AUTH_VIEW reply lacks its first line');
  }
  const credentials: ClientAuthCredential[] = [];
  for (const line of lines.slice(1, -1)) {
    if (line.separator !== '-') throw new MalformedControlFieldError('unexpected data line');
    const { positional, keywords } = parseKeywordLine(line.text);
    const [word, serviceId, key, ...extra] = positional;
    if (word !== 'CLIENT' || serviceId === undefined || !SERVICE_ID_PATTERN.test(serviceId)) {
      throw new MalformedControlFieldError('ONION_CLIENT_AUTH_VIEW line is not CLIENT <addr>');
    }
    if (key === undefined || !key.startsWith('x25519:') || !X25519_BASE64.test(key.slice(7))) {
      throw new MalformedControlFieldError('ONION_CLIENT_AUTH_VIEW key is not x25519:<base64>');
    }
    if (extra.length > 0) throw new MalformedControlFieldError('unexpected CLIENT field');
    const clientName = keywords.get('ClientName');
    const flags = keywords.get('Flags');
    credentials.push({
      serviceId,
      ...(clientName === undefined ? {} : { clientName }),
      permanent: flags?.split(',').includes('Permanent') ?? false,
    });
  }
  return credentials;
}

/** ONION_CLIENT_AUTH_VIEW (§3.32): the credentials our tor holds (for one onion, or all). */
export async function onionClientAuthView(
  conn: TorControlConnection,
  serviceId?: string,
  options: ControlSendOptions = {},
): Promise<ClientAuthCredential[]> {
  if (serviceId !== undefined) checkServiceId(serviceId);
  const command =
    serviceId === undefined ? 'ONION_CLIENT_AUTH_VIEW' : `ONION_CLIENT_AUTH_VIEW ${serviceId}`;
  return parseClientAuthView(await conn.send(command, options));
}
