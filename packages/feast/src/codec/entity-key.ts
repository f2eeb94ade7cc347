/**
 * Entity keys as Feast serializes them (`feast/infra/key_encoding_utils.py`), and the Redis key of an entity:
 * serialized key ‖ utf8(project).
 *
 * Version 3 (Feast's default):
 *   u32 n | n × (u32 2 | u32 len | utf8 join key) | n × (u32 type | u32 len | value bytes)
 * Version 2: no count and no join-key lengths. Version 1: as 2, with INT64 values in 4 bytes.
 * All integers little-endian; join keys sorted by Unicode code point (Python's `sorted`), values in that order.
 */
import { type DecodeContext, decodeError, EncodeError, isWellFormed } from './errors';
import { describeValue, int64Of, MAX_DATE_SECONDS } from './rules';
import { ValueType, valueTypeName } from './value-type';

/** The value types a join key may have: the only ones serialize_entity_key accepts. */
export type EntityKeyValueType =
  | typeof ValueType.STRING
  | typeof ValueType.BYTES
  | typeof ValueType.INT32
  | typeof ValueType.INT64
  | typeof ValueType.UNIX_TIMESTAMP;

/** What a join key's value may be, when written. */
export type EntityKeyValueInput = string | Uint8Array | number | bigint | Date;

/** One join key and its value, typed by the join key's value type (FeatureView entity_columns). */
export interface EntityKeyPart {
  readonly joinKey: string;
  readonly valueType: EntityKeyValueType;
  /**
   * STRING: string. BYTES: Uint8Array. INT32: integer number (or bigint) in int32 range. INT64: bigint, or a
   * safe-integer number. UNIX_TIMESTAMP: Date (truncated to whole seconds) or epoch seconds as bigint/number.
   */
  readonly value: EntityKeyValueInput;
}

/** A decoded join key: values as read (INT64 bigint, UNIX_TIMESTAMP Date). */
export interface DecodedEntityKeyPart {
  readonly joinKey: string;
  readonly valueType: EntityKeyValueType;
  readonly value: string | Uint8Array | number | bigint | Date;
}

export type EntityKeySerializationVersion = 1 | 2 | 3;

export interface EntityKeyOptions {
  /** `entity_key_serialization_version` of feature_store.yaml; Feast's default, and ours, is 3. */
  version?: EntityKeySerializationVersion;
}

/** The join key and value Feast uses for feature views without entities. */
export const DUMMY_ENTITY_ID = '__dummy_id';
export const DUMMY_ENTITY_VALUE = '';
/** The entity key of a feature view without entities. */
export const DUMMY_ENTITY_KEY: readonly EntityKeyPart[] = Object.freeze([
  Object.freeze({ joinKey: DUMMY_ENTITY_ID, valueType: ValueType.STRING, value: DUMMY_ENTITY_VALUE }),
]);

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const WHAT = 'entity key';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  }
  return a.length - b.length;
}

/**
 * Orders strings by Unicode code point, as Python's `sorted` does (UTF-8 byte order is the same order).
 * JavaScript's default sort compares UTF-16 code units, which differs for characters beyond U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  return compareBytes(utf8.encode(a), utf8.encode(b));
}

function toInt64(value: unknown, field: string, type: string): bigint {
  return int64Of(value, type, (message) => {
    throw new EncodeError({ what: WHAT, field }, message);
  });
}

/** Seconds since the epoch of a UNIX_TIMESTAMP value: a Date is truncated toward zero, as Python's int(). */
export function unixSecondsOf(value: unknown, what: string, field: string | undefined): bigint {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new EncodeError({ what, field }, 'the Date is invalid');
    return BigInt(Math.trunc(ms / 1000));
  }
  if (typeof value === 'bigint' || typeof value === 'number') {
    return int64Of(value, 'UNIX_TIMESTAMP seconds', (message) => {
      throw new EncodeError({ what, field }, message);
    });
  }
  throw new EncodeError(
    { what, field },
    `UNIX_TIMESTAMP value must be a Date or epoch seconds, got ${describeValue(value)}`,
  );
}

