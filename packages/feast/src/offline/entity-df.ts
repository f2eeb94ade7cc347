import { DataType, type Table, TimeUnit, Type, type Vector } from 'apache-arrow';
import { rowsToColumns } from '../codec/columns';
import { epochMicrosOf } from '../codec/instant';
import { describeValue } from '../codec/rules';
import { ValueType, valueTypeName } from '../codec/value-type';
import { InvalidFeatureRequestError } from '../errors';
import { PG_OID, pgTypeName } from './pg-copy';

/**
 * The entity rows of a historical retrieval: each row names entities (by their join keys) and a point in
 * time; the result holds each feature's value as of that time. Four forms:
 * - an Arrow table (`apache-arrow` Table);
 * - row objects: `[{ driver_id: 1001, event_timestamp: new Date('2026-01-01T12:00:00Z') }, ...]`;
 * - columns: `{ driver_id: [1001, 1002], event_timestamp: [t1, t2] }`;
 * - a SQL query run in the offline store's database: `'SELECT driver_id, event_timestamp FROM orders'`.
 */
export type EntityDf =
  | string
  | Table
  | ReadonlyArray<Readonly<Record<string, unknown>>>
  | Readonly<Record<string, ArrayLike<unknown>>>;

/** One column to upload, with its PostgreSQL type and its values in the encoder's terms. */
export interface FrameColumn {
  name: string;
  typeOid: number;
  values: ArrayLike<unknown>;
}

/** Entity rows ready to upload, or a query that produces them. */
export type EntityFrame =
  | { kind: 'rows'; columns: FrameColumn[]; rowCount: number }
  | { kind: 'sql'; sql: string };

/** The column Feast uses for the point in time, when the frame has it. */
export const DEFAULT_TIMESTAMP_COLUMN = 'event_timestamp';

function invalid(message: string): InvalidFeatureRequestError {
  return new InvalidFeatureRequestError(message);
}

function isArrowTable(value: unknown): value is Table {
  return (
    typeof value === 'object' &&
    value !== null &&
    'schema' in value &&
    'numRows' in value &&
    typeof (value as { getChildAt?: unknown }).getChildAt === 'function'
  );
}

/** The PostgreSQL type a join key of this Feast type is compared as. */
export function oidForValueType(valueType: number): number | undefined {
  switch (valueType) {
    case ValueType.INT64:
      return PG_OID.INT8;
    case ValueType.INT32:
      return PG_OID.INT4;
    case ValueType.STRING:
      return PG_OID.TEXT;
    case ValueType.BYTES:
      return PG_OID.BYTEA;
    case ValueType.BOOL:
      return PG_OID.BOOL;
    case ValueType.FLOAT:
      return PG_OID.FLOAT4;
    case ValueType.DOUBLE:
      return PG_OID.FLOAT8;
    case ValueType.UNIX_TIMESTAMP:
      return PG_OID.TIMESTAMPTZ;
    default:
      return undefined;
  }
}

/** A raw Arrow timestamp value in `unit` as µs since the epoch (nanoseconds floored). */
export function toMicros(raw: bigint, unit: TimeUnit): bigint {
  switch (unit) {
    case TimeUnit.SECOND:
      return raw * 1_000_000n;
    case TimeUnit.MILLISECOND:
      return raw * 1_000n;
    case TimeUnit.MICROSECOND:
      return raw;
    default:
      // Floored, as pandas → PostgreSQL cuts nanoseconds (also before 1970, where / would round up).
      return raw >= 0n || raw % 1_000n === 0n ? raw / 1_000n : raw / 1_000n - 1n;
  }
}

/**
 * An Arrow timestamp column as µs since the epoch, nulls kept. Nanoseconds are floored. A µs column without
 * nulls in one chunk is passed through as it is (no value per row is made).
 */
function arrowTimestamps(vector: Vector): ArrayLike<bigint | null> {
  const unit = (vector.type as { unit: TimeUnit }).unit;
  const only = vector.data.length === 1 ? vector.data[0]! : undefined;
  if (only && unit === TimeUnit.MICROSECOND && only.nullCount === 0) {
    return (only.values as BigInt64Array).subarray(0, only.length);
  }
  const out: Array<bigint | null> = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const values = data.values as BigInt64Array;
    for (let i = 0; i < data.length; i++, row++) {
      if (!data.getValid(i)) {
        out[row] = null;
        continue;
      }
      out[row] = toMicros(values[i]!, unit);
    }
  }
  return out;
}

