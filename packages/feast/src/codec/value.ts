/**
 * `feast.types.Value`, the bytes of every feature in a Redis hash (and in the PostgreSQL online store), read and
 * written as Feast 0.67 does (`feast/type_map.py`: python_values_to_proto_values, feast_value_type_to_python_type).
 * The TypeScript representation of each type is in TYPES.md next to this file. In short: int64 is a bigint,
 * int32/float/double a number, bytes a Uint8Array, unix timestamps a Date, sets and lists arrays, maps plain
 * objects, null (an empty Value) null.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import {
  type MapKey as MapKeyProto,
  type MapKeySchema,
  type Map as MapProto,
  type MapSchema,
  type RepeatedValue as RepeatedValueProto,
  type RepeatedValueSchema,
  type ScalarMap as ScalarMapProto,
  type ScalarMapSchema,
  type Value as ValueProto,
  ValueSchema,
} from '../generated/proto/feast/types/Value_pb';
import { unixSecondsOf } from './entity-key';
import { type DecodeContext, decodeError, EncodeError, isWellFormed } from './errors';
import { type JsonValue, parseJson, parseJsonLikePython } from './python-json';
import { int64Of as checkedInt64, describeValue, INT64_MIN, MAX_DATE_SECONDS } from './rules';
import { ValueType, valueTypeName } from './value-type';

/** A JSON document as read from a JSON feature: integers beyond 2^53 come back as bigint, never rounded. */
export type { JsonValue } from './python-json';
export { parseJsonLikePython };

/** A ZONED_TIMESTAMP: the instant (whole seconds) and the zone it was recorded in ("" = UTC, IANA or offset). */
export interface ZonedTimestampValue {
  readonly date: Date;
  readonly zone: string;
}

/** A SCALAR_MAP key: int32/float/double → number, int64 → bigint, unix timestamp → Date, uuid/decimal → string. */
export type MapKeyValue = number | bigint | boolean | Date | Uint8Array | string | null;

/** A feature value as read. Which shape a given type takes is in TYPES.md. */
export type FeastValue =
  | null
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Date
  | ZonedTimestampValue
  | JsonValue
  | FeastValue[]
  | { [key: string]: FeastValue }
  | Map<MapKeyValue, FeastValue>;

/** What encodeValue accepts; which shapes a given type accepts is in TYPES.md. */
export type FeastValueInput =
  | null
  | undefined
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Date
  | ZonedTimestampValue
  | readonly FeastValueInput[]
  | ReadonlySet<FeastValueInput>
  | ReadonlyMap<FeastValueInput, FeastValueInput>
  | { readonly [key: string]: FeastValueInput };

/** A value with the type of the oneof it was stored in (UNKNOWN for an empty Value). */
export interface TypedFeastValue {
  readonly type: ValueType;
  readonly value: FeastValue;
}

export interface EncodeValueOptions {
  /** The feature or field the value belongs to, named in errors. */
  field?: string | undefined;
}

const WHAT = 'feast.types.Value';
/** Feast's null timestamp: NaT as int64 (`type_map.NULL_TIMESTAMP_INT_VALUE`). */
export const NULL_TIMESTAMP_INT_VALUE: bigint = INT64_MIN;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECIMAL_PATTERN = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|s?nan\d*)$/i;

type ValueCase = NonNullable<ValueProto['val']['case']>;

