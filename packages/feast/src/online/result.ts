import type { FeastValue } from '../codec/value';
import { listElementType, ValueType } from '../codec/value-type';

/** The status of one value, as Feast's serving API names them. */
export type FieldStatus = 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

/**
 * The value types of features, by `"view:feature"` reference, for typed results. Empty here: a registry codegen
 * (the platform's `mlops feast codegen`) fills it in by declaration merging, and a result column of a listed
 * feature is then typed `T | null` instead of FeastValue:
 *
 * ```ts
 * declare module '@mlops/feast' {
 *   interface FeastFeatureTypes { 'driver_hourly_stats:conv_rate': number; 'driver_hourly_stats:avg_daily_trips': bigint }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging (see above).
export interface FeastFeatureTypes {}

/**
 * Settings a registry codegen declares by declaration merging. With `strictFeatureRefs: true` (what `mlops feast
 * codegen` writes unless `--no-strict`), a literal feature reference that is not a key of FeastFeatureTypes is a
 * compile error wherever a `features` list is written (a list built at run time, a `string[]`, is still taken).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging (see above).
export interface FeastCodegenOptions {}

/** The feature references a literal may name: FeastFeatureTypes' keys under `strictFeatureRefs`, else any string. */
export type KnownFeatureRef = FeastCodegenOptions extends { strictFeatureRefs: true }
  ? keyof FeastFeatureTypes & string
  : string;

/**
 * What a `features` list that failed the literal overload must be: anything when its elements are not literals
 * (`string[]`), else known references only, so a misspelt literal fails here too instead of slipping through as
 * an open request (the error then names the reference and FeastFeatureTypes).
 */
export type CheckedFeatureRefs<Refs extends readonly string[] | undefined> =
  string extends NonNullable<Refs>[number] ? unknown : readonly KnownFeatureRef[];

/** The column name a `"view:feature"` reference gets: `feature`, or `view__feature` with fullFeatureNames. */
export type OutputName<
  Ref extends string,
  Full extends boolean = false,
> = Ref extends `${infer View}:${infer Feature}`
  ? Full extends true
    ? `${View}__${Feature}`
    : Feature
  : never;

/** The value type of a reference: from FeastFeatureTypes when listed there, else FeastValue. */
export type FeatureValueOf<Ref extends string> = Ref extends keyof FeastFeatureTypes
  ? FeastFeatureTypes[Ref] | null
  : FeastValue;

/**
 * Column name → value type of a request for `Refs` (a const tuple of `"view:feature"`) by join keys `Keys`:
 * what `OnlineFeaturesResult`'s `columns` and `toObjects()` are keyed and typed by.
 */
export type OnlineColumnsOf<Refs extends string, Keys extends string, Full extends boolean = false> = {
  [K in Keys]: FeastValue;
} & { [R in Refs as OutputName<R, Full>]: FeatureValueOf<R> };

/**
 * The columns of a result for features `Refs` by join keys `Keys`: named and typed when the references are
 * literals (a const tuple), else any name (`Record<string, FeastValue>`).
 */
export type OnlineResultColumns<
  Refs extends string,
  Keys extends string,
  Full extends boolean = false,
> = string extends Refs ? Record<string, FeastValue> : OnlineColumnsOf<Refs, Keys, Full>;

/** One column of a result: a value, a status and an event timestamp per entity row. */
export interface FeatureColumn<V = FeastValue> {
  values: V[];
  statuses: FieldStatus[];
  /** When the value was written (its event timestamp); null when there is none. */
  eventTimestamps: Array<Date | null>;
}

/**
 * Where a result's columns come from when they are assembled on first use (the direct Redis read decodes every
 * value up front, but builds columns only when something reads them).
 */
export interface ColumnSource {
  /** The values of one column, a fresh array. */
  values(name: string): FeastValue[];
  /** One whole column. */
  column(name: string): FeatureColumn;
}

/**
 * Online features, column-oriented like the feature server's answer: join keys first, then the features in
 * the order asked. Whichever backend served it (Redis directly or the feature server), it looks the same.
 */
export class OnlineFeaturesResult<C extends Record<string, unknown> = Record<string, FeastValue>> {
  /** Column names: the request's join keys, then the features. */
  readonly featureNames: ReadonlyArray<keyof C & string>;
  readonly rowCount: number;
  /** Feast's ValueType of each column, from the registry (see ValueType). */
  readonly valueTypes: Readonly<Record<string, number>>;
  #columns: Readonly<Record<string, FeatureColumn<unknown>>> | undefined;
  readonly #source: ColumnSource | undefined;
  /** Values per column read through the source (toDict, toObjects, toRows, toArrow share them). */
  #values: Map<string, unknown[]> | undefined;

  constructor(
    featureNames: string[],
    columns: Record<string, FeatureColumn> | ColumnSource,
    rowCount: number,
    valueTypes: Record<string, number>,
  ) {
    // The names and columns are the ones the request planned: C only names them for the type checker.
    this.featureNames = Object.freeze(featureNames) as ReadonlyArray<keyof C & string>;
    if (isColumnSource(columns)) this.#source = columns;
    else this.#columns = Object.freeze(columns);
    this.rowCount = rowCount;
    this.valueTypes = Object.freeze(valueTypes);
  }

