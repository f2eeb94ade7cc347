/**
 * Trino result pages (JSON rows) into Arrow record batches, each column typed from Trino's column type:
 * bigint → Int64 (exact beyond 2^53), integer/smallint/tinyint → Int32, double → Float64, real → Float32,
 * varchar/char → Utf8, boolean → Bool, date → DateDay, timestamp(p) → Timestamp µs, timestamp(p) with time
 * zone → Timestamp µs UTC, varbinary → Binary, decimal → Float64, array(T) → List<T>. The same Arrow types
 * as the PostgreSQL path gives for the same columns.
 */
import {
  Binary,
  Bool,
  type Data,
  DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { OfflineStoreError } from '../../errors';
import type { TrinoColumn } from './client';

/** The Arrow type of a Trino SQL type. */
export function arrowTypeOfTrino(type: string, column: string): DataType {
  const t = type.trim().toLowerCase();
  if (t === 'bigint') return new Int64();
  if (t === 'integer' || t === 'smallint' || t === 'tinyint') return new Int32();
  if (t === 'double') return new Float64();
  if (t === 'real') return new Float32();
  if (t === 'boolean') return new Bool();
  if (t === 'date') return new DateDay();
  if (t === 'varbinary') return new Binary();
  if (t.startsWith('varchar') || t.startsWith('char') || t === 'json' || t === 'uuid') return new Utf8();
  if (t.startsWith('decimal')) return new Float64();
  if (/^timestamp(\(\d+\))? with time zone$/.test(t)) return new TimestampMicrosecond('UTC');
  if (/^timestamp(\(\d+\))?$/.test(t)) return new TimestampMicrosecond();
  const array = /^array\((.*)\)$/.exec(t);
  if (array) return new List(new Field('item', arrowTypeOfTrino(array[1]!, column), true));
  throw new OfflineStoreError(
    { step: 'reading the result' },
    `Column ${column} has Trino type ${type}, which @mlops/feast does not read; cast it in the source query (to varchar, double, bigint, boolean, date or timestamp).`,
  );
}

const DAY_MS = 86_400_000;

/** Days since the epoch of 'YYYY-MM-DD'. */
function epochDays(text: string): number {
  return Math.round(Date.UTC(+text.slice(0, 4), +text.slice(5, 7) - 1, +text.slice(8, 10)) / DAY_MS);
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The offset of a named zone at a UTC instant, in minutes (for zones other than UTC and ±HH:MM). */
function zoneOffsetMinutes(zone: string, utcMs: number): number {
  let format = zoneFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    zoneFormats.set(zone, format);
  }
  const name = format.formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/**
 * µs since the epoch of Trino's 'YYYY-MM-DD HH:MM:SS[.fffffffff][ zone]' (zone: UTC, ±HH:MM or a region);
 * digits beyond the microsecond are floored, as the PostgreSQL path floors nanoseconds.
 */
export function trinoTimestampMicros(text: string): bigint {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?: (.+))?$/.exec(text);
  if (!m) {
    throw new OfflineStoreError(
      { step: 'reading the result' },
      `Trino sent ${JSON.stringify(text)} for a timestamp.`,
    );
  }
  const wallMs = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const fraction = m[7] ? BigInt(m[7].padEnd(6, '0').slice(0, 6)) : 0n;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone !== 'UTC' && zone !== 'Z' && zone !== 'Etc/UTC') {
    const o = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
    if (o) offsetMinutes = (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3]));
    else {
      offsetMinutes = zoneOffsetMinutes(zone, wallMs);
      // Once more at the corrected instant, for wall times near a DST change.
      offsetMinutes = zoneOffsetMinutes(zone, wallMs - offsetMinutes * 60_000);
    }
  }
  return (BigInt(wallMs) - BigInt(offsetMinutes * 60_000)) * 1000n + fraction;
}

function floatOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string') return Number(value);
  if (typeof value === 'bigint') return Number(value);
  return Number.NaN;
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'base64'));
}

/** One column being filled, row by row. */
interface ColumnBuilder {
  append(value: unknown): void;
  finish(): Data;
}