/** The ValueType of each Value oneof (type_map.PROTO_VALUE_TO_VALUE_TYPE_MAP, plus null and zoned timestamps). */
const CASE_TYPE: Record<ValueCase, ValueType> = {
  bytesVal: ValueType.BYTES,
  stringVal: ValueType.STRING,
  int32Val: ValueType.INT32,
  int64Val: ValueType.INT64,
  doubleVal: ValueType.DOUBLE,
  floatVal: ValueType.FLOAT,
  boolVal: ValueType.BOOL,
  unixTimestampVal: ValueType.UNIX_TIMESTAMP,
  bytesListVal: ValueType.BYTES_LIST,
  stringListVal: ValueType.STRING_LIST,
  int32ListVal: ValueType.INT32_LIST,
  int64ListVal: ValueType.INT64_LIST,
  doubleListVal: ValueType.DOUBLE_LIST,
  floatListVal: ValueType.FLOAT_LIST,
  boolListVal: ValueType.BOOL_LIST,
  unixTimestampListVal: ValueType.UNIX_TIMESTAMP_LIST,
  nullVal: ValueType.NULL,
  mapVal: ValueType.MAP,
  mapListVal: ValueType.MAP_LIST,
  bytesSetVal: ValueType.BYTES_SET,
  stringSetVal: ValueType.STRING_SET,
  int32SetVal: ValueType.INT32_SET,
  int64SetVal: ValueType.INT64_SET,
  doubleSetVal: ValueType.DOUBLE_SET,
  floatSetVal: ValueType.FLOAT_SET,
  boolSetVal: ValueType.BOOL_SET,
  unixTimestampSetVal: ValueType.UNIX_TIMESTAMP_SET,
  jsonVal: ValueType.JSON,
  jsonListVal: ValueType.JSON_LIST,
  structVal: ValueType.STRUCT,
  structListVal: ValueType.STRUCT_LIST,
  uuidVal: ValueType.UUID,
  timeUuidVal: ValueType.TIME_UUID,
  uuidListVal: ValueType.UUID_LIST,
  timeUuidListVal: ValueType.TIME_UUID_LIST,
  uuidSetVal: ValueType.UUID_SET,
  timeUuidSetVal: ValueType.TIME_UUID_SET,
  listVal: ValueType.VALUE_LIST,
  setVal: ValueType.VALUE_SET,
  decimalVal: ValueType.DECIMAL,
  decimalListVal: ValueType.DECIMAL_LIST,
  decimalSetVal: ValueType.DECIMAL_SET,
  scalarMapVal: ValueType.SCALAR_MAP,
  zonedTimestampVal: ValueType.ZONED_TIMESTAMP,
};

// ------------------------------------------------------------------------------------------------ decoding

/** Parses Value bytes into the generated message. Empty bytes are an empty Value. Corrupt bytes: DecodeError. */
export function decodeValueProto(bytes: Uint8Array, ctx?: DecodeContext): ValueProto {
  try {
    return fromBinary(ValueSchema, bytes);
  } catch (cause) {
    throw decodeError(WHAT, ctx, cause instanceof Error ? cause.message : String(cause), cause);
  }
}

/** Decodes Value bytes (a Redis hash field) into its TypeScript value; an empty Value is null. */
export function decodeValue(bytes: Uint8Array, ctx?: DecodeContext): FeastValue {
  if (bytes.length === 0) return null;
  return valueFromProto(decodeValueProto(bytes, ctx), ctx);
}

/** Decodes Value bytes and says which type they were stored as (UNKNOWN when empty). */
export function decodeTypedValue(bytes: Uint8Array, ctx?: DecodeContext): TypedFeastValue {
  const proto = decodeValueProto(bytes, ctx);
  return { type: valueTypeOfProto(proto), value: valueFromProto(proto, ctx) };
}

/** The ValueType of the oneof set in a Value; UNKNOWN when none is. */
export function valueTypeOfProto(proto: ValueProto): ValueType {
  return proto.val.case === undefined ? ValueType.UNKNOWN : CASE_TYPE[proto.val.case];
}

function dateOfSeconds(seconds: bigint, ctx: DecodeContext | undefined): Date | null {
  if (seconds === INT64_MIN) return null;
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) {
    throw decodeError(WHAT, ctx, `unix timestamp ${seconds} s is outside the range of a JavaScript Date`);
  }
  return new Date(Number(seconds) * 1000);
}

