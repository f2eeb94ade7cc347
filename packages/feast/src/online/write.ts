import { rowsToColumns } from '../codec/columns';
import { DUMMY_ENTITY_KEY, type EntityKeyPart, type EntityKeyValueType, redisKey } from '../codec/entity-key';
import { EncodeError } from '../codec/errors';
import {
  epochMicrosOf,
  microsToIso,
  microsToSecondsNanos,
  secondsNanosToMicros,
  type TimeInput,
} from '../codec/instant';
import { featureFieldName, timestampFieldName } from '../codec/murmur3';
import {
  decodeTimestamp,
  encodeTimestamp,
  type FeastTimestamp,
  timestampToEpochNanos,
} from '../codec/timestamp';
import { encodeValue, type FeastValueInput } from '../codec/value';
import { type ValueType, valueTypeName } from '../codec/value-type';
import type { RedisOnlineStoreConfig } from '../config/repo-config';
import { InvalidFeatureRequestError } from '../errors';
import type { FeatureView } from '../registry/model';
import { hex, type RedisOnlineStore } from './redis-online-store';

/**
 * One row to write: the view's join keys, its features, and its event timestamp column (any TimeInput: a Date,
 * an ISO 8601 string with a zone, a bigint of µs since the epoch, a Temporal.Instant; or a FeastTimestamp).
 * The event time keeps its microseconds.
 */
export type OnlineWriteRow = Readonly<Record<string, FeastValueInput | TimeInput | FeastTimestamp>>;

export interface OnlineWriteResult {
  /** Rows written. */
  written: number;
  /** Rows skipped because Redis (or an earlier row of the batch) already holds a value at least as new. */
  skipped: number;
}

function invalid(message: string): InvalidFeatureRequestError {
  return new InvalidFeatureRequestError(message);
}

function isFeastTimestamp(value: unknown): value is FeastTimestamp {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FeastTimestamp).seconds === 'bigint' &&
    typeof (value as FeastTimestamp).nanos === 'number'
  );
}

/** The event time of a row as µs since the epoch: any TimeInput, or a FeastTimestamp (nanos floored). */
function eventMicrosOf(value: unknown, column: string, row: number): bigint {
  if (isFeastTimestamp(value)) return secondsNanosToMicros(value.seconds, value.nanos);
  return epochMicrosOf(value, (problem) => {
    throw invalid(`Row ${row}: ${column}: ${problem}.`);
  });
}

function eventTimestampOf(value: unknown, column: string, row: number): FeastTimestamp {
  // Seconds and nanos as they are (materialization passes these).
  if (isFeastTimestamp(value)) return value;
  return microsToSecondsNanos(eventMicrosOf(value, column, row));
}

/** What a written row of a view must hold (join keys, every feature, the event timestamp), and its field mapping. */
interface WriteShape {
  timestampColumn: string;
  joinKeys: FeatureView['entityColumns'];
  mapping: Readonly<Record<string, string>>;
}

function writeShape(view: FeatureView): WriteShape {
  return {
    timestampColumn: view.batchSource?.timestampField || 'event_timestamp',
    joinKeys: view.entityColumns.filter((c) => c.name !== '__dummy_id'),
    mapping: view.batchSource?.fieldMapping ?? {},
  };
}

/**
 * One row to write, with source column names mapped to feature and join key names as Feast maps them, and
 * refused when it lacks a join key, a feature or the event timestamp: the one check of every write path
 * (Redis and the feature server), so a row missing a column gets the same error on both.
 */
function checkedWriteRow(
  view: FeatureView,
  { timestampColumn, joinKeys, mapping }: WriteShape,
  raw: OnlineWriteRow,
  row: number,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(raw)) record[mapping[column] ?? column] = value;
  for (const key of joinKeys) {
    if (!(key.name in record)) throw invalid(`Row ${row} has no ${key.name}, the join key of ${view.name}.`);
  }
  const missing = view.features.filter((f) => !(f.name in record)).map((f) => f.name);
  if (missing.length > 0) {
    throw invalid(
      `Row ${row} has no ${missing.join(', ')}: every feature of ${view.name} is written (use null for a missing value).`,
    );
  }
  if (!(timestampColumn in record))
    throw invalid(`Row ${row} has no ${timestampColumn}, the event timestamp of ${view.name}.`);
  return record;
}

/** The rows as columns; a row without a column another row has is refused (on both write paths). */

/**
 * Rows to write through the feature server, as the columns of its `df`: each row checked as the Redis path
 * checks it, then the columns the write reads (join keys, features, the event timestamp, under their source
 * names: the server applies the field mapping itself) turned into columns, Dates as ISO-8601 text. Other
 * columns are left out, as the Redis path ignores them.
 */
