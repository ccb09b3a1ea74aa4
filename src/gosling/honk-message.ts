// Honk-RPC v0.1.0 messages ("Messages", "Sections"): the typed shapes, their strict validation from
// a decoded BSON 1.1 document, and their encoding with the `bson` package. Per the spec, fields a
// section does not define are ignored; every defined field must have its exact BSON type (int32,
// int64, string, document), and a message must hold a non-empty array of section documents.
import { Binary, Int32, Long, serialize } from 'bson';
import {
  MessageParseError,
  MessageTooBigError,
  MessageVersionError,
  ResponseStateError,
  SectionIdUnknownError,
  SectionParseError,
} from './errors.js';

/** Honk-RPC 0.1.0 as the spec encodes it: (major << 16) | (minor << 8) | patch. */
export const HONK_RPC_VERSION = (0 << 16) | (1 << 8) | 0;
/** The spec's default maximum message size, in bytes (the BSON document, prefix included). */
export const MAX_MESSAGE_SIZE = 4096;

/** A BSON document as `bson` decodes it with promotion off (Int32, Long, Binary wrappers). */
export type BsonDocument = { [key: string]: unknown };

export interface RequestSection {
  readonly kind: 'request';
  readonly cookie?: bigint;
  readonly namespace: string;
  readonly function: string;
  readonly version: number;
  readonly arguments: BsonDocument;
}

export interface ResponseSection {
  readonly kind: 'response';
  readonly cookie: bigint;
  readonly state: 'pending' | 'complete';
  readonly result?: unknown;
}

export interface ErrorSection {
  readonly kind: 'error';
  readonly cookie?: bigint;
  readonly code: number;
  readonly message?: string;
}

export type Section = RequestSection | ResponseSection | ErrorSection;

export interface HonkMessage {
  readonly sections: readonly Section[];
}

const SECTION_ERROR = 0;
const SECTION_REQUEST = 1;
const SECTION_RESPONSE = 2;
const STATE_PENDING = 0;
const STATE_COMPLETE = 1;

/** True for a plain BSON sub-document (not an array, not a BSON value wrapper such as Binary). */
export function isDocument(value: unknown): value is BsonDocument {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

function field(doc: BsonDocument, key: string): unknown {
  return Object.hasOwn(doc, key) ? doc[key] : undefined;
}

function int32Field(doc: BsonDocument, key: string, required: boolean): number | undefined {
  const value = field(doc, key);
  if (value === undefined && !required) return undefined;
  if (!(value instanceof Int32)) throw new SectionParseError(`'${key}' must be an int32`);
  return value.value;
}

function int64Field(doc: BsonDocument, key: string, required: boolean): bigint | undefined {
  const value = field(doc, key);
  if (value === undefined && !required) return undefined;
  if (!(value instanceof Long)) throw new SectionParseError(`'${key}' must be an int64`);
  return value.toBigInt();
}

function stringField(doc: BsonDocument, key: string): string | undefined {
  const value = field(doc, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new SectionParseError(`'${key}' must be a string`);
  return value;
}

function parseSection(value: unknown): Section {
  if (!isDocument(value)) throw new SectionParseError('a section must be a document');
  const id = int32Field(value, 'id', true);
  const cookie = int64Field(value, 'cookie', id === SECTION_RESPONSE);
  switch (id) {
    case SECTION_ERROR: {
      const code = int32Field(value, 'code', true) as number;
      const message = stringField(value, 'message');
      return {
        kind: 'error',
        code,
        ...(cookie === undefined ? {} : { cookie }),
        ...(message === undefined ? {} : { message }),
      };
    }
    case SECTION_REQUEST: {
      const fn = stringField(value, 'function');
      if (fn === undefined || fn === '') {
        throw new SectionParseError("a request needs a non-empty 'function'");
      }
      const args = field(value, 'arguments');
      if (args !== undefined && !isDocument(args)) {
        throw new SectionParseError("'arguments' must be a document");
      }
      return {
        kind: 'request',
        ...(cookie === undefined ? {} : { cookie }),
        namespace: stringField(value, 'namespace') ?? '',
        function: fn,
        version: int32Field(value, 'version', false) ?? 0,
        arguments: args ?? {},
      };
    }
    case SECTION_RESPONSE: {
      const state = field(value, 'state');
      if (!(state instanceof Int32)) throw new SectionParseError("'state' must be an int32");
      const result = field(value, 'result');
      if (state.value === STATE_PENDING && result === undefined) {
        return { kind: 'response', cookie: cookie as bigint, state: 'pending' };
      }
      if (state.value === STATE_COMPLETE) {
        return {
          kind: 'response',
          cookie: cookie as bigint,
          state: 'complete',
          ...(result === undefined ? {} : { result }),
        };
      }
      throw new ResponseStateError('a response state must be pending (no result) or complete');
    }
    default:
      throw new SectionIdUnknownError(`unknown section id ${String(id)}`);
  }
}

/** Validates a decoded BSON document as a Honk-RPC message; throws a typed GoslingError. */
export function parseHonkMessage(doc: BsonDocument): HonkMessage {
  const version = field(doc, 'honk_rpc');
  if (!(version instanceof Int32)) throw new MessageParseError("'honk_rpc' must be an int32");
  const major = (version.value >> 16) & 0xff;
  const minor = (version.value >> 8) & 0xff;
  if ((version.value & ~0xffffff) !== 0 || major !== 0 || minor !== 1) {
    throw new MessageVersionError(`Honk-RPC version ${String(version.value)} is not 0.1.x`);
  }
  const sections = field(doc, 'sections');
  if (!Array.isArray(sections) || sections.length === 0) {
    throw new MessageParseError("'sections' must be a non-empty array");
  }
  return { sections: sections.map(parseSection) };
}

function sectionToBson(section: Section): BsonDocument {
  const cookie = section.cookie === undefined ? {} : { cookie: Long.fromBigInt(section.cookie) };
  switch (section.kind) {
    case 'error':
      return {
        id: new Int32(SECTION_ERROR),
        ...cookie,
        code: new Int32(section.code),
        ...(section.message === undefined ? {} : { message: section.message }),
      };
    case 'request':
      return {
        id: new Int32(SECTION_REQUEST),
        ...cookie,
        namespace: section.namespace,
        function: section.function,
        version: new Int32(section.version),
        arguments: section.arguments,
      };
    case 'response':
      return {
        id: new Int32(SECTION_RESPONSE),
        ...cookie,
        state: new Int32(section.state === 'pending' ? STATE_PENDING : STATE_COMPLETE),
        ...(section.result === undefined ? {} : { result: section.result }),
      };
  }
}

/** The BSON bytes of a message; throws MessageTooBigError if they would exceed `maxSize`. */
export function encodeHonkMessage(message: HonkMessage, maxSize = MAX_MESSAGE_SIZE): Uint8Array {
  const bytes = serialize({
    honk_rpc: new Int32(HONK_RPC_VERSION),
    sections: message.sections.map(sectionToBson),
  });
  if (bytes.length > maxSize) {
    throw new MessageTooBigError(`message of ${bytes.length} bytes exceeds ${maxSize}`);
  }
  return bytes;
}

/** A BSON generic binary (subtype 0x00), the type Gosling's `binary` arguments use. */
export function binary(bytes: Uint8Array): Binary {
  return new Binary(bytes, Binary.SUBTYPE_DEFAULT);
}
