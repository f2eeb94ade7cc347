import { type RecordBatch, type Table, type TimeUnit, Type, type Vector } from 'apache-arrow';
import { escapeIdentifier } from 'pg';
import { epochMicrosOf, microsToDate, microsToIso, type TimeInput } from '../codec/instant';
import type { FeastTimestamp } from '../codec/timestamp';
import { InvalidFeatureRequestError, type MaterializeCheckpoint } from '../errors';
import { isEntityLess } from '../online/request-plan';
import type { OnlineWriteRow } from '../online/write';
import type { FeatureView } from '../registry/model';
import { oidForValueType, toMicros } from './entity-df';
import { PG_OID, pgTypeName } from './pg-copy';
import { batchSourceOf, SETTING_PREFIX, sourceColumnOf, sourceFrom } from './plan';
import { type OfflineSession, type SettingsQuery, type StreamOptions, streamQuery } from './session';

/** The source columns a view's rows are read from (before its field_mapping), and how to order them. */
export interface PullLatestPlan {
  view: FeatureView;
  keyColumns: string[];
  featureColumns: string[];
  timestampColumn: string;
  createdColumn: string | undefined;
  query: SettingsQuery;
}

/** [start, end] as µs since the epoch, each any TimeInput; refused when either is not a time or start > end. */
export function materializeBounds(start: unknown, end: unknown): { start: bigint; end: bigint } {
  const bound = (value: unknown, name: string) =>
    epochMicrosOf(value, (problem) => {
      throw new InvalidFeatureRequestError(`${name}: ${problem}.`);
    });
  const range = { start: bound(start, 'start'), end: bound(end, 'end') };
  if (range.start > range.end) {
    throw new InvalidFeatureRequestError(
      `start (${microsToIso(range.start)}) is after end (${microsToIso(range.end)}); nothing can be materialized.`,
    );
  }
  return range;
}

/** What every offline store's pull-latest query is built from: the checked range, source and columns. */
export interface PullLatestShape {
  start: bigint;
  end: bigint;
  /** The source as the store's SQL names it. */
  from: string;
  keyColumns: string[];
  featureColumns: string[];
  timestampColumn: string;
  createdColumn: string | undefined;
}

/**
 * The common part of every store's pull-latest query: [start, end] checked, on-demand views refused, the
 * source's columns (before the view's field_mapping) and its timestamps, and a checkpoint's keys checked
 * against the view's join keys.
 */
export function pullLatestShape(
  view: FeatureView,
  startInput: unknown,
  endInput: unknown,
  after: readonly string[] | undefined,
  fromOf: (source: ReturnType<typeof batchSourceOf>, viewName: string) => string,
): PullLatestShape {
  const { start, end } = materializeBounds(startInput, endInput);
  if (view.kind === 'on_demand_feature_view') {
    throw new InvalidFeatureRequestError(
      `${view.name} is an on-demand feature view: it has no stored rows to read. Pull its source views.`,
    );
  }
  const source = batchSourceOf(view);
  const from = fromOf(source, view.name);
  const sourceColumn = sourceColumnOf(source);
  const keyColumns = isEntityLess(view) ? [] : view.entityColumns.map((c) => sourceColumn(c.name));
  const featureColumns = view.features.map((f) => sourceColumn(f.name));
  if (!source.timestampField) {
    throw new InvalidFeatureRequestError(`The source of feature view ${view.name} has no timestamp_field.`);
  }
  if (after !== undefined && keyColumns.length > 0 && after.length !== keyColumns.length) {
    throw new InvalidFeatureRequestError(
      `The checkpoint of ${view.name} has ${after.length} key values; the view has ${keyColumns.length} join keys.`,
    );
  }
  return {
    start,
    end,
    from,
    keyColumns,
    featureColumns,
    timestampColumn: source.timestampField,
    createdColumn: source.createdTimestampColumn || undefined,
  };
}

/**
 * The latest row of each entity of a view with an event timestamp in [start, end], latest created timestamp
 * first on ties: what Feast's materialization writes to the online store. Columns keep their source names
 * (the online writer applies the view's field_mapping, as Feast does).
 */