/** The values of a fixed-width column without nulls in one chunk, as its typed array (no copy). */
function plainValues(vector: Vector): ArrayLike<unknown> | undefined {
  const only = vector.data.length === 1 ? vector.data[0]! : undefined;
  if (only?.nullCount !== 0) return undefined;
  // Data's values are typed per DataType (any for a DataType not known here): a typed array for these.
  const values: { subarray(a: number, b: number): ArrayLike<unknown> } = only.values;
  return values.subarray(0, only.length);
}

function arrowColumn(name: string, vector: Vector, keyType: number | undefined): FrameColumn {
  const type: DataType = vector.type;
  const rows = () => Array.from({ length: vector.length }, (_, i) => vector.get(i) as unknown);
  // The type guards narrow where a switch on typeId does not (Int's bitWidth, Float's precision, ...).
  if (DataType.isInt(type)) {
    const { bitWidth, isSigned } = type;
    if (bitWidth === 64 || (bitWidth === 32 && !isSigned)) {
      const values =
        (bitWidth === 64 && plainValues(vector)) ||
        rows().map((v) => (v === null || typeof v === 'bigint' ? v : BigInt(v as number)));
      return { name, typeOid: PG_OID.INT8, values };
    }
    const typeOid = keyType === ValueType.INT64 ? PG_OID.INT8 : PG_OID.INT4;
    return { name, typeOid, values: plainValues(vector) ?? rows() };
  }
  if (DataType.isFloat(type)) {
    const precision = type.precision;
    const typeOid = precision === 2 ? PG_OID.FLOAT8 : PG_OID.FLOAT4;
    return { name, typeOid, values: precision === 0 ? rows() : (plainValues(vector) ?? rows()) };
  }
  if (DataType.isTimestamp(type)) {
    return {
      name,
      typeOid: type.timezone ? PG_OID.TIMESTAMPTZ : PG_OID.TIMESTAMP,
      values: arrowTimestamps(vector),
    };
  }
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return { name, typeOid: PG_OID.TEXT, values: rows() };
    case Type.Bool:
      return { name, typeOid: PG_OID.BOOL, values: rows() };
    case Type.Binary:
    case Type.LargeBinary:
      return { name, typeOid: PG_OID.BYTEA, values: rows() };
    case Type.Date:
      return {
        name,
        typeOid: PG_OID.DATE,
        values: rows().map((v) => (v === null ? null : new Date(v as number))),
      };
    default:
      throw invalid(
        `Entity column ${name} is an Arrow ${String(type)}, which cannot be uploaded as entity rows; use integers, floats, strings, booleans, binary, dates or timestamps.`,
      );
  }
}

/** The PostgreSQL type of a column of JS values: the join key's type when it is one, else what the values are. */
function inferOid(name: string, values: ArrayLike<unknown>, keyType: number | undefined): number {
  if (keyType !== undefined) {
    const oid = oidForValueType(keyType);
    if (oid === undefined) {
      throw invalid(`Join key ${name} has type ${valueTypeName(keyType)}, which cannot be used to join on.`);
    }
    return oid;
  }
  let sawNumber = false;
  let allIntegers = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'boolean') return PG_OID.BOOL;
    if (typeof v === 'bigint') return PG_OID.INT8;
    if (typeof v === 'string') return PG_OID.TEXT;
    if (v instanceof Date) return PG_OID.TIMESTAMPTZ;
    if (v instanceof Uint8Array) return PG_OID.BYTEA;
    if (typeof v === 'number') {
      sawNumber = true;
      if (!Number.isSafeInteger(v)) allIntegers = false;
      continue;
    }
    throw invalid(
      `Entity column ${name}, row ${i}: ${describeValue(v)} is not a value an entity row can hold (numbers, bigints, strings, booleans, Dates, Uint8Arrays or null).`,
    );
  }
  if (sawNumber) return allIntegers ? PG_OID.INT8 : PG_OID.FLOAT8;
  return PG_OID.TEXT;
}

/** Columns of the frame, from any of its in-memory forms. */
function columnsOf(df: Exclude<EntityDf, string | Table>): { names: string[]; columns: unknown[][] } {
  if (Array.isArray(df)) {
    const rows = df as ReadonlyArray<Readonly<Record<string, unknown>>>;
    for (const row of rows) {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw invalid(
          'Entity rows must be objects such as { driver_id: 1001, event_timestamp: new Date() }.',
        );
      }
    }
    return rowsToColumns(rows, (i, name) =>
      invalid(`Entity row ${i} has no ${name}, which other rows have: every row needs the same columns.`),
    );
  }
  const entries = Object.entries(df as Readonly<Record<string, ArrayLike<unknown>>>);
  for (const [name, values] of entries) {
    if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
      throw invalid(`entityDf.${name} must be an array with one value per entity row.`);
    }
  }
  const lengths = new Set(entries.map(([, v]) => v.length));
  if (lengths.size > 1) {
    throw invalid(
      `The entity columns have different lengths (${entries.map(([n, v]) => `${n}: ${v.length}`).join(', ')}); each needs one value per entity row.`,
    );
  }
  return { names: entries.map(([n]) => n), columns: entries.map(([, v]) => Array.from(v)) };
}