/** The TypeScript value of a Value message (feast_value_type_to_python_type). */
export function valueFromProto(proto: ValueProto, ctx?: DecodeContext): FeastValue {
  const v = proto.val;
  switch (v.case) {
    case undefined:
    case 'nullVal':
      return null;
    case 'bytesVal':
      // protobuf-es returns views into the input; a copy does not keep (or see changes to) the caller's buffer.
      return v.value.slice();
    case 'bytesListVal':
    case 'bytesSetVal':
      return v.value.val.map((bytes) => bytes.slice());
    case 'stringVal':
    case 'int32Val':
    case 'int64Val':
    case 'doubleVal':
    case 'floatVal':
    case 'boolVal':
    case 'uuidVal':
    case 'timeUuidVal':
    case 'decimalVal':
      return v.value;
    case 'unixTimestampVal':
      return dateOfSeconds(v.value, ctx);
    case 'stringListVal':
    case 'int32ListVal':
    case 'int64ListVal':
    case 'doubleListVal':
    case 'floatListVal':
    case 'boolListVal':
    case 'stringSetVal':
    case 'int32SetVal':
    case 'int64SetVal':
    case 'doubleSetVal':
    case 'floatSetVal':
    case 'boolSetVal':
    case 'uuidListVal':
    case 'timeUuidListVal':
    case 'uuidSetVal':
    case 'timeUuidSetVal':
    case 'decimalListVal':
    case 'decimalSetVal':
      return [...v.value.val];
    case 'unixTimestampListVal':
    case 'unixTimestampSetVal':
      return v.value.val.map((seconds) => dateOfSeconds(seconds, ctx));
    case 'mapVal':
    case 'structVal':
      return mapFromProto(v.value, ctx);
    case 'mapListVal':
    case 'structListVal':
      return v.value.val.map((map) => mapFromProto(map, ctx));
    case 'jsonVal':
      return parseJsonLikePython(v.value);
    case 'jsonListVal':
      return v.value.val.map(parseJsonLikePython);
    case 'listVal':
    case 'setVal':
      return v.value.val.map((inner) => valueFromProto(inner, ctx));
    case 'scalarMapVal': {
      const out = new Map<MapKeyValue, FeastValue>();
      for (const entry of v.value.val) {
        const key = entry.key ? mapKeyFromProto(entry.key, ctx) : null;
        out.set(key, entry.value ? valueFromProto(entry.value, ctx) : null);
      }
      return out;
    }
    case 'zonedTimestampVal': {
      const date = dateOfSeconds(v.value.unixTimestamp, ctx);
      return date === null ? null : { date, zone: v.value.zone };
    }
    default: {
      const unknown: never = v;
      throw decodeError(WHAT, ctx, `unknown Value case ${JSON.stringify(unknown)}`);
    }
  }
}

function mapFromProto(map: MapProto, ctx: DecodeContext | undefined): { [key: string]: FeastValue } {
  // fromEntries defines own properties, so a "__proto__" key stays a key.
  return Object.fromEntries(Object.entries(map.val).map(([key, value]) => [key, valueFromProto(value, ctx)]));
}

function mapKeyFromProto(key: MapKeyProto, ctx: DecodeContext | undefined): MapKeyValue {
  const k = key.key;
  switch (k.case) {
    case undefined:
      return null;
    case 'unixTimestampKey':
      return dateOfSeconds(k.value, ctx);
    case 'bytesKey':
      return k.value.slice();
    default:
      return k.value;
  }
}

// ------------------------------------------------------------------------------------------------ encoding

type ValueInit = MessageInitShape<typeof ValueSchema>;
type ValInit = NonNullable<ValueInit['val']>;

/**
 * Encodes a value as the Value bytes Feast writes for a feature of type `type` (python_values_to_proto_values
 * with that feature type). null/undefined, and NaN for FLOAT/DOUBLE, give an empty Value (0 bytes).
 */
export function encodeValue(
  value: FeastValueInput,
  type: ValueType,
  options: EncodeValueOptions = {},
): Uint8Array {
  return toBinary(ValueSchema, valueToProto(value, type, options));
}

/** The Value message Feast writes for `value` of type `type`. */
export function valueToProto(
  value: FeastValueInput,
  type: ValueType,
  options: EncodeValueOptions = {},
): ValueProto {
  const val = toVal(value, type, options.field ?? '');
  return create(ValueSchema, val === undefined ? {} : { val });
}

/** Encodes a Value message (for callers that build one by hand). */
export function encodeValueProto(proto: ValueProto): Uint8Array {
  return toBinary(ValueSchema, proto);
}

function fail(field: string, message: string): never {
  throw new EncodeError({ what: WHAT, field: field || undefined }, message);
}