  /**
   * Each column by name. Asked with a const tuple of features (`features: [...] as const`, or a literal array),
   * the names are known: `result.columns.conv_rate` is a column, an unknown name a type error. Assembled on
   * first read.
   */
  get columns(): Readonly<{ [K in keyof C]: FeatureColumn<C[K]> }> {
    if (!this.#columns) {
      const source = this.#source!;
      const columns: Record<string, FeatureColumn<unknown>> = {};
      for (const name of this.featureNames) {
        const column = source.column(name);
        const values = this.#values?.get(name);
        columns[name] = values ? { ...column, values } : column;
      }
      this.#columns = Object.freeze(columns);
    }
    return this.#columns as Readonly<{ [K in keyof C]: FeatureColumn<C[K]> }>;
  }

  /** `{ driver_id: [1001, 1002], conv_rate: [0.5, null] }`, as Feast Python's `to_dict()`. */
  toDict(): { [K in keyof C]: C[K][] } {
    const out: Record<string, unknown[]> = {};
    for (const name of this.featureNames) out[name] = this.#valuesOf(name);
    return out as { [K in keyof C]: C[K][] };
  }

  /** A column's values: the column's own array once columns exist, else read once from the source. */
  #valuesOf(name: string): unknown[] {
    if (this.#columns) return this.#columns[name]!.values;
    this.#values ??= new Map();
    let values = this.#values.get(name);
    if (!values) {
      values = this.#source!.values(name);
      this.#values.set(name, values);
    }
    return values;
  }

  /** One object per entity row: `[{ driver_id: 1001, conv_rate: 0.5 }, ...]`. */
  toObjects(): C[] {
    const names = this.featureNames;
    const columns = names.map((name) => this.#valuesOf(name));
    const out: C[] = [];
    for (let row = 0; row < this.rowCount; row++) {
      const record: Record<string, unknown> = {};
      for (let c = 0; c < names.length; c++) record[names[c]!] = columns[c]![row];
      out.push(record as C);
    }
    return out;
  }

  /** One array per entity row, values in `featureNames` order. */
  toRows(): FeastValue[][] {
    const columns = this.featureNames.map((name) => this.#valuesOf(name) as FeastValue[]);
    const out: FeastValue[][] = [];
    for (let row = 0; row < this.rowCount; row++) out.push(columns.map((values) => values[row]!));
    return out;
  }

  /**
   * An Apache Arrow table, one column per name, typed from the registry: INT32 → Int32, INT64 → Int64,
   * FLOAT → Float32, DOUBLE → Float64, STRING → Utf8, BYTES → Binary, BOOL → Bool, UNIX_TIMESTAMP →
   * Timestamp (ms, UTC), their lists → List of those; other types (maps, JSON, structs, ...) → Utf8 JSON.
   * Loads apache-arrow on first use.
   */
  async toArrow(): Promise<import('apache-arrow').Table> {
    const arrow = await import('apache-arrow');
    const vectors: Record<string, import('apache-arrow').Vector> = {};
    for (const name of this.featureNames) {
      const valueType = this.valueTypes[name] ?? ValueType.UNKNOWN;
      const type = arrowType(arrow, valueType);
      const values = this.#valuesOf(name) as FeastValue[];
      vectors[name] = arrow.vectorFromArray(
        type ? arrowValues(values, valueType) : values.map(jsonText),
        type ?? new arrow.Utf8(),
      );
    }
    return new arrow.Table(vectors);
  }
}

type Arrow = typeof import('apache-arrow');

function arrowType(arrow: Arrow, type: number): import('apache-arrow').DataType | undefined {
  switch (type) {
    case ValueType.INT32:
      return new arrow.Int32();
    case ValueType.INT64:
      return new arrow.Int64();
    case ValueType.FLOAT:
      return new arrow.Float32();
    case ValueType.DOUBLE:
      return new arrow.Float64();
    case ValueType.STRING:
      return new arrow.Utf8();
    case ValueType.BYTES:
    case ValueType.PDF_BYTES:
    case ValueType.IMAGE_BYTES:
      return new arrow.Binary();
    case ValueType.BOOL:
      return new arrow.Bool();
    case ValueType.UNIX_TIMESTAMP:
      return new arrow.TimestampMillisecond('UTC');
    default: {
      const element = listElementType(type);
      if (element === undefined) return undefined;
      return new arrow.List(new arrow.Field('item', arrowType(arrow, element)!, true));
    }
  }
}

/** Types Arrow has no column type for here travel as JSON text (bigints as decimal text). */
function jsonText(value: FeastValue): string | null {
  if (value === null) return null;
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v,
  );
}

/**
 * Values as the Arrow builder of their type takes them. Join key columns hold the request's values as given,
 * so an INT64 key asked for as `1001` (a safe integer, which the request check allows) becomes `1001n`, an INT32
 * key asked for as `7n` becomes `7`, and a UNIX_TIMESTAMP key given in epoch seconds becomes its Date.
 */
function arrowValues(values: readonly FeastValue[], valueType: number): readonly FeastValue[] {
  switch (valueType) {
    case ValueType.INT64:
      return values.some((v) => typeof v === 'number')
        ? values.map((v) => (typeof v === 'number' ? BigInt(v) : v))
        : values;
    case ValueType.INT32:
      return values.some((v) => typeof v === 'bigint')
        ? values.map((v) => (typeof v === 'bigint' ? Number(v) : v))
        : values;
    case ValueType.UNIX_TIMESTAMP:
      return values.some((v) => typeof v === 'number' || typeof v === 'bigint')
        ? values.map((v) => (typeof v === 'number' || typeof v === 'bigint' ? new Date(Number(v) * 1000) : v))
        : values;
    default:
      return values;
  }
}

function isColumnSource(value: Record<string, FeatureColumn> | ColumnSource): value is ColumnSource {
  return (
    typeof (value as Partial<ColumnSource>).column === 'function' &&
    typeof (value as Partial<ColumnSource>).values === 'function'
  );
}
