/**
 * Feast's value types, numbered as in `feast.value_type.ValueType` (Python) and `feast.types.ValueType.Enum`
 * (protobuf). Python adds PDF_BYTES (30) and IMAGE_BYTES (31), which the 0.67 proto enum does not declare;
 * they are stored as `bytes_val` and may appear in a registry's value_type fields.
 */
export const ValueType = {
  UNKNOWN: 0,
  BYTES: 1,
  STRING: 2,
  INT32: 3,
  INT64: 4,
  DOUBLE: 5,
  FLOAT: 6,
  BOOL: 7,
  UNIX_TIMESTAMP: 8,
  BYTES_LIST: 11,
  STRING_LIST: 12,
  INT32_LIST: 13,
  INT64_LIST: 14,
  DOUBLE_LIST: 15,
  FLOAT_LIST: 16,
  BOOL_LIST: 17,
  UNIX_TIMESTAMP_LIST: 18,
  NULL: 19,
  MAP: 20,
  MAP_LIST: 21,
  BYTES_SET: 22,
  STRING_SET: 23,
  INT32_SET: 24,
  INT64_SET: 25,
  DOUBLE_SET: 26,
  FLOAT_SET: 27,
  BOOL_SET: 28,
  UNIX_TIMESTAMP_SET: 29,
  PDF_BYTES: 30,
  IMAGE_BYTES: 31,
  JSON: 32,
  JSON_LIST: 33,
  STRUCT: 34,
  STRUCT_LIST: 35,
  UUID: 36,
  TIME_UUID: 37,
  UUID_LIST: 38,
  TIME_UUID_LIST: 39,
  UUID_SET: 40,
  TIME_UUID_SET: 41,
  VALUE_LIST: 42,
  VALUE_SET: 43,
  DECIMAL: 44,
  DECIMAL_LIST: 45,
  DECIMAL_SET: 46,
  SCALAR_MAP: 47,
  ZONED_TIMESTAMP: 48,
} as const;

export type ValueType = (typeof ValueType)[keyof typeof ValueType];

const NAMES = new Map<number, string>(Object.entries(ValueType).map(([name, value]) => [value, name]));

/** "INT64" for 4; "ValueType 99" for a number Feast does not define. */
export function valueTypeName(type: number): string {
  return NAMES.get(type) ?? `ValueType ${type}`;
}

/** True when `type` is one of Feast's value types. */
export function isValueType(type: number): type is ValueType {
  return NAMES.has(type);
}

const LIST_ELEMENT: Partial<Record<number, ValueType>> = {
  [ValueType.BYTES_LIST]: ValueType.BYTES,
  [ValueType.STRING_LIST]: ValueType.STRING,
  [ValueType.INT32_LIST]: ValueType.INT32,
  [ValueType.INT64_LIST]: ValueType.INT64,
  [ValueType.DOUBLE_LIST]: ValueType.DOUBLE,
  [ValueType.FLOAT_LIST]: ValueType.FLOAT,
  [ValueType.BOOL_LIST]: ValueType.BOOL,
  [ValueType.UNIX_TIMESTAMP_LIST]: ValueType.UNIX_TIMESTAMP,
};

const SET_ELEMENT: Partial<Record<number, ValueType>> = {
  [ValueType.BYTES_SET]: ValueType.BYTES,
  [ValueType.STRING_SET]: ValueType.STRING,
  [ValueType.INT32_SET]: ValueType.INT32,
  [ValueType.INT64_SET]: ValueType.INT64,
  [ValueType.DOUBLE_SET]: ValueType.DOUBLE,
  [ValueType.FLOAT_SET]: ValueType.FLOAT,
  [ValueType.BOOL_SET]: ValueType.BOOL,
  [ValueType.UNIX_TIMESTAMP_SET]: ValueType.UNIX_TIMESTAMP,
};

/** The element type of a scalar list type (INT64_LIST → INT64); undefined for anything else. */
export function listElementType(type: number): ValueType | undefined {
  return LIST_ELEMENT[type];
}

/** The element type of a scalar list or set type (INT64_SET → INT64); undefined for anything else. */
export function collectionElementType(type: number): ValueType | undefined {
  return LIST_ELEMENT[type] ?? SET_ELEMENT[type];
}