function isPlainObject(value: unknown): value is { readonly [key: string]: FeastValueInput } {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function int32Of(value: unknown, field: string, type: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31)
    return value;
  if (typeof value === 'bigint' && value >= -(2n ** 31n) && value < 2n ** 31n) return Number(value);
  return fail(field, `${type} needs an integer in the int32 range, got ${describeValue(value)}`);
}

function int64Of(value: unknown, field: string, type: string): bigint {
  return checkedInt64(value, type, (message) => fail(field, message));
}

function numberOf(value: unknown, field: string, type: string): number {
  if (typeof value === 'number') return value;
  return fail(field, `${type} needs a number, got ${describeValue(value)}`);
}

function stringOf(value: unknown, field: string, type: string): string {
  if (typeof value === 'string') {
    if (!isWellFormed(value))
      fail(field, `${type} got a string with a lone UTF-16 surrogate, which has no UTF-8 form`);
    return value;
  }
  return fail(field, `${type} needs a string, got ${describeValue(value)}`);
}

function bytesOf(value: unknown, field: string, type: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return fail(field, `${type} needs a Uint8Array, got ${describeValue(value)}`);
}

function boolOf(value: unknown, field: string, type: string): boolean {
  if (typeof value === 'boolean') return value;
  return fail(field, `${type} needs a boolean, got ${describeValue(value)}`);
}

function uuidOf(value: unknown, field: string, type: string): string {
  const text = stringOf(value, field, type);
  if (!UUID_PATTERN.test(text))
    fail(
      field,
      `${type} needs a UUID like 123e4567-e89b-12d3-a456-426614174000, got ${describeValue(value)}`,
    );
  return text.toLowerCase();
}

function decimalOf(value: unknown, field: string, type: string): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(field, `${type} got ${value}; pass the decimal as a string`);
    return String(value);
  }
  const text = stringOf(value, field, type);
  if (!DECIMAL_PATTERN.test(text))
    fail(field, `${type} needs a decimal number as a string, got ${describeValue(value)}`);
  return text;
}

function secondsOf(value: unknown, field: string): bigint {
  return unixSecondsOf(value, WHAT, field || undefined);
}

/** The elements of a list or set input (arrays and Sets). */
function elementsOf(value: unknown, field: string, type: ValueType): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  return fail(
    field,
    `${valueTypeName(type)} needs an array${isSetType(type) ? ' or a Set' : ''}, got ${describeValue(value)}`,
  );
}

function isSetType(type: ValueType): boolean {
  return valueTypeName(type).endsWith('_SET');
}

