// Strict pre-check of proto2 wire bytes against a message descriptor, before @bufbuild/protobuf
// decodes them: protobuf-es does not check wire types, keeps duplicates and accepts anything unknown.
// Rules: known fields (or allowed extensions) only, matching wire type, no repeats of a singular
// field, required fields present, bools 0/1, ints in range, enum values known, strings valid UTF-8.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  ScalarType,
  type DescExtension,
  type DescField,
  type DescMessage,
} from '@bufbuild/protobuf';
import { MalformedPacketError, ProtocolViolationError } from './errors.js';

const MAX_DEPTH = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

type FieldLike = DescField | DescExtension;

/** Throws MalformedPacketError / ProtocolViolationError unless `bytes` is a strict encoding of `desc`. */
export function checkWire(
  desc: DescMessage,
  bytes: Uint8Array,
  extensions: readonly DescExtension[] = [],
): void {
  try {
    checkMessage(desc, bytes, extensions, 0);
  } catch (error) {
    if (error instanceof MalformedPacketError || error instanceof ProtocolViolationError) {
      throw error;
    }
    throw new MalformedPacketError(`${desc.name}: protobuf does not parse`, { cause: error });
  }
}

function checkMessage(
  desc: DescMessage,
  bytes: Uint8Array,
  extensions: readonly DescExtension[],
  depth: number,
): void {
  if (depth > MAX_DEPTH) throw new MalformedPacketError(`${desc.name}: nested too deep`);
  const reader = new BinaryReader(bytes);
  const seen = new Set<number>();
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    const field = findField(desc, fieldNo, extensions);
    if (!field) {
      throw new ProtocolViolationError(`${desc.name}: unknown field ${fieldNo}`);
    }
    const repeated = field.fieldKind === 'list';
    if (!repeated && seen.has(fieldNo)) {
      throw new ProtocolViolationError(`${desc.name}: field ${fieldNo} appears twice`);
    }
    seen.add(fieldNo);
    checkValue(desc, field, reader, wireType, extensions, depth);
  }
  for (const field of desc.fields) {
    if (isRequired(field) && !seen.has(field.number)) {
      throw new ProtocolViolationError(`${desc.name}: required field ${field.name} missing`);
    }
  }
}

function findField(
  desc: DescMessage,
  fieldNo: number,
  extensions: readonly DescExtension[],
): FieldLike | undefined {
  const own = desc.fields.find((f) => f.number === fieldNo);
  if (own) return own;
  return extensions.find((e) => e.number === fieldNo && e.extendee.typeName === desc.typeName);
}

function isRequired(field: DescField): boolean {
  // FeatureSet.FieldPresence.LEGACY_REQUIRED = 3 (proto2 `required`).
  return (field.presence as number) === 3;
}

function checkValue(
  desc: DescMessage,
  field: FieldLike,
  reader: BinaryReader,
  wireType: WireType,
  extensions: readonly DescExtension[],
  depth: number,
): void {
  const where = `${desc.name}.${field.name}`;
  const expect = (wanted: WireType): void => {
    if (wireType !== wanted) {
      throw new MalformedPacketError(`${where}: wire type ${wireType}, expected ${wanted}`);
    }
  };
  let kind: 'scalar' | 'enum' | 'message';
  let scalar: ScalarType | undefined;
  if (field.fieldKind === 'list') {
    kind = field.listKind;
    scalar = field.scalar;
  } else if (field.fieldKind === 'map') {
    throw new ProtocolViolationError(`${where}: map fields are not used by this protocol`);
  } else {
    kind = field.fieldKind;
    scalar = field.scalar;
  }
  if (kind === 'message') {
    expect(WireType.LengthDelimited);
    const message = (field as { message?: DescMessage }).message;
    if (!message) throw new ProtocolViolationError(`${where}: no message descriptor`);
    checkMessage(message, reader.bytes(), extensions, depth + 1);
    return;
  }
  if (kind === 'enum') {
    expect(WireType.Varint);
    const value = toSigned64(reader.uint64());
    const known = (field as { enum?: { values: readonly { number: number }[] } }).enum?.values;
    if (!known?.some((v) => BigInt(v.number) === value)) {
      throw new ProtocolViolationError(`${where}: unknown enum value ${value}`);
    }
    return;
  }
  switch (scalar) {
    case ScalarType.STRING:
      expect(WireType.LengthDelimited);
      utf8Check(where, reader.bytes());
      return;
    case ScalarType.BYTES:
      expect(WireType.LengthDelimited);
      reader.bytes();
      return;
    case ScalarType.BOOL: {
      expect(WireType.Varint);
      const value = BigInt(reader.uint64());
      if (value > 1n) throw new MalformedPacketError(`${where}: bool value ${value}`);
      return;
    }
    case ScalarType.INT32: {
      expect(WireType.Varint);
      const value = toSigned64(reader.uint64());
      if (value < -0x80000000n || value > 0x7fffffffn) {
        throw new MalformedPacketError(`${where}: ${value} is not an int32`);
      }
      return;
    }
    case ScalarType.UINT32: {
      expect(WireType.Varint);
      const value = BigInt(reader.uint64());
      if (value > 0xffffffffn) throw new MalformedPacketError(`${where}: ${value} is not a uint32`);
      return;
    }
    case ScalarType.INT64:
    case ScalarType.UINT64:
      expect(WireType.Varint);
      reader.uint64();
      return;
    default:
      throw new ProtocolViolationError(
        `${where}: scalar type ${scalar} is not used by this protocol`,
      );
  }
}

function toSigned64(raw: bigint | string): bigint {
  return BigInt.asIntN(64, BigInt(raw));
}

function utf8Check(where: string, bytes: Uint8Array): void {
  try {
    utf8.decode(bytes);
  } catch (error) {
    throw new MalformedPacketError(`${where}: not valid UTF-8`, { cause: error });
  }
}