/**
 * The timestamp column as µs since the epoch (bigint), whatever form each time came in (see TimeInput: Date,
 * ISO 8601 string with a zone, bigint µs, Temporal.Instant); nulls stay null (refused later, with the others).
 */
function timestampValues(name: string, values: unknown[]): unknown[] {
  return values.map((v, i) =>
    v === null || v === undefined
      ? v
      : epochMicrosOf(v, (problem) => {
          throw invalid(`Entity column ${name}, row ${i}: ${problem}.`);
        }),
  );
}

/**
 * Turns an entity frame into typed columns to upload. `keyTypes` gives the Feast type of each join key the
 * requested views are looked up by, so keys are uploaded as the type they are compared with.
 */
export function prepareEntityFrame(
  df: EntityDf,
  keyTypes: ReadonlyMap<string, number>,
  timestampColumn: string | undefined,
): EntityFrame {
  if (typeof df === 'string') {
    if (df.trim() === '') throw invalid('The entity SQL query is empty.');
    return { kind: 'sql', sql: df };
  }
  if (df === null || typeof df !== 'object') {
    throw invalid(
      'entityDf must be an Arrow table, an array of row objects, an object of columns, or a SQL query string.',
    );
  }
  if (isArrowTable(df)) {
    const columns = df.schema.fields.map((field, i) =>
      arrowColumn(field.name, df.getChildAt(i)!, keyTypes.get(field.name)),
    );
    return { kind: 'rows', columns, rowCount: df.numRows };
  }
  const { names, columns } = columnsOf(df);
  const rowCount = columns[0]?.length ?? 0;
  const frameColumns = names.map((name, i) => {
    let values = columns[i]!;
    const isTimestamp =
      name === timestampColumn || (timestampColumn === undefined && name === DEFAULT_TIMESTAMP_COLUMN);
    if (isTimestamp) values = timestampValues(name, values);
    const typeOid = isTimestamp ? PG_OID.TIMESTAMPTZ : inferOid(name, values, keyTypes.get(name));
    return { name, typeOid, values };
  });
  return { kind: 'rows', columns: frameColumns, rowCount };
}

const TIMESTAMP_OIDS: ReadonlySet<number> = new Set([PG_OID.TIMESTAMPTZ, PG_OID.TIMESTAMP]);

/**
 * The column holding each row's point in time: the one asked for, else `event_timestamp`, else the only
 * timestamp column (as Feast infers it).
 */
export function resolveTimestampColumn(
  columns: ReadonlyArray<{ name: string; typeOid: number }>,
  asked: string | undefined,
): string {
  const names = columns.map((c) => c.name);
  if (asked !== undefined) {
    const column = columns.find((c) => c.name === asked);
    if (!column) {
      throw invalid(`The entity rows have no ${asked} column (they have ${names.join(', ') || 'none'}).`);
    }
    if (!TIMESTAMP_OIDS.has(column.typeOid)) {
      throw invalid(`Entity column ${asked} holds ${pgTypeName(column.typeOid)}, not timestamps.`);
    }
    return asked;
  }
  const byDefault = columns.find((c) => c.name === DEFAULT_TIMESTAMP_COLUMN);
  if (byDefault && TIMESTAMP_OIDS.has(byDefault.typeOid)) return byDefault.name;
  const timestamps = columns.filter((c) => TIMESTAMP_OIDS.has(c.typeOid));
  if (timestamps.length === 1) return timestamps[0]!.name;
  throw invalid(
    timestamps.length === 0
      ? `The entity rows have no timestamp column (they have ${names.join(', ') || 'none'}): each row needs the point in time to read features at, in a column called ${DEFAULT_TIMESTAMP_COLUMN}.`
      : `The entity rows have several timestamp columns (${timestamps.map((c) => c.name).join(', ')}); name the one to use ${DEFAULT_TIMESTAMP_COLUMN}, or pass eventTimestampColumn.`,
  );
}