/** Python writes sets as list(set(value)): one of each element. Equal bytes and equal Dates count as one. */
function unique(values: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  for (const value of values) {
    const key =
      typeof value === 'string'
        ? `string:${value}`
        : value instanceof Uint8Array
          ? `bytes:${Array.from(value).join(',')}`
          : value instanceof Date
            ? `date:${value.getTime()}`
            : value;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}

/** Elements of a list or set; lists replace null elements by Feast's per-type default (`_LIST_NONE_DEFAULTS`). */
function collection<T>(
  value: unknown,
  field: string,
  type: ValueType,
  listDefault: T | undefined,
  convert: (element: unknown, field: string, type: string) => T,
): T[] {
  const set = isSetType(type);
  const elements = set ? unique(elementsOf(value, field, type)) : elementsOf(value, field, type);
  return elements.map((element, i) => {
    if (element === null || element === undefined) {
      if (set || listDefault === undefined)
        fail(field, `${valueTypeName(type)} element ${i} is ${describeValue(element)}`);
      return listDefault as T;
    }
    return convert(element, field, `${valueTypeName(type)} element ${i}`);
  });
}

function toVal(value: FeastValueInput, type: ValueType, field: string): ValInit | undefined {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case ValueType.BYTES:
    case ValueType.PDF_BYTES:
    case ValueType.IMAGE_BYTES:
      return { case: 'bytesVal', value: bytesOf(value, field, valueTypeName(type)) };
    case ValueType.STRING:
      return { case: 'stringVal', value: stringOf(value, field, 'STRING') };
    case ValueType.INT32:
      return { case: 'int32Val', value: int32Of(value, field, 'INT32') };
    case ValueType.INT64:
      return { case: 'int64Val', value: int64Of(value, field, 'INT64') };
    case ValueType.DOUBLE: {
      const n = numberOf(value, field, 'DOUBLE');
      return Number.isNaN(n) ? undefined : { case: 'doubleVal', value: n };
    }
    case ValueType.FLOAT: {
      const n = numberOf(value, field, 'FLOAT');
      return Number.isNaN(n) ? undefined : { case: 'floatVal', value: Math.fround(n) };
    }
    case ValueType.BOOL:
      return { case: 'boolVal', value: boolOf(value, field, 'BOOL') };
    case ValueType.UNIX_TIMESTAMP:
      return { case: 'unixTimestampVal', value: secondsOf(value, field) };
    case ValueType.BYTES_LIST:
      return {
        case: 'bytesListVal',
        value: { val: collection(value, field, type, new Uint8Array(0), bytesOf) },
      };
    case ValueType.STRING_LIST:
      return { case: 'stringListVal', value: { val: collection(value, field, type, '', stringOf) } };
    case ValueType.INT32_LIST:
      return { case: 'int32ListVal', value: { val: collection(value, field, type, 0, int32Of) } };
    case ValueType.INT64_LIST:
      return { case: 'int64ListVal', value: { val: collection(value, field, type, 0n, int64Of) } };
    case ValueType.DOUBLE_LIST:
      return { case: 'doubleListVal', value: { val: collection(value, field, type, 0, numberOf) } };
    case ValueType.FLOAT_LIST:
      return {
        case: 'floatListVal',
        value: { val: collection(value, field, type, 0, (e, f, t) => Math.fround(numberOf(e, f, t))) },
      };
    case ValueType.BOOL_LIST:
      return { case: 'boolListVal', value: { val: collection(value, field, type, false, boolOf) } };
    case ValueType.UNIX_TIMESTAMP_LIST:
      return {
        case: 'unixTimestampListVal',
        value: { val: collection(value, field, type, INT64_MIN, (e, f) => secondsOf(e, f)) },
      };
    case ValueType.BYTES_SET:
      return { case: 'bytesSetVal', value: { val: collection(value, field, type, undefined, bytesOf) } };
    case ValueType.STRING_SET:
      return { case: 'stringSetVal', value: { val: collection(value, field, type, undefined, stringOf) } };
    case ValueType.INT32_SET:
      return { case: 'int32SetVal', value: { val: collection(value, field, type, undefined, int32Of) } };
    case ValueType.INT64_SET:
      return { case: 'int64SetVal', value: { val: collection(value, field, type, undefined, int64Of) } };
    case ValueType.DOUBLE_SET:
      return { case: 'doubleSetVal', value: { val: collection(value, field, type, undefined, numberOf) } };
    case ValueType.FLOAT_SET:
      return {
        case: 'floatSetVal',
        value: {
          val: collection(value, field, type, undefined, (e, f, t) => Math.fround(numberOf(e, f, t))),
        },
      };
    case ValueType.BOOL_SET:
      return { case: 'boolSetVal', value: { val: collection(value, field, type, undefined, boolOf) } };
    case ValueType.UNIX_TIMESTAMP_SET:
      return {
        case: 'unixTimestampSetVal',
        value: { val: collection(value, field, type, undefined, (e, f) => secondsOf(e, f)) },
      };
    case ValueType.UUID:
      return { case: 'uuidVal', value: uuidOf(value, field, 'UUID') };
    case ValueType.TIME_UUID:
      return { case: 'timeUuidVal', value: uuidOf(value, field, 'TIME_UUID') };
    case ValueType.UUID_LIST:
      return { case: 'uuidListVal', value: { val: collection(value, field, type, '', uuidOf) } };
    case ValueType.TIME_UUID_LIST:
      return { case: 'timeUuidListVal', value: { val: collection(value, field, type, '', uuidOf) } };
    case ValueType.UUID_SET:
      return {
        case: 'uuidSetVal',
        value: { val: unique(collection(value, field, type, undefined, uuidOf)) as string[] },
      };
    case ValueType.TIME_UUID_SET:
      return {
        case: 'timeUuidSetVal',
        value: { val: unique(collection(value, field, type, undefined, uuidOf)) as string[] },
      };
    case ValueType.DECIMAL:
      return { case: 'decimalVal', value: decimalOf(value, field, 'DECIMAL') };
    case ValueType.DECIMAL_LIST:
      return { case: 'decimalListVal', value: { val: collection(value, field, type, '', decimalOf) } };
    case ValueType.DECIMAL_SET:
      return {
        case: 'decimalSetVal',
        value: { val: unique(collection(value, field, type, undefined, decimalOf)) as string[] },
      };
    case ValueType.JSON:
      return { case: 'jsonVal', value: jsonTextOf(value, field, 'JSON') };
    case ValueType.JSON_LIST:
      return {
        case: 'jsonListVal',
        value: {
          val: elementsOf(value, field, type).map((e) =>
            jsonTextOf(e as FeastValueInput, field, 'JSON_LIST element'),
          ),
        },
      };
    case ValueType.MAP:
      return { case: 'mapVal', value: mapToProto(parsedIfString(value, field, 'MAP'), field, 'MAP') };
    case ValueType.STRUCT:
      return {
        case: 'structVal',
        value: mapToProto(parsedIfString(value, field, 'STRUCT'), field, 'STRUCT'),
      };
    case ValueType.MAP_LIST:
      return {
        case: 'mapListVal',
        value: { val: mapListOf(parsedIfString(value, field, 'MAP_LIST'), field, 'MAP_LIST') },
      };
    case ValueType.STRUCT_LIST:
      return {
        case: 'structListVal',
        value: { val: mapListOf(parsedIfString(value, field, 'STRUCT_LIST'), field, 'STRUCT_LIST') },
      };
    case ValueType.VALUE_LIST:
      return { case: 'listVal', value: nestedToProto(value, field, type) };
    case ValueType.VALUE_SET:
      return { case: 'setVal', value: nestedToProto(value, field, type) };
    case ValueType.SCALAR_MAP:
      return { case: 'scalarMapVal', value: scalarMapToProto(value, field) };
    case ValueType.ZONED_TIMESTAMP: {
      if (value instanceof Date)
        return { case: 'zonedTimestampVal', value: { unixTimestamp: secondsOf(value, field), zone: '' } };
      if (isPlainObject(value) && value['date'] instanceof Date && typeof value['zone'] === 'string') {
        return {
          case: 'zonedTimestampVal',
          value: {
            unixTimestamp: secondsOf(value['date'], field),
            zone: stringOf(value['zone'], field, 'ZONED_TIMESTAMP zone'),
          },
        };
      }
      return fail(
        field,
        `ZONED_TIMESTAMP needs a Date or { date: Date, zone: string }, got ${describeValue(value)}`,
      );
    }
    case ValueType.NULL:
      return fail(field, `a NULL feature holds only null, got ${describeValue(value)}`);
    case ValueType.UNKNOWN:
      return toVal(value, inferValueType(value, field), field);
    default:
      return fail(field, `${valueTypeName(type)} is not a Feast value type this SDK can write`);
  }
}