class Validity {
  bitmap = new Uint8Array(64);
  nulls = 0;
  set(i: number, valid: boolean): void {
    if (i >> 3 >= this.bitmap.length) {
      const grown = new Uint8Array(this.bitmap.length * 2);
      grown.set(this.bitmap);
      this.bitmap = grown;
    }
    if (valid) this.bitmap[i >> 3]! |= 1 << (i & 7);
    else this.nulls++;
  }
}

type Fixed = BigInt64Array | Int32Array | Float64Array | Float32Array;

class FixedBuilder implements ColumnBuilder {
  #values: Fixed;
  #length = 0;
  readonly #validity = new Validity();
  constructor(
    readonly type: DataType,
    readonly make: (n: number) => Fixed,
    readonly convert: (value: unknown) => number | bigint,
  ) {
    this.#values = make(1024);
  }
  append(value: unknown): void {
    const i = this.#length++;
    if (i >= this.#values.length) {
      const grown = this.make(this.#values.length * 2);
      grown.set(this.#values as never);
      this.#values = grown;
    }
    const valid = value !== null && value !== undefined;
    this.#validity.set(i, valid);
    if (valid) (this.#values as Float64Array)[i] = this.convert(value) as number;
  }
  finish(): Data {
    const n = this.#length;
    const nulls = this.#validity.nulls;
    return makeData({
      type: this.type as Int32,
      length: n,
      nullCount: nulls,
      ...(nulls > 0 ? { nullBitmap: this.#validity.bitmap.subarray(0, (n + 7) >> 3) } : {}),
      data: this.#values.subarray(0, n) as Int32Array,
    });
  }
}

class BoolBuilder implements ColumnBuilder {
  #length = 0;
  readonly #values = new Validity();
  readonly #validity = new Validity();
  append(value: unknown): void {
    const i = this.#length++;
    const valid = value !== null && value !== undefined;
    this.#validity.set(i, valid);
    this.#values.set(i, value === true);
  }
  finish(): Data {
    const n = this.#length;
    const nulls = this.#validity.nulls;
    return makeData({
      type: new Bool(),
      length: n,
      nullCount: nulls,
      ...(nulls > 0 ? { nullBitmap: this.#validity.bitmap.subarray(0, (n + 7) >> 3) } : {}),
      data: this.#values.bitmap.subarray(0, (n + 7) >> 3),
    });
  }
}

const encoder = new TextEncoder();

class BytesBuilder implements ColumnBuilder {
  #parts: Uint8Array[] = [];
  #length = 0;
  readonly #validity = new Validity();
  constructor(readonly binary: boolean) {}
  append(value: unknown): void {
    const i = this.#length++;
    const valid = value !== null && value !== undefined;
    this.#validity.set(i, valid);
    if (!valid) this.#parts.push(new Uint8Array(0));
    else if (this.binary) this.#parts.push(base64Bytes(String(value)));
    else this.#parts.push(encoder.encode(typeof value === 'string' ? value : JSON.stringify(value)));
  }
  finish(): Data {
    const n = this.#length;
    const offsets = new Int32Array(n + 1);
    let size = 0;
    for (let i = 0; i < n; i++) {
      size += this.#parts[i]!.length;
      offsets[i + 1] = size;
    }
    const data = new Uint8Array(size);
    for (let i = 0; i < n; i++) data.set(this.#parts[i]!, offsets[i]!);
    const nulls = this.#validity.nulls;
    const base = {
      length: n,
      nullCount: nulls,
      ...(nulls > 0 ? { nullBitmap: this.#validity.bitmap.subarray(0, (n + 7) >> 3) } : {}),
      valueOffsets: offsets,
      data,
    };
    return this.binary ? makeData({ type: new Binary(), ...base }) : makeData({ type: new Utf8(), ...base });
  }
}

/** Lists: offsets and validity here, the elements in a builder of their own type. */
class ListBuilder implements ColumnBuilder {
  readonly #type: List;
  readonly #child: ColumnBuilder;
  #offsets = new Int32Array(1025);
  #length = 0;
  #elements = 0;
  readonly #validity = new Validity();
  constructor(type: List, trinoType: string) {
    this.#type = type;
    const inner = /^array\((.*)\)$/i.exec(trinoType.trim())?.[1] ?? '';
    this.#child = builderFor(type.children[0]!.type, inner);
  }
  append(value: unknown): void {
    const i = this.#length++;
    if (i + 1 >= this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    const valid = Array.isArray(value);
    this.#validity.set(i, valid);
    if (valid) for (const element of value) this.#child.append(element);
    if (valid) this.#elements += value.length;
    this.#offsets[i + 1] = this.#elements;
  }
  finish(): Data {
    const n = this.#length;
    const nulls = this.#validity.nulls;
    return makeData({
      type: this.#type,
      length: n,
      nullCount: nulls,
      ...(nulls > 0 ? { nullBitmap: this.#validity.bitmap.subarray(0, (n + 7) >> 3) } : {}),
      valueOffsets: this.#offsets.subarray(0, n + 1),
      child: this.#child.finish(),
    });
  }
}

function builderFor(type: DataType, trinoType: string): ColumnBuilder {
  if (DataType.isInt(type)) {
    return type.bitWidth === 64
      ? new FixedBuilder(
          type,
          (n) => new BigInt64Array(n),
          (v) => (typeof v === 'bigint' ? v : BigInt(v as number)),
        )
      : new FixedBuilder(
          type,
          (n) => new Int32Array(n),
          (v) => v as number,
        );
  }
  if (DataType.isFloat(type)) {
    return type.precision === 2
      ? new FixedBuilder(type, (n) => new Float64Array(n), floatOf)
      : new FixedBuilder(type, (n) => new Float32Array(n), floatOf);
  }
  if (DataType.isTimestamp(type)) {
    return new FixedBuilder(
      type,
      (n) => new BigInt64Array(n),
      (v) => trinoTimestampMicros(String(v)),
    );
  }
  if (DataType.isDate(type))
    return new FixedBuilder(
      type,
      (n) => new Int32Array(n),
      (v) => epochDays(String(v)),
    );
  if (DataType.isBool(type)) return new BoolBuilder();
  if (DataType.isBinary(type)) return new BytesBuilder(true);
  if (DataType.isUtf8(type)) return new BytesBuilder(false);
  if (DataType.isList(type)) return new ListBuilder(type, trinoType);
  throw new OfflineStoreError(
    { step: 'reading the result' },
    `No Arrow builder for Trino type ${trinoType}.`,
  );
}

/**
 * Rows of Trino pages into record batches of at most `batchRows` rows: push pages, take the full batches,
 * then `end()` for the last one.
 */
export class TrinoArrowDecoder {
  readonly schema: Schema;
  readonly #columns: readonly TrinoColumn[];
  readonly #batchRows: number;
  #builders: ColumnBuilder[];
  #rows = 0;

  constructor(columns: readonly TrinoColumn[], options: { batchRows: number }) {
    this.#columns = columns;
    this.#batchRows = options.batchRows;
    this.schema = new Schema(columns.map((c) => new Field(c.name, arrowTypeOfTrino(c.type, c.name), true)));
    this.#builders = this.#fresh();
  }

  #fresh(): ColumnBuilder[] {
    return this.schema.fields.map((f, i) => builderFor(f.type, this.#columns[i]!.type));
  }

  /** Adds rows; returns the batches that filled up. */
  push(rows: readonly unknown[][]): RecordBatch[] {
    const out: RecordBatch[] = [];
    const width = this.#builders.length;
    for (const row of rows) {
      if (!Array.isArray(row) || row.length !== width) {
        throw new OfflineStoreError(
          { step: 'reading the result' },
          `Trino sent a row of ${Array.isArray(row) ? row.length : typeof row} values for ${width} columns.`,
        );
      }
      for (let c = 0; c < width; c++) this.#builders[c]!.append(row[c]);
      if (++this.#rows === this.#batchRows) out.push(this.#flush());
    }
    return out;
  }

  /** The last, partial batch (none when it would be empty). */
  end(): RecordBatch[] {
    return this.#rows > 0 ? [this.#flush()] : [];
  }

  #flush(): RecordBatch {
    const children = this.#builders.map((b) => b.finish());
    const length = this.#rows;
    this.#builders = this.#fresh();
    this.#rows = 0;
    return new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length, children }));
  }
}
