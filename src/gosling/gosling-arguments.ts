// Strict readers for the argument and result documents of Gosling v0.1.0 calls ("Identity Server
// RPC API", "Endpoint Server RPC API"): every named field must be present with its exact BSON
// type (`binary` = generic subtype 0x00 of the stated length) and no other field may appear, since
// v0.1.0 defines these documents completely. Failures are HandshakeArgumentError.
import { Binary } from 'bson';
import { isValidServiceId } from '../identity/service-id.js';
import { HandshakeArgumentError } from './errors.js';
import { isDocument, type BsonDocument } from './honk-message.js';
import { isValidRequestName } from './client-proof.js';

/** Checks that `value` is a document with exactly `keys`; returns it. */
export function exactDocument(value: unknown, keys: readonly string[], what: string): BsonDocument {
  if (!isDocument(value)) throw new HandshakeArgumentError(`${what} must be a document`);
  const present = Object.keys(value);
  if (present.length !== keys.length || !keys.every((key) => Object.hasOwn(value, key))) {
    throw new HandshakeArgumentError(`${what} must hold exactly: ${keys.join(', ')}`);
  }
  return value;
}

export function readBinary(doc: BsonDocument, key: string, length: number): Uint8Array {
  const value = doc[key];
  if (
    !(value instanceof Binary) ||
    value.sub_type !== Binary.SUBTYPE_DEFAULT ||
    value.position !== length
  ) {
    throw new HandshakeArgumentError(`'${key}' must be a generic binary of ${length} bytes`);
  }
  return Uint8Array.from(value.buffer.subarray(0, length));
}

export function readString(doc: BsonDocument, key: string): string {
  const value = doc[key];
  if (typeof value !== 'string') throw new HandshakeArgumentError(`'${key}' must be a string`);
  return value;
}

export function readBoolean(doc: BsonDocument, key: string): boolean {
  const value = doc[key];
  if (typeof value !== 'boolean') throw new HandshakeArgumentError(`'${key}' must be a bool`);
  return value;
}

export function readServiceId(doc: BsonDocument, key: string): string {
  const value = readString(doc, key);
  if (!isValidServiceId(value)) throw new HandshakeArgumentError(`'${key}' is not a service id`);
  return value;
}

export function readRequestName(doc: BsonDocument, key: string): string {
  const value = readString(doc, key);
  if (!isValidRequestName(value)) {
    throw new HandshakeArgumentError(`'${key}' must be printable ASCII`);
  }
  return value;
}

/** Sotto defines no endpoint challenge: the document must be empty. */
export function readEmptyDocument(doc: BsonDocument, key: string): void {
  exactDocument(doc[key], [], `'${key}'`);
}