/**
 * The type Feast infers for a value inside a map, a nested list or with an UNKNOWN feature type
 * (type_map.python_type_to_feast_value_type): boolean BOOL, bigint INT64, number DOUBLE, string STRING,
 * Uint8Array BYTES, Date UNIX_TIMESTAMP, arrays <element>_LIST (of objects MAP_LIST), Sets <element>_SET,
 * objects MAP, Maps with non-string keys SCALAR_MAP. A JavaScript number is always a double here: write a
 * bigint for an integer.
 */
export function inferValueType(value: FeastValueInput, field = ''): ValueType {
  if (value === null || value === undefined) return ValueType.UNKNOWN;
  const scalar = scalarTypeOf(value);
  if (scalar !== undefined) return scalar;
  if (Array.isArray(value) || value instanceof Set) {
    const elements: unknown[] = [...(value as Iterable<unknown>)];
    if (elements.length === 0)
      fail(field, 'cannot infer the type of an empty collection (Feast cannot either)');
    if (Array.isArray(value) && (isPlainObject(elements[0]) || elements[0] instanceof Map))
      return ValueType.MAP_LIST;
    let common: ValueType | undefined;
    for (const element of elements) {
      const type = scalarTypeOf(element);
      if (type === undefined)
        fail(field, `cannot infer a list type from an element that is ${describeValue(element)}`);
      if (common !== undefined && common !== type) {
        fail(field, `a list mixes ${valueTypeName(common)} and ${valueTypeName(type)} elements`);
      }
      common = type;
    }
    const name = `${valueTypeName(common as ValueType)}_${Array.isArray(value) ? 'LIST' : 'SET'}`;
    return (ValueType as Record<string, ValueType>)[name] ?? fail(field, `Feast has no ${name} type`);
  }
  if (value instanceof Map) {
    const first = value.keys().next();
    return first.done || typeof first.value === 'string' ? ValueType.MAP : ValueType.SCALAR_MAP;
  }
  if (isPlainObject(value)) return ValueType.MAP;
  return fail(field, `cannot infer a Feast type for ${describeValue(value)}`);
}