export function onlineWriteColumns(
  view: FeatureView,
  rows: readonly OnlineWriteRow[],
): Record<string, unknown[]> {
  const shape = writeShape(view);
  const read = new Set([
    ...shape.joinKeys.map((key) => key.name),
    ...view.features.map((feature) => feature.name),
    shape.timestampColumn,
  ]);
  // The server reads the batch source's created column too; the Redis path has no use for it, so a row
  // without one gets its event time there (both paths take the same rows).
  const created = view.batchSource?.createdTimestampColumn || undefined;
  const written = rows.map((raw, row) => {
    checkedWriteRow(view, shape, raw, row);
    const kept: Record<string, OnlineWriteRow[string]> = {};
    for (const [column, value] of Object.entries(raw)) {
      const name = shape.mapping[column] ?? column;
      if (name === created && value !== null && value !== undefined) {
        kept[column] = microsToIso(eventMicrosOf(value, column, row));
      }
      if (!read.has(name)) continue;
      // The event time as ISO 8601 with its microseconds, whatever form it came in (pandas reads it whole).
      kept[column] = name === shape.timestampColumn ? microsToIso(eventMicrosOf(value, column, row)) : value;
    }
    if (created && !(created in kept)) {
      kept[created] = kept[Object.keys(kept).find((c) => (shape.mapping[c] ?? c) === shape.timestampColumn)!];
    }
    return kept;
  });
  const { names, columns } = rowsToColumns(written, (row, name) =>
    invalid(`Row ${row} has no ${name}, which other rows have: every row names its columns alike.`),
  );
  return Object.fromEntries(
    names.map((name, k) => [name, columns[k]!.map((v) => (v instanceof Date ? v.toISOString() : v))]),
  );
}

/**
 * Writes rows of a feature view to Redis as Feast 0.67's `write_to_online_store` does: the batch source's
 * field mapping applied, one hash per entity with `_ts:<view>` and every feature, a row skipped when Redis or an
 * earlier row of the batch already has an event time at least as new (unless `skip_dedup`), and EXPIRE when
 * `key_ttl_seconds` is set. Every row is encoded and checked before anything is written.
 */
export async function writeOnline(
  store: RedisOnlineStore,
  view: FeatureView,
  rows: readonly OnlineWriteRow[],
  options: { project: string; entityKeySerializationVersion: 1 | 2 | 3; config: RedisOnlineStoreConfig },
): Promise<OnlineWriteResult> {
  if (view.kind === 'on_demand_feature_view') {
    throw invalid(
      `${view.name} is an on-demand feature view: it has no stored values to write. Write its source views instead.`,
    );
  }
  const shape = writeShape(view);
  const { timestampColumn, joinKeys } = shape;
  const fieldNames = view.features.map((f) => featureFieldName(view.name, f.name));
  const tsField = timestampFieldName(view.name);

  const prepared = rows.map((raw, row) => {
    const record = checkedWriteRow(view, shape, raw, row);
    const parts: EntityKeyPart[] = joinKeys.map((key) => ({
      joinKey: key.name,
      valueType: key.valueType as EntityKeyValueType,
      value: record[key.name] as EntityKeyPart['value'],
    }));
    const timestamp = eventTimestampOf(record[timestampColumn], timestampColumn, row);
    let key: Uint8Array;
    const fields: Array<[Uint8Array, Uint8Array]> = [[tsField, encodeTimestamp(timestamp)]];
    try {
      key = redisKey(parts.length ? parts : DUMMY_ENTITY_KEY, options.project, {
        version: options.entityKeySerializationVersion,
      });
      for (const [i, feature] of view.features.entries()) {
        // The registry keeps a feature's type as the proto's number; encodeValue refuses one it does not know.
        fields.push([
          fieldNames[i]!,
          encodeValue(record[feature.name] as FeastValueInput, feature.valueType as ValueType, {
            field: feature.name,
          }),
        ]);
      }
    } catch (error) {
      if (EncodeError.isInstance(error)) {
        throw invalid(
          `Row ${row}: ${error.message} (${view.name} has ${[...joinKeys, ...view.features].map((f) => `${f.name} ${valueTypeName(f.valueType)}`).join(', ')}).`,
        );
      }
      throw error;
    }
    return { key, id: hex(key), nanos: timestampToEpochNanos(timestamp), fields };
  });

  let keep = prepared;
  if (!options.config.skipDedup) {
    const stored = await store.hmget(prepared.map((p) => ({ key: p.key, fields: [tsField] })));
    const latest = new Map<string, bigint>();
    keep = prepared.filter((p, i) => {
      const bytes = stored[i]![0];
      const previous = bytes && bytes.length > 0 ? timestampToEpochNanos(decodeTimestamp(bytes)) : 0n;
      const seen = previous > (latest.get(p.id) ?? 0n) ? previous : (latest.get(p.id) ?? 0n);
      if (seen !== 0n && p.nanos <= seen) return false;
      latest.set(p.id, p.nanos);
      return true;
    });
  }
  await store.hset(keep, options.config.keyTtlSeconds);
  return { written: keep.length, skipped: prepared.length - keep.length };
}
