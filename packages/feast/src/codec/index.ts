/** Byte-level codecs of Feast's online store: pure functions on Uint8Array, no I/O. */
export {
  compareCodePoints,
  type DecodedEntityKeyPart,
  DUMMY_ENTITY_ID,
  DUMMY_ENTITY_KEY,
  DUMMY_ENTITY_VALUE,
  deserializeEntityKey,
  type EntityKeyOptions,
  type EntityKeyPart,
  type EntityKeySerializationVersion,
  type EntityKeyValueInput,
  type EntityKeyValueType,
  parseRedisKey,
  redisKey,
  serializeEntityKey,
  serializeEntityKeyPrefix,
} from './entity-key';
export { type DecodeContext, EncodeError, type EncodeErrorInit } from './errors';
export {
  epochMicrosOf,
  epochMicrosOrProblem,
  microsToDate,
  microsToIso,
  type TemporalInstantLike,
  type TimeInput,
} from './instant';
export { featureFieldName, murmur3, timestampFieldName } from './murmur3';
export {
  decodeTimestamp,
  decodeTimestampMicros,
  decodeTimestampToDate,
  encodeTimestamp,
  type FeastTimestamp,
  timestampFromDate,
  timestampFromEpochNanos,
  timestampToDate,
  timestampToEpochNanos,
} from './timestamp';
export {
  decodeTypedValue,
  decodeValue,
  decodeValueProto,
  type EncodeValueOptions,
  encodeValue,
  encodeValueProto,
  type FeastValue,
  type FeastValueInput,
  inferValueType,
  type JsonValue,
  type MapKeyValue,
  NULL_TIMESTAMP_INT_VALUE,
  parseJsonLikePython,
  pythonJsonDumps,
  type TypedFeastValue,
  type ValueProto,
  valueFromProto,
  valueToProto,
  valueTypeOfProto,
  type ZonedTimestampValue,
} from './value';
export { isValueType, ValueType, valueTypeName } from './value-type';