export function pullLatestPlan(
  view: FeatureView,
  startInput: TimeInput,
  endInput: TimeInput,
  after?: readonly string[],
): PullLatestPlan {
  const { start, end, from, keyColumns, featureColumns, timestampColumn, createdColumn } = pullLatestShape(
    view,
    startInput,
    endInput,
    after,
    sourceFrom,
  );
  const q = escapeIdentifier;
  const ts = `s.${q(timestampColumn)}`;
  const columns = [...new Set([...keyColumns, ...featureColumns, timestampColumn])].map((c) => `s.${q(c)}`);
  const order = [...keyColumns.map((c) => `s.${q(c)}`), `${ts} DESC`];
  if (createdColumn) order.push(`s.${q(createdColumn)} DESC NULLS LAST`);
  const startSetting = `${SETTING_PREFIX}.start`;
  const endSetting = `${SETTING_PREFIX}.end`;
  const settings: Record<string, string> = {
    // ISO 8601 with microseconds: PostgreSQL reads it to the microsecond.
    [startSetting]: microsToIso(start),
    [endSetting]: microsToIso(end),
  };
  const where = [
    `${ts} BETWEEN current_setting('${startSetting}')::timestamptz AND current_setting('${endSetting}')::timestamptz`,
  ];
  // Resuming: entities come in key order, so "after the last one written" is a row comparison on the keys.
  if (after !== undefined && keyColumns.length > 0) {
    const bounds = view.entityColumns.map((column, i) => {
      const name = `${SETTING_PREFIX}.after_${i}`;
      settings[name] = after[i]!;
      const type = pgTypeName(oidForValueType(column.valueType) ?? PG_OID.TEXT);
      return `current_setting('${name}')::${type}`;
    });
    where.push(`(${keyColumns.map((c) => `s.${q(c)}`).join(', ')}) > (${bounds.join(', ')})`);
  }
  const text = [
    `SELECT ${keyColumns.length > 0 ? `DISTINCT ON (${keyColumns.map((c) => `s.${q(c)}`).join(', ')}) ` : ''}${columns.join(', ')}`,
    `FROM ${from} AS s`,
    `WHERE ${where.join(' AND ')}`,
    `ORDER BY ${order.join(', ')}`,
    ...(keyColumns.length === 0 ? ['LIMIT 1'] : []),
  ].join('\n');
  return {
    view,
    keyColumns,
    featureColumns,
    timestampColumn,
    createdColumn,
    query: { text, settings },
  };
}

/** The latest rows of a view in [start, end], after a checkpoint's keys, as record batches in join-key order. */
export type PullLatestReader = (
  view: FeatureView,
  range: { start: bigint; end: bigint },
  after: string[] | undefined,
  options: StreamOptions & { step: string },
) => AsyncIterable<RecordBatch>;

/** µs since the epoch of an Arrow timestamp cell, whatever its unit. */
function timestampMicros(vector: Vector, row: number): bigint | null {
  // Find the chunk holding the row and read its raw 64-bit value (get() would round to ms).
  let offset = row;
  for (const data of vector.data) {
    if (offset < data.length) {
      if (!data.getValid(offset)) return null;
      return toMicros((data.values as BigInt64Array)[offset]!, (data.type as { unit: TimeUnit }).unit);
    }
    offset -= data.length;
  }
  return null;
}

/** An Arrow cell as the online writer takes it. */
function cell(vector: Vector, row: number): unknown {
  // Timestamps from the raw values: get() rounds to ms and throws beyond ±2^53 ms.
  if (vector.type.typeId === Type.Timestamp) {
    const micros = timestampMicros(vector, row);
    return micros === null ? null : new Date(Number(micros / 1000n));
  }
  const value = vector.get(row) as unknown;
  if (value === null || value === undefined) return null;
  switch (vector.type.typeId) {
    case Type.Date:
      return new Date(value as number);
    case Type.List: {
      const inner = value as Vector;
      return Array.from({ length: inner.length }, (_, i) => cell(inner, i));
    }
    default:
      return value;
  }
}

/**
 * Record batch rows as objects for the online writer. The event timestamp column becomes a FeastTimestamp
 * (seconds + nanos), keeping the microseconds a Date would lose: Feast writes them into `_ts`.
 */
export function batchRows(batch: RecordBatch | Table, eventTimestampColumn?: string): OnlineWriteRow[] {
  const fields = batch.schema.fields;
  const vectors = fields.map((_, i) => batch.getChildAt(i)!);
  const eventIndex = fields.findIndex(
    (f) => f.name === eventTimestampColumn && f.type.typeId === Type.Timestamp,
  );
  const rows: OnlineWriteRow[] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++) {
      if (c === eventIndex) {
        const micros = timestampMicros(vectors[c]!, r);
        row[fields[c]!.name] = micros === null ? null : feastTimestampOfMicros(micros);
      } else {
        row[fields[c]!.name] = cell(vectors[c]!, r);
      }
    }
    rows[r] = row as OnlineWriteRow;
  }
  return rows;
}

function feastTimestampOfMicros(micros: bigint): FeastTimestamp {
  let seconds = micros / 1_000_000n;
  let rest = micros % 1_000_000n;
  if (rest < 0n) {
    rest += 1_000_000n;
    seconds -= 1n;
  }
  return { seconds, nanos: Number(rest) * 1000 };
}