function scalarTypeOf(value: unknown): ValueType | undefined {
  if (typeof value === 'boolean') return ValueType.BOOL;
  if (typeof value === 'bigint') return ValueType.INT64;
  if (typeof value === 'number') return ValueType.DOUBLE;
  if (typeof value === 'string') return ValueType.STRING;
  if (value instanceof Uint8Array) return ValueType.BYTES;
  if (value instanceof Date) return ValueType.UNIX_TIMESTAMP;
  return undefined;
}

/** Feast accepts a JSON string for MAP/STRUCT (json.loads: integers stay integers, i.e. INT64). */
function parsedIfString(value: FeastValueInput, field: string, type: string): FeastValueInput {
  if (typeof value !== 'string') return value;
  try {
    return parseJson(value, true) as FeastValueInput;
  } catch (cause) {
    return fail(field, `${type} got a string that is not JSON (${(cause as Error).message})`);
  }
}

function entriesOf(value: FeastValueInput, field: string, type: string): [string, FeastValueInput][] {
  if (value instanceof Map) {
    return [...value.entries()].map(([key, v]) => {
      if (typeof key !== 'string')
        fail(field, `${type} keys are strings, got ${describeValue(key)} (use SCALAR_MAP)`);
      return [key, v];
    });
  }
  if (isPlainObject(value)) return Object.entries(value);
  return fail(field, `${type} needs an object or a Map with string keys, got ${describeValue(value)}`);
}

function mapToProto(value: FeastValueInput, field: string, type: string): MessageInitShape<typeof MapSchema> {
  const val: Record<string, ValueProto> = {};
  for (const [key, inner] of entriesOf(value, field, type)) {
    const path = field ? `${field}.${key}` : key;
    stringOf(key, path, `${type} key`);
    let proto: ValueProto;
    if (inner === null || inner === undefined) {
      proto = create(ValueSchema);
    } else if (isPlainObject(inner) || inner instanceof Map) {
      proto = create(ValueSchema, { val: { case: 'mapVal', value: mapToProto(inner, path, 'MAP') } });
    } else {
      proto = valueToProto(inner, inferValueType(inner, path), { field: path });
    }
    Object.defineProperty(val, key, { value: proto, enumerable: true, writable: true, configurable: true });
  }
  return { val };
}

function mapListOf(
  value: FeastValueInput,
  field: string,
  type: string,
): MessageInitShape<typeof MapSchema>[] {
  if (!Array.isArray(value))
    return fail(field, `${type} needs an array of objects, got ${describeValue(value)}`);
  return value.map((item, i) => mapToProto(item as FeastValueInput, `${field}[${i}]`, `${type} element`));
}

function nestedToProto(
  value: FeastValueInput,
  field: string,
  type: ValueType,
): MessageInitShape<typeof RepeatedValueSchema> {
  const out: ValueProto[] = [];
  elementsOf(value, field, type).forEach((inner, i) => {
    const path = `${field}[${i}]`;
    if (inner === null || inner === undefined) {
      out.push(create(ValueSchema));
      return;
    }
    const items = elementsOf(inner, path, type);
    if (items.length === 0) {
      out.push(create(ValueSchema));
    } else if (items.some((item) => Array.isArray(item) || item instanceof Set)) {
      out.push(
        // Deeper nesting: the inner collection's elements are collections themselves (Feast recurses as VALUE_LIST).
        create(ValueSchema, {
          val: {
            case: 'listVal',
            value: nestedToProto(items as FeastValueInput, path, ValueType.VALUE_LIST),
          },
        }),
      );
    } else {
      // A leaf: Feast infers a list type from the elements (python_values_to_proto_values([inner], UNKNOWN)).
      out.push(
        valueToProto(items as FeastValueInput[], inferValueType(items as FeastValueInput[], path), {
          field: path,
        }),
      );
    }
  });
  return { val: out };
}

