/**
 * The PostgreSQL types the COPY BINARY codec reads and writes, and the Arrow type each one becomes in our
 * historical-retrieval output. The mapping mirrors Feast's PostgreSQL offline store, which goes pg type → Feast
 * value type → pyarrow type: numeric becomes a double, uuid and json become strings, arrays become lists.
 */
import { DecodeError } from '@mlops/core';
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Schema,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';

/** A column of a COPY OUT result: its name and the oid of its PostgreSQL type (`pg`'s `FieldDef.dataTypeID`). */
export interface PgColumn {
  name: string;
  typeOid: number;
}

/** The built-in type oids the codec knows (they are fixed in PostgreSQL's catalog, the same on every server). */
export const PG_OID = {
  BOOL: 16,
  BYTEA: 17,
  NAME: 19,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  TEXT: 25,
  JSON: 114,
  FLOAT4: 700,
  FLOAT8: 701,
  BPCHAR: 1042,
  VARCHAR: 1043,
  DATE: 1082,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  NUMERIC: 1700,
  UUID: 2950,
  JSONB: 3802,
  JSON_ARRAY: 199,
  BOOL_ARRAY: 1000,
  BYTEA_ARRAY: 1001,
  NAME_ARRAY: 1003,
  INT2_ARRAY: 1005,
  INT4_ARRAY: 1007,
  TEXT_ARRAY: 1009,
  BPCHAR_ARRAY: 1014,
  VARCHAR_ARRAY: 1015,
  INT8_ARRAY: 1016,
  FLOAT4_ARRAY: 1021,
  FLOAT8_ARRAY: 1022,
  TIMESTAMP_ARRAY: 1115,
  DATE_ARRAY: 1182,
  TIMESTAMPTZ_ARRAY: 1185,
  NUMERIC_ARRAY: 1231,
  UUID_ARRAY: 2951,
  JSONB_ARRAY: 3807,
} as const;

/**
 * How the bytes of one value are laid out, which is what the decoder and encoder switch on. Several PostgreSQL
 * types share a kind (text, varchar, bpchar, name and json are all plain UTF-8; timestamp and timestamptz are
 * both microseconds since 2000).
 */