export interface MaterializeProgress {
  featureView: string;
  /** The view's place in this run (0-based) and how many views the run has. */
  viewIndex: number;
  viewCount: number;
  /** Entity rows read from the offline store so far for this view. */
  rows: number;
  written: number;
  /** Rows Redis already held at least as new a value for. */
  skipped: number;
  /** True once this view is done (and its interval recorded). */
  done: boolean;
  /** Where to pick up if the run stops after this event: pass it as `resume` (it is plain JSON). */
  checkpoint: MaterializeCheckpoint;
}

/** A join key value as the text PostgreSQL casts back to its type. */
export function keyText(value: unknown): string {
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export interface MaterializeViewResult {
  featureView: string;
  /** The range materialized, as Dates (floored to the millisecond; the run itself used the microseconds). */
  start: Date;
  end: Date;
  rows: number;
  written: number;
  skipped: number;
}

export interface MaterializeRunOptions extends StreamOptions {
  /** Rows per batch read from PostgreSQL and written to Redis (default 10 000). */
  batchSize?: number;
  onProgress?: (progress: MaterializeProgress) => void;
  /** Continue a run that stopped: the checkpoint of its last progress event, or of its MaterializeError. */
  resume?: MaterializeCheckpoint;
}

/**
 * The views Feast's materialize would pick: the named ones (each must be an online, stored view), or every
 * online batch and stream view of the project.
 */
export function viewsToMaterialize(
  all: readonly FeatureView[],
  names: readonly string[] | undefined,
  get: (name: string) => FeatureView,
): FeatureView[] {
  if (names === undefined) return all.filter((v) => v.kind !== 'on_demand_feature_view' && v.online);
  return names.map((name) => {
    const view = get(name);
    if (view.kind === 'on_demand_feature_view') {
      throw new InvalidFeatureRequestError(
        `${name} is an on-demand feature view: its values are computed by Python at request time, not materialized from the offline store.`,
      );
    }
    if (!view.online) {
      throw new InvalidFeatureRequestError(
        `${name} is not an online feature view (online=False), so it is not materialized.`,
      );
    }
    return view;
  });
}

/**
 * Loads one view's latest rows in [start, end] from PostgreSQL into Redis, batch by batch, as Feast's
 * materialization does; reports progress after each batch. Writing is idempotent (Redis keeps the newest
 * event per entity), so a run that failed part-way is resumed by running it again.
 */
export async function materializeView(
  view: FeatureView,
  range: { start: bigint; end: bigint },
  io: {
    open: (settings: Record<string, string>) => Promise<OfflineSession>;
    write: (view: FeatureView, rows: OnlineWriteRow[]) => Promise<{ written: number; skipped: number }>;
    /** Reads the latest rows another way than PostgreSQL (the Trino offline store), in join-key order. */
    pullLatest?: PullLatestReader;
  },
  options: MaterializeRunOptions & {
    viewIndex: number;
    viewCount: number;
    /** Resume after these key values (text), when the run stopped inside this view. */
    after: string[] | undefined;
    /** The checkpoint of this view at a given place; kept current for the caller's error. */
    checkpoint: (after: string[] | undefined) => MaterializeCheckpoint;
    onCheckpoint: (checkpoint: MaterializeCheckpoint) => void;
  },
): Promise<MaterializeViewResult> {
  const plan = pullLatestPlan(view, range.start, range.end, options.after);
  const result: MaterializeViewResult = {
    featureView: view.name,
    start: microsToDate(range.start),
    end: microsToDate(range.end),
    rows: 0,
    written: 0,
    skipped: 0,
  };
  const readOptions = {
    ...options,
    batchRows: options.batchSize ?? 10_000,
    step: `reading the latest rows of ${view.name}`,
  };
  const stream = io.pullLatest
    ? io.pullLatest(view, range, options.after, readOptions)
    : streamQuery(() => io.open(plan.query.settings), plan.query.text, readOptions);
  for await (const batch of stream) {
    const rows = batchRows(batch, plan.timestampColumn);
    const { written, skipped } = await io.write(view, rows);
    result.rows += rows.length;
    result.written += written;
    result.skipped += skipped;
    const last = rows.at(-1);
    const after =
      last && plan.keyColumns.length > 0 ? plan.keyColumns.map((c) => keyText(last[c])) : undefined;
    const checkpoint = options.checkpoint(after);
    options.onCheckpoint(checkpoint);
    options.onProgress?.({
      featureView: view.name,
      viewIndex: options.viewIndex,
      viewCount: options.viewCount,
      rows: result.rows,
      written: result.written,
      skipped: result.skipped,
      done: false,
      checkpoint,
    });
  }
  return result;
}