function encodeKeyValue(part: EntityKeyPart, version: EntityKeySerializationVersion): Uint8Array {
  const { joinKey: field, valueType, value } = part;
  switch (valueType) {
    case ValueType.STRING:
      if (typeof value !== 'string') {
        throw new EncodeError(
          { what: WHAT, field },
          `STRING value must be a string, got ${describeValue(value)}`,
        );
      }
      if (!isWellFormed(value)) {
        throw new EncodeError(
          { what: WHAT, field },
          'STRING value has a lone UTF-16 surrogate, which has no UTF-8 form',
        );
      }
      return utf8.encode(value);
    case ValueType.BYTES:
      if (!(value instanceof Uint8Array)) {
        throw new EncodeError(
          { what: WHAT, field },
          `BYTES value must be a Uint8Array, got ${describeValue(value)}`,
        );
      }
      return value;
    case ValueType.INT32: {
      if (!(typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)))) {
        throw new EncodeError(
          { what: WHAT, field },
          `INT32 value must be an integer, got ${describeValue(value)}`,
        );
      }
      const big = BigInt(value);
      if (big < -(2n ** 31n) || big >= 2n ** 31n) {
        throw new EncodeError({ what: WHAT, field }, `INT32 value ${big} is outside the int32 range`);
      }
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, Number(big), true);
      return out;
    }
    case ValueType.INT64: {
      const big = toInt64(value, field, 'INT64');
      if (version <= 1) {
        // Python packs "<l": 4 bytes, and fails beyond int32.
        if (big < -(2n ** 31n) || big >= 2n ** 31n) {
          throw new EncodeError(
            { what: WHAT, field },
            `INT64 value ${big} does not fit the 4 bytes of entity key serialization version 1`,
          );
        }
        const out = new Uint8Array(4);
        new DataView(out.buffer).setInt32(0, Number(big), true);
        return out;
      }
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, big, true);
      return out;
    }
    case ValueType.UNIX_TIMESTAMP: {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, unixSecondsOf(value, WHAT, field), true);
      return out;
    }
    default:
      throw new EncodeError(
        { what: WHAT, field },
        `join key type ${valueTypeName(valueType)} is not supported by Feast entity keys (only STRING, BYTES, INT32, INT64, UNIX_TIMESTAMP)`,
      );
  }
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function checkVersion(version: number): EntityKeySerializationVersion {
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new EncodeError({ what: WHAT }, `entity key serialization version ${version} is not 1, 2 or 3`);
  }
  return version;
}

/** serialize_entity_key: the bytes of an entity key (the PostgreSQL online store's entity_key column). */
export function serializeEntityKey(
  parts: readonly EntityKeyPart[],
  options: EntityKeyOptions = {},
): Uint8Array {
  return serializeWithSuffix(parts, options, undefined);
}

function serializeWithSuffix(
  parts: readonly EntityKeyPart[],
  options: EntityKeyOptions,
  suffix: Uint8Array | undefined,
): Uint8Array {
  const version = checkVersion(options.version ?? 3);
  const named = parts.map((part) => {
    if (typeof part.joinKey !== 'string' || !isWellFormed(part.joinKey)) {
      throw new EncodeError(
        { what: WHAT, field: String(part.joinKey) },
        'a join key must be a well-formed string',
      );
    }
    return { part, name: utf8.encode(part.joinKey) };
  });
  named.sort((a, b) => compareBytes(a.name, b.name));
  for (let i = 1; i < named.length; i++) {
    if (
      compareBytes(
        (named[i - 1] as (typeof named)[number]).name,
        (named[i] as (typeof named)[number]).name,
      ) === 0
    ) {
      throw new EncodeError(
        { what: WHAT, field: (named[i] as (typeof named)[number]).part.joinKey },
        'the join key appears twice',
      );
    }
  }
  return writeEntityKey(named, version, suffix);
}

