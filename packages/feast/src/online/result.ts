import type { FeastValue } from '../codec/value';
import { listElementType, ValueType } from '../codec/value-type';

/** The status of one value, as Feast's serving API names them. */
export type FieldStatus = 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

/** One column of a result: a value, a status and an event timestamp per entity row. */
export interface FeatureColumn {
  values: FeastValue[];
  statuses: FieldStatus[];
  /** When the value was written (its event timestamp); null when there is none. */
  eventTimestamps: Array<Date | null>;
}

/**
 * Online features, column-oriented like the feature server's answer: join keys first, then the features in
 * the order asked. Whichever backend served it (Redis directly or the feature server), it looks the same.
 */
export class OnlineFeaturesResult {
  /** Column names: the request's join keys, then the features. */
  readonly featureNames: readonly string[];
  readonly columns: Readonly<Record<string, FeatureColumn>>;
  readonly rowCount: number;
  /** Feast's ValueType of each column, from the registry (see ValueType). */
  readonly valueTypes: Readonly<Record<string, number>>;

  constructor(
    featureNames: string[],
    columns: Record<string, FeatureColumn>,
    rowCount: number,
    valueTypes: Record<string, number>,
  ) {
    this.featureNames = Object.freeze(featureNames);
    this.columns = Object.freeze(columns);
    this.rowCount = rowCount;
    this.valueTypes = Object.freeze(valueTypes);
  }

  /** `{ driver_id: [1001, 1002], conv_rate: [0.5, null] }`, as Feast Python's `to_dict()`. */
  toDict(): Record<string, FeastValue[]> {
    return Object.fromEntries(this.featureNames.map((name) => [name, this.columns[name]!.values]));
  }

  /** One object per entity row: `[{ driver_id: 1001, conv_rate: 0.5 }, ...]`. */
  toObjects(): Array<Record<string, FeastValue>> {
    const out: Array<Record<string, FeastValue>> = [];
    for (let row = 0; row < this.rowCount; row++) {
      const record: Record<string, FeastValue> = {};
      for (const name of this.featureNames) record[name] = this.columns[name]!.values[row]!;
      out.push(record);
    }
    return out;
  }

  /** One array per entity row, values in `featureNames` order. */
  toRows(): FeastValue[][] {
    const columns = this.featureNames.map((name) => this.columns[name]!.values);
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
      const values = this.columns[name]!.values;
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