export const Kind = {
  BOOL: 0,
  INT2: 1,
  INT4: 2,
  INT8: 3,
  FLOAT4: 4,
  FLOAT8: 5,
  NUMERIC: 6,
  TIMESTAMP: 7,
  DATE: 8,
  /** Bytes copied as they are: bytea, text, varchar, bpchar, name, json. */
  BYTES: 9,
  /** A version byte (1) and then the JSON text. */
  JSONB: 10,
  UUID: 11,
  LIST: 12,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

interface ScalarInfo {
  kind: Kind;
  /** The name PostgreSQL gives the type, for messages. */
  name: string;
  arrow: () => DataType;
}

const SCALARS = new Map<number, ScalarInfo>([
  [PG_OID.BOOL, { kind: Kind.BOOL, name: 'boolean', arrow: () => new Bool() }],
  [PG_OID.BYTEA, { kind: Kind.BYTES, name: 'bytea', arrow: () => new Binary() }],
  [PG_OID.NAME, { kind: Kind.BYTES, name: 'name', arrow: () => new Utf8() }],
  [PG_OID.INT8, { kind: Kind.INT8, name: 'bigint', arrow: () => new Int64() }],
  [PG_OID.INT2, { kind: Kind.INT2, name: 'smallint', arrow: () => new Int32() }],
  [PG_OID.INT4, { kind: Kind.INT4, name: 'integer', arrow: () => new Int32() }],
  [PG_OID.TEXT, { kind: Kind.BYTES, name: 'text', arrow: () => new Utf8() }],
  [PG_OID.JSON, { kind: Kind.BYTES, name: 'json', arrow: () => new Utf8() }],
  [PG_OID.FLOAT4, { kind: Kind.FLOAT4, name: 'real', arrow: () => new Float32() }],
  [PG_OID.FLOAT8, { kind: Kind.FLOAT8, name: 'double precision', arrow: () => new Float64() }],
  [PG_OID.BPCHAR, { kind: Kind.BYTES, name: 'character', arrow: () => new Utf8() }],
  [PG_OID.VARCHAR, { kind: Kind.BYTES, name: 'character varying', arrow: () => new Utf8() }],
  [PG_OID.DATE, { kind: Kind.DATE, name: 'date', arrow: () => new DateDay() }],
  [
    PG_OID.TIMESTAMP,
    { kind: Kind.TIMESTAMP, name: 'timestamp without time zone', arrow: () => new TimestampMicrosecond() },
  ],
  [
    PG_OID.TIMESTAMPTZ,
    { kind: Kind.TIMESTAMP, name: 'timestamp with time zone', arrow: () => new TimestampMicrosecond('UTC') },
  ],
  [PG_OID.NUMERIC, { kind: Kind.NUMERIC, name: 'numeric', arrow: () => new Float64() }],
  [PG_OID.UUID, { kind: Kind.UUID, name: 'uuid', arrow: () => new Utf8() }],
  [PG_OID.JSONB, { kind: Kind.JSONB, name: 'jsonb', arrow: () => new Utf8() }],
]);

/** Array type oid → element type oid, for the arrays whose element type we support. */
const ARRAY_ELEMENTS = new Map<number, number>([
  [PG_OID.JSON_ARRAY, PG_OID.JSON],
  [PG_OID.BOOL_ARRAY, PG_OID.BOOL],
  [PG_OID.BYTEA_ARRAY, PG_OID.BYTEA],
  [PG_OID.NAME_ARRAY, PG_OID.NAME],
  [PG_OID.INT2_ARRAY, PG_OID.INT2],
  [PG_OID.INT4_ARRAY, PG_OID.INT4],
  [PG_OID.TEXT_ARRAY, PG_OID.TEXT],
  [PG_OID.BPCHAR_ARRAY, PG_OID.BPCHAR],
  [PG_OID.VARCHAR_ARRAY, PG_OID.VARCHAR],
  [PG_OID.INT8_ARRAY, PG_OID.INT8],
  [PG_OID.FLOAT4_ARRAY, PG_OID.FLOAT4],
  [PG_OID.FLOAT8_ARRAY, PG_OID.FLOAT8],
  [PG_OID.TIMESTAMP_ARRAY, PG_OID.TIMESTAMP],
  [PG_OID.DATE_ARRAY, PG_OID.DATE],
  [PG_OID.TIMESTAMPTZ_ARRAY, PG_OID.TIMESTAMPTZ],
  [PG_OID.NUMERIC_ARRAY, PG_OID.NUMERIC],
  [PG_OID.UUID_ARRAY, PG_OID.UUID],
  [PG_OID.JSONB_ARRAY, PG_OID.JSONB],
]);

/** Names of common types we do not read, so that the error says "interval" rather than "oid 1186". */
const UNSUPPORTED_NAMES = new Map<number, string>([
  [18, '"char"'],
  [26, 'oid'],
  [142, 'xml'],
  [600, 'point'],
  [650, 'cidr'],
  [790, 'money'],
  [829, 'macaddr'],
  [869, 'inet'],
  [1083, 'time without time zone'],
  [1186, 'interval'],
  [1266, 'time with time zone'],
  [1560, 'bit'],
  [1562, 'bit varying'],
  [3614, 'tsvector'],
  [3904, 'int4range'],
  [3926, 'int8range'],
  [3910, 'tstzrange'],
]);

/** The element type oid of a supported array type, or undefined when `oid` is not one. */
export function arrayElementOid(oid: number): number | undefined {
  return ARRAY_ELEMENTS.get(oid);
}

/** The kind of a supported scalar type oid, or undefined. */
export function scalarKind(oid: number): Kind | undefined {
  return SCALARS.get(oid)?.kind;
}

/** PostgreSQL's name for a type oid, for messages ("integer[]", "interval", "type oid 12345"). */
export function pgTypeName(oid: number): string {
  const scalar = SCALARS.get(oid);
  if (scalar) return scalar.name;
  const element = ARRAY_ELEMENTS.get(oid);
  if (element !== undefined) return `${SCALARS.get(element)!.name}[]`;
  return UNSUPPORTED_NAMES.get(oid) ?? `type oid ${oid}`;
}

export function arrowTypeForPg(column: PgColumn): DataType {
  const scalar = SCALARS.get(column.typeOid);
  if (scalar) return scalar.arrow();
  const element = ARRAY_ELEMENTS.get(column.typeOid);
  if (element !== undefined) return new List(new Field('item', SCALARS.get(element)!.arrow(), true));
  throw new DecodeError(
    { what: 'PostgreSQL result column', field: column.name },
    `Column ${JSON.stringify(column.name)} has PostgreSQL type ${pgTypeName(column.typeOid)}, which offline ` +
      `retrieval cannot read. Cast it in the source query to a supported type, for example ` +
      `${quoteIdent(column.name)}::text or ${quoteIdent(column.name)}::double precision.`,
  );
}

export function arrowSchemaForPg(columns: readonly PgColumn[]): Schema {
  return new Schema(columns.map((column) => new Field(column.name, arrowTypeForPg(column), true)));
}

/** An identifier as it would be written in SQL, for the cast hint. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