/** A [key, value] pair; the value's type is checked when it is encoded. */
function isPair(value: unknown): value is readonly [unknown, FeastValueInput] {
  return Array.isArray(value) && value.length === 2;
}

function scalarMapToProto(value: FeastValueInput, field: string): MessageInitShape<typeof ScalarMapSchema> {
  let entries: [unknown, FeastValueInput][];
  if (value instanceof Map) entries = [...value.entries()];
  else if (Array.isArray(value)) {
    entries = value.map((pair: unknown, i): [unknown, FeastValueInput] => {
      if (!isPair(pair)) fail(field, `SCALAR_MAP pair ${i} is not a [key, value] array`);
      return [pair[0], pair[1]];
    });
  } else return fail(field, `SCALAR_MAP needs a Map (or [key, value] pairs), got ${describeValue(value)}`);
  return {
    val: entries.map(([key, inner]) => ({
      key: { key: mapKeyOf(key, field) },
      value:
        inner === null || inner === undefined
          ? {}
          : valueToProto(inner, inferValueType(inner, field), { field }),
    })),
  };
}

function mapKeyOf(key: unknown, field: string): NonNullable<MessageInitShape<typeof MapKeySchema>['key']> {
  if (typeof key === 'boolean') return { case: 'boolKey', value: key };
  if (typeof key === 'bigint') return { case: 'int64Key', value: int64Of(key, field, 'SCALAR_MAP key') };
  if (typeof key === 'number') return { case: 'doubleKey', value: key };
  if (key instanceof Date) return { case: 'unixTimestampKey', value: secondsOf(key, field) };
  if (key instanceof Uint8Array) return { case: 'bytesKey', value: key };
  return fail(
    field,
    `SCALAR_MAP keys are booleans, bigints, numbers, Dates or Uint8Arrays, got ${describeValue(key)} (string keys belong in a MAP)`,
  );
}

/** JSON text of a value, as Feast writes it: a string must already be JSON; anything else is json.dumps'ed. */
function jsonTextOf(value: FeastValueInput, field: string, type: string): string {
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
    } catch (cause) {
      return fail(field, `${type} got a string that is not valid JSON (${(cause as Error).message})`);
    }
    return value;
  }
  return pythonJsonDumps(value, field, type);
}

/**
 * json.dumps with Python's defaults (", " and ": " separators, ensure_ascii, floats as repr), so that what we write
 * is the bytes Feast writes. JavaScript numbers that are integers are written as integers.
 */
export function pythonJsonDumps(value: unknown, field = '', type = 'JSON'): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(field, `${type} cannot hold ${value} (not valid JSON)`);
    return pythonNumber(value);
  }
  if (typeof value === 'string') return pythonJsonString(value);
  if (Array.isArray(value)) return `[${value.map((v) => pythonJsonDumps(v, field, type)).join(', ')}]`;
  if (isPlainObject(value)) {
    const parts: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      parts.push(`${pythonJsonString(key)}: ${pythonJsonDumps(v, field, type)}`);
    }
    return `{${parts.join(', ')}}`;
  }
  return fail(field, `${type} cannot hold ${describeValue(value)} (not JSON-serializable)`);
}

function pythonNumber(value: number): string {
  // A safe integer is written as an int (JavaScript cannot tell 3 from 3.0); any other number is a float, and
  // gets Python's float repr: scientific below 1e-4 and from 1e16, ".0" on integral values.
  if (Number.isSafeInteger(value)) return String(value);
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return Number.isInteger(value) ? `${String(value)}.0` : String(value);
}

function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const ch = text[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export type { MapProto, RepeatedValueProto, ScalarMapProto, ValueProto };