/** The serialized key (then `suffix`, if any) in one allocation: sizes first, then the bytes. */
function writeEntityKey(
  named: ReadonlyArray<{ part: EntityKeyPart; name: Uint8Array }>,
  version: EntityKeySerializationVersion,
  suffix: Uint8Array | undefined,
): Uint8Array {
  const values = named.map(({ part }) => encodeKeyValue(part, version));
  let length = (version > 2 ? 4 : 0) + (suffix?.length ?? 0);
  for (let i = 0; i < named.length; i++) {
    length += (version > 2 ? 8 : 4) + named[i]!.name.length + 8 + values[i]!.length;
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  if (version > 2) {
    view.setUint32(offset, named.length, true);
    offset += 4;
  }
  for (const { name } of named) {
    view.setUint32(offset, ValueType.STRING, true);
    offset += 4;
    if (version > 2) {
      view.setUint32(offset, name.length, true);
      offset += 4;
    }
    out.set(name, offset);
    offset += name.length;
  }
  for (let i = 0; i < named.length; i++) {
    const bytes = values[i]!;
    view.setUint32(offset, named[i]!.part.valueType, true);
    view.setUint32(offset + 4, bytes.length, true);
    out.set(bytes, offset + 8);
    offset += 8 + bytes.length;
  }
  if (suffix) out.set(suffix, offset);
  return out;
}

/** serialize_entity_key_prefix: the join-key part only, the prefix Feast scans for when it deletes a view. */
export function serializeEntityKeyPrefix(
  joinKeys: readonly string[],
  options: EntityKeyOptions = {},
): Uint8Array {
  const version = checkVersion(options.version ?? 3);
  const names = joinKeys.map((key) => utf8.encode(key)).sort(compareBytes);
  const out: Uint8Array[] = [];
  if (version > 2) out.push(u32(names.length));
  for (const name of names) {
    out.push(u32(ValueType.STRING));
    if (version > 2) out.push(u32(name.length));
    out.push(name);
  }
  return concat(out);
}

/** The Redis key of an entity in a project: serialize_entity_key ‖ utf8(project), no separator. */
export function redisKey(
  parts: readonly EntityKeyPart[],
  project: string,
  options: EntityKeyOptions = {},
): Uint8Array {
  return serializeWithSuffix(parts, options, utf8.encode(project));
}

/**
 * deserialize_entity_key (version 3 only, as in Feast: versions 1 and 2 do not record key lengths). Join keys
 * come back in their serialized (sorted) order. Corrupt bytes throw a DecodeError naming the offset.
 */
export function deserializeEntityKey(bytes: Uint8Array, ctx?: DecodeContext): DecodedEntityKeyPart[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const fail = (reason: string): never => {
    throw decodeError(WHAT, ctx, reason);
  };
  const need = (n: number, what: string) => {
    if (bytes.length - pos < n) fail(`${what} at byte ${pos} runs past the end (${bytes.length} bytes)`);
  };
  need(4, 'the key count');
  const count = view.getUint32(pos, true);
  pos += 4;
  // Each join key takes at least 8 bytes: a count beyond that is corrupt (and would make us loop for long).
  if (count > (bytes.length - pos) / 8) fail(`the key count ${count} does not fit in ${bytes.length} bytes`);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    need(8, `join key ${i}`);
    const type = view.getUint32(pos, true);
    const length = view.getUint32(pos + 4, true);
    pos += 8;
    if (type !== ValueType.STRING) fail(`join key ${i} has type ${valueTypeName(type)}, not STRING`);
    need(length, `join key ${i}`);
    let name: string;
    try {
      name = utf8Strict.decode(bytes.subarray(pos, pos + length));
    } catch {
      return fail(`join key ${i} is not valid UTF-8`);
    }
    // Feast strips trailing NULs from join keys (deserialize_entity_key's rstrip("\x00")).
    keys.push(name.replace(/\0+$/, ''));
    pos += length;
  }
  const parts: DecodedEntityKeyPart[] = [];
  while (pos < bytes.length) {
    const index = parts.length;
    const joinKey = keys[index];
    if (joinKey === undefined) fail(`more values than the ${count} join keys`);
    need(8, `the value of ${joinKey}`);
    const type = view.getUint32(pos, true);
    const length = view.getUint32(pos + 4, true);
    pos += 8;
    need(length, `the value of ${joinKey}`);
    const valueBytes = bytes.subarray(pos, pos + length);
    const valueView = new DataView(valueBytes.buffer, valueBytes.byteOffset, valueBytes.byteLength);
    pos += length;
    const sized = (n: number) => {
      if (length !== n) fail(`the ${valueTypeName(type)} value of ${joinKey} has ${length} bytes, not ${n}`);
    };
    switch (type) {
      case ValueType.STRING:
        try {
          parts.push({ joinKey: joinKey as string, valueType: type, value: utf8Strict.decode(valueBytes) });
        } catch {
          fail(`the STRING value of ${joinKey} is not valid UTF-8`);
        }
        break;
      case ValueType.BYTES:
        parts.push({ joinKey: joinKey as string, valueType: type, value: valueBytes.slice() });
        break;
      case ValueType.INT32:
        sized(4);
        parts.push({ joinKey: joinKey as string, valueType: type, value: valueView.getInt32(0, true) });
        break;
      case ValueType.INT64:
        sized(8);
        parts.push({ joinKey: joinKey as string, valueType: type, value: valueView.getBigInt64(0, true) });
        break;
      case ValueType.UNIX_TIMESTAMP: {
        sized(8);
        const seconds = valueView.getBigInt64(0, true);
        if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) {
          fail(
            `the UNIX_TIMESTAMP value of ${joinKey} (${seconds} s) is outside the range of a JavaScript Date`,
          );
        }
        parts.push({ joinKey: joinKey as string, valueType: type, value: new Date(Number(seconds) * 1000) });
        break;
      }
      default:
        fail(`the value of ${joinKey} has type ${valueTypeName(type)}, which entity keys do not support`);
    }
  }
  if (parts.length !== keys.length) fail(`${keys.length} join keys but ${parts.length} values`);
  return parts;
}

/** Splits a Redis key into its entity key and project: the project is what follows the serialized key. */
export function parseRedisKey(
  bytes: Uint8Array,
  ctx?: DecodeContext,
): { parts: DecodedEntityKeyPart[]; project: string } {
  // The serialized key's length is implied by its layout; find it by walking it.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (reason: string): never => {
    throw decodeError('Redis key', ctx, reason);
  };
  if (bytes.length < 4) fail('shorter than a key count');
  const count = view.getUint32(0, true);
  if (count > bytes.length / 16) fail(`the key count ${count} does not fit in ${bytes.length} bytes`);
  let pos = 4;
  for (let i = 0; i < 2 * count; i++) {
    if (bytes.length - pos < 8) fail(`runs past the end at byte ${pos}`);
    const length = view.getUint32(pos + 4, true);
    pos += 8;
    if (bytes.length - pos < length) fail(`runs past the end at byte ${pos}`);
    pos += length;
  }
  const parts = deserializeEntityKey(bytes.subarray(0, pos), ctx);
  try {
    return { parts, project: utf8Strict.decode(bytes.subarray(pos)) };
  } catch {
    return fail('the project name is not valid UTF-8');
  }
}
