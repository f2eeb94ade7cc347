import { escapeIdentifier } from 'pg';
import { InvalidFeatureRequestError } from '../errors';
import type { DataSource, Feature, FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';
import { isEntityLess, selectFeatures } from '../selection/selection';
import type { SettingsQuery } from './session';

/** What getHistoricalFeatures asks for (the entity rows are described separately, see EntityDf). */
export interface HistoricalFeaturesSelection {
  /** "view:feature" references. Give this or `featureService`. */
  features?: readonly string[];
  /** A feature service's name. Give this or `features`. */
  featureService?: string;
  /** Name feature columns `<view>__<feature>` instead of `<feature>`. Default false. */
  fullFeatureNames?: boolean;
  /**
   * Also ignore feature rows created after the entity row's timestamp (Feast's
   * `filter_by_created_timestamp`). Default false, as in Feast.
   */
  filterByCreatedTimestamp?: boolean;
}

/** One feature view's part of a point-in-time query. */
export interface ViewQueryPlan {
  view: FeatureView;
  /** The name used for `<name>__<feature>`: a feature service's alias, or the view's name. */
  outputPrefix: string;
  source: DataSource;
  /** The SQL that reads the source: a quoted table name, or the source's query in parentheses. */
  from: string;
  /** Entity-frame column ↔ source column, one per join key (none for entity-less views). */
  keys: Array<{ entityColumn: string; sourceColumn: string; joinKey: string; valueType: number }>;
  timestampColumn: string;
  createdColumn: string | undefined;
  /** Whole seconds, as Feast truncates `ttl.total_seconds()`; 0 means no lower bound. */
  ttlSeconds: number;
  features: Array<{ feature: Feature; sourceColumn: string; outputName: string }>;
}

export interface HistoricalPlan {
  views: ViewQueryPlan[];
  /** Output feature column names, in order. */
  featureColumns: string[];
  filterByCreatedTimestamp: boolean;
}

function invalid(message: string): InvalidFeatureRequestError {
  return new InvalidFeatureRequestError(message);
}

/** A plain SQL identifier, optionally schema-qualified: what PostgreSQL folds to lower case when unquoted. */
const PLAIN_TABLE = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

/**
 * The FROM of a PostgreSQL source. Feast pastes a source's `table` into its SQL as it is, so `MyTable` and
 * `analytics.stats` mean what they mean unquoted in PostgreSQL: we quote each part of such a plain name as
 * PostgreSQL would read it (folded to lower case). Any other table name is one identifier, quoted whole, so
 * quotes, semicolons or spaces in it can only ever name a table. A source `query` is SQL by definition.
 */
export function sourceFrom(source: DataSource, viewName: string): string {
  if (source.query !== undefined) return `(${source.query})`;
  if (source.table !== undefined) {
    if (PLAIN_TABLE.test(source.table)) {
      return source.table
        .split('.')
        .map((part) => escapeIdentifier(part.toLowerCase()))
        .join('.');
    }
    return escapeIdentifier(source.table);
  }
  throw invalid(
    `Feature view ${viewName} reads ${source.name || 'a data source'} (${source.type}${source.className ? `, ${source.className}` : ''}), which is not a PostgreSQL table or query: @mlops/feast retrieves historical features from Feast's PostgreSQL offline store only.`,
  );
}

/** Feature or join key name → the source column it comes from (the reverse of the source's field_mapping). */
export function sourceColumnOf(source: DataSource): (name: string) => string {
  const reverse = new Map<string, string>();
  for (const [column, name] of Object.entries(source.fieldMapping)) reverse.set(name, column);
  return (name) => reverse.get(name) ?? name;
}

/** The batch source a view's history lives in (a push source's batch source). */
export function batchSourceOf(view: FeatureView): DataSource {
  let source = view.batchSource;
  if (
    source?.type === 'PUSH_SOURCE' ||
    (source && source.table === undefined && source.query === undefined)
  ) {
    source = source.batchSource ?? source;
  }
  if (!source) throw invalid(`Feature view ${view.name} has no batch source, so it has no history to read.`);
  return source;
}

/**
 * Resolves the requested features to per-view query plans, the way Feast's offline_utils does: source
 * columns through the reverse of the source's field_mapping, join keys through the projection's
 * join_key_map, output names `<feature>` or `<alias or view>__<feature>`. Validates names before any I/O.
 */
export function planHistoricalRequest(
  snapshot: RegistrySnapshot,
  request: HistoricalFeaturesSelection,
): HistoricalPlan {
  const selections = selectFeatures(snapshot, request);
  const onDemand = selections.filter((s) => s.view.kind === 'on_demand_feature_view');
  if (onDemand.length > 0) {
    throw invalid(
      `${onDemand.map((s) => s.view.name).join(', ')} ${onDemand.length > 1 ? 'are on-demand feature views' : 'is an on-demand feature view'}: its values come from Python code, which only Feast Python runs. Ask for the features of its source views and compute the transformation yourself.`,
    );
  }
  const views: ViewQueryPlan[] = [];
  const outputs = new Map<string, string>();
  for (const selection of selections) {
    const { view } = selection;
    const source = batchSourceOf(view);
    const from = sourceFrom(source, view.name);
    const sourceColumn = sourceColumnOf(source);
    const keys = isEntityLess(view)
      ? []
      : view.entityColumns.map((column) => ({
          entityColumn: selection.joinKeyMap[column.name] ?? column.name,
          sourceColumn: sourceColumn(column.name),
          joinKey: column.name,
          valueType: column.valueType,
        }));
    if (!source.timestampField) {
      throw invalid(
        `The source of feature view ${view.name} has no timestamp_field, so it has no time to join on.`,
      );
    }
    const features = selection.features.map((feature) => {
      const outputName = request.fullFeatureNames
        ? `${selection.outputPrefix}__${feature.name}`
        : feature.name;
      const previous = outputs.get(outputName);
      if (previous !== undefined) {
        throw invalid(
          `Two requested features would both be called ${outputName} (${previous} and ${view.name}:${feature.name}); pass fullFeatureNames: true.`,
        );
      }
      outputs.set(outputName, `${view.name}:${feature.name}`);
      return { feature, sourceColumn: sourceColumn(feature.name), outputName };
    });
    views.push({
      view,
      outputPrefix: selection.outputPrefix,
      source,
      from,
      keys,
      timestampColumn: sourceColumn(source.timestampField),
      createdColumn: source.createdTimestampColumn ? sourceColumn(source.createdTimestampColumn) : undefined,
      ttlSeconds: Math.trunc(view.ttlSeconds),
      features,
    });
  }
  return {
    views,
    featureColumns: views.flatMap((v) => v.features.map((f) => f.outputName)),
    filterByCreatedTimestamp: request.filterByCreatedTimestamp ?? false,
  };
}

/** The parts of the entity frame the query needs: its table and columns. */
export interface EntityFrameRef {
  /** The quoted (temporary) table holding the entity rows. */
  table: string;
  /** Its columns in order, as the output repeats them. */
  columns: readonly string[];
  /** The column with each row's point in time. */
  timestampColumn: string;
  /** The column numbering rows in input order. */
  rowColumn: string;
  /**
   * The PostgreSQL type of the timestamp column ('timestamp with time zone' or 'timestamp without time
   * zone'): the array plan keeps each view's event timestamps in it, so comparisons are the lookups' own.
   */
  timestampType?: string;
}

export type PointInTimeQuery = SettingsQuery;

export const SETTING_PREFIX = 'mlops_feast';

/** How pointInTimeQuery joins: per view lookups or arrays, and the order of the lookups and of the result. */
export interface PointInTimeQueryOptions {
  /** Lookups in the first keyed view's key order (the result then comes in that order). */
  lookupsInKeyOrder?: boolean;
  /** Per view (by index in plan.views): true joins the view by the array plan, false (default) by lookups. */
  arrays?: readonly boolean[];
  /** The result in entity-row order (ORDER BY the row number): for stream() under a plan that reorders. */
  orderByRow?: boolean;
  /**
   * Check in the query that every view's arrays were aggregated in sorted order (default true); a row whose
   * arrays were not comes back with row number -1, which the reader refuses. See arraysQuery.
   */
  verifyOrder?: boolean;
}

/** The settings the array plan needs, for its statement's transaction only (set_config(..., true)). */
export const ARRAY_PLAN_SETTINGS: Readonly<Record<string, string>> = {
  // The sorts of the feature rows (~130 bytes a row) in memory rather than on disk.
  work_mem: '256MB',
  // Merge joins in key order: the sorted aggregates stream into the join, nothing is hashed.
  enable_hashjoin: 'off',
};

/** The row number a result row carries when the order check of the array plan failed. */
export const DISORDER_ROW = -1n;

/** The TTL's lower bound condition (or none), with its setting. */
function ttlSetting(v: ViewQueryPlan, i: number, settings: Record<string, string>): string | undefined {
  if (v.ttlSeconds === 0) return undefined;
  const name = `${SETTING_PREFIX}.ttl_${i}`;
  settings[name] = `${v.ttlSeconds} seconds`;
  return `current_setting('${name}')::interval`;
}

/** One view joined by a LATERAL lookup (the latest row at or before the entity row's time, per entity row). */
function lookupJoin(
  plan: HistoricalPlan,
  v: ViewQueryPlan,
  i: number,
  ets: string,
  settings: Record<string, string>,
): { join: string; columns: string[] } {
  const q = escapeIdentifier;
  const alias = `v${i}`;
  const where = v.keys.map((k) => `s.${q(k.sourceColumn)} = e.${q(k.entityColumn)}`);
  const ts = `s.${q(v.timestampColumn)}`;
  where.push(`${ts} <= ${ets}`);
  const ttl = ttlSetting(v, i, settings);
  if (ttl) where.push(`${ts} >= ${ets} - ${ttl}`);
  if (plan.filterByCreatedTimestamp && v.createdColumn) where.push(`s.${q(v.createdColumn)} <= ${ets}`);
  const order = [`${ts} DESC`];
  // A row without a created timestamp loses ties rather than winning them (DESC alone sorts NULLs first).
  if (v.createdColumn) order.push(`s.${q(v.createdColumn)} DESC NULLS LAST`);
  const columns = v.features.map((f, j) => `s.${q(f.sourceColumn)} AS f${j}`);
  const join = [
    `LEFT JOIN LATERAL (`,
    `  SELECT ${columns.join(', ') || 'NULL'}`,
    `  FROM ${v.from} AS s`,
    `  WHERE ${where.join('\n    AND ')}`,
    `  ORDER BY ${order.join(', ')}`,
    `  LIMIT 1`,
    `) AS ${alias} ON true`,
  ].join('\n');
  return { join, columns: v.features.map((_, j) => `${alias}.f${j}`) };
}

/**
 * The point-in-time join, one LATERAL lookup per entity row and view: the latest source row with the same
 * join keys whose event timestamp is at or before the row's timestamp (and within the view's TTL), latest
 * created timestamp first on ties. With an index on (join keys, event timestamp DESC, created DESC) each
 * lookup is one index probe. Every row of the entity frame appears exactly once, in input order, led by its
 * row number; rows are told apart by that number, never by a concatenation of key values.
 *
 * With `arrays`, the views it names are joined by the array plan instead (see arraysQuery).
 *
 * Identifiers are quoted; the TTLs are settings read with current_setting, because COPY (the transfer we
 * use) cannot take bind parameters.
 */
export function pointInTimeQuery(
  plan: HistoricalPlan,
  entity: EntityFrameRef,
  options: PointInTimeQueryOptions = {},
): PointInTimeQuery {
  if (options.arrays?.some(Boolean)) return arraysQuery(plan, entity, options);
  const q = escapeIdentifier;
  const settings: Record<string, string> = {};
  const select = [`e.${q(entity.rowColumn)}`, ...entity.columns.map((c) => `e.${q(c)}`)];
  const joins: string[] = [];
  const ets = `e.${q(entity.timestampColumn)}`;
  for (const [i, v] of plan.views.entries()) {
    const { join, columns } = lookupJoin(plan, v, i, ets, settings);
    joins.push(join);
    for (const [j, f] of v.features.entries()) select.push(`${columns[j]} AS ${q(f.outputName)}`);
  }
  // Never an ORDER BY (unless orderByRow): a sort would hold back the first row until the last lookup is
  // done. Without lookupsInKeyOrder the rows come out in the temporary table's order anyway — a sequential
  // scan of a table we just filled in row order, driving nested loops, never parallel (temporary tables are
  // not) — and the reader checks that: the row number goes first, and any gap or disorder is an error, not a
  // wrong answer. In key order, the lookups of one entity follow each other and hit the same index and heap
  // pages: the query ran about twice as fast in our benchmark (sources larger than shared_buffers), for a
  // sort of the entity rows. The result then comes in key order, each row led by its row number; toArrow
  // puts the rows back in entity order itself.
  const from = entityFrom(plan, entity, options);
  const order = options.orderByRow ? [`ORDER BY e.${q(entity.rowColumn)}`] : [];
  const text = [`SELECT ${select.join(',\n       ')}`, `FROM ${from}`, ...joins, ...order].join('\n');
  return { text, settings };
}

function entityFrom(plan: HistoricalPlan, entity: EntityFrameRef, options: PointInTimeQueryOptions): string {
  const q = escapeIdentifier;
  const keyed = options.lookupsInKeyOrder ? plan.views.find((v) => v.keys.length > 0) : undefined;
  return keyed
    ? `(SELECT * FROM ${entity.table} ORDER BY ${[...keyed.keys.map((k) => q(k.entityColumn)), q(entity.timestampColumn)].join(', ')}) AS e`
    : `${entity.table} AS e`;
}

/**
 * The array plan: each view's rows sorted by (join keys, event timestamp, created NULLS FIRST) and
 * aggregated into one row per key holding an array of event timestamps and one array per feature; each
 * entity row joined to its key's arrays (a merge join in key order), and `width_bucket(entity time,
 * timestamps)` — the number of versions at or before that time, by binary search — is the winner's index:
 * among equal event timestamps the last has the highest created timestamp (NULL sorts first, so it loses),
 * as Feast's tie-break wants. The TTL is checked once, on the winner's timestamp; each feature is one
 * subscript. Views not named in `arrays` are joined by lookups in the same query.
 *
 * array_agg taking its input in the subquery's order is what PostgreSQL does but SQL does not promise
 * (`array_agg(... ORDER BY ...)` is the promise, and it sorts each group again: about twice as slow on
 * PostgreSQL 15). So the query checks it: a row number taken in the same sort travels with the rows into
 * the aggregate, and each key's numbers must come out consecutive and increasing; an entity row joined to a
 * key whose arrays fail that check comes back with row number -1, which the reader refuses rather than
 * returning a wrong answer.
 *
 * The result comes in key order (the merge join's), led by the entity row number: toArrow puts it back in
 * entity order; orderByRow sorts it in PostgreSQL (for stream()).
 */
export function arraysQuery(
  plan: HistoricalPlan,
  entity: EntityFrameRef,
  options: PointInTimeQueryOptions,
): PointInTimeQuery {
  const q = escapeIdentifier;
  const verify = options.verifyOrder ?? true;
  const settings: Record<string, string> = {};
  const ets = `e.${q(entity.timestampColumn)}`;
  const xts = `x.${q(entity.timestampColumn)}`;
  const inner = [`e.${q(entity.rowColumn)}`, ...entity.columns.map((c) => `e.${q(c)}`)];
  const joins: string[] = [];
  const outputs: string[] = [];
  /** The middle level's columns: each view's winner index, and what the outer level reads. */
  const middle: string[] = [];
  const checks: string[] = [];
  const cast = entity.timestampType ? `::${entity.timestampType}` : '';
  for (const [i, v] of plan.views.entries()) {
    if (!options.arrays?.[i] || v.keys.length === 0) {
      const { join, columns } = lookupJoin(plan, v, i, ets, settings);
      joins.push(join);
      for (const [j, f] of v.features.entries()) {
        inner.push(`${columns[j]} AS ${q(`__mlops_v${i}_${j}`)}`);
        middle.push(`x.${q(`__mlops_v${i}_${j}`)}`);
        outputs.push(`y.${q(`__mlops_v${i}_${j}`)} AS ${q(f.outputName)}`);
      }
      continue;
    }
    const a = `a${i}`;
    const ts = `s.${q(v.timestampColumn)}`;
    const sort = [...v.keys.map((k) => `s.${q(k.sourceColumn)}`), ts];
    if (v.createdColumn) sort.push(`s.${q(v.createdColumn)} NULLS FIRST`);
    const rows = [
      ...v.keys.map((k, n) => `s.${q(k.sourceColumn)} AS k${n}`),
      `${ts}${cast} AS t`,
      ...v.features.map((f, j) => `s.${q(f.sourceColumn)} AS f${j}`),
      ...(verify ? [`row_number() OVER (ORDER BY ${sort.join(', ')}) AS rn`] : []),
    ];
    const aggregates = [
      ...v.keys.map((_, n) => `k${n}`),
      'array_agg(t) AS t',
      ...v.features.map((_, j) => `array_agg(f${j}) AS f${j}`),
      ...(verify ? ['array_agg(rn) = ARRAY(SELECT generate_series(min(rn), max(rn))) AS ok'] : []),
    ];
    joins.push(
      [
        `LEFT JOIN (`,
        `  SELECT ${aggregates.join(', ')}`,
        `  FROM (`,
        `    SELECT ${rows.join(', ')}`,
        `    FROM ${v.from} AS s`,
        `    WHERE ${ts} IS NOT NULL`,
        `    ORDER BY ${sort.join(', ')}`,
        `  ) AS s`,
        `  GROUP BY ${v.keys.map((_, n) => `k${n}`).join(', ')}`,
        `) AS ${a} ON ${v.keys.map((k, n) => `${a}.k${n} = e.${q(k.entityColumn)}`).join(' AND ')}`,
      ].join('\n'),
    );
    const t = q(`__mlops_t${i}`);
    const w = q(`__mlops_w${i}`);
    inner.push(`${a}.t AS ${t}`, `width_bucket(${ets}${cast}, ${a}.t) AS ${w}`);
    if (verify) {
      inner.push(`${a}.ok AS ${q(`__mlops_ok${i}`)}`);
      checks.push(`x.${q(`__mlops_ok${i}`)} IS NOT FALSE`);
    }
    // The winner's index, or NULL (nothing at or before the time, or the winner older than the TTL): each
    // feature is then one subscript (NULL subscripts give NULL). The TTL is a scalar subquery, so an InitPlan
    // reads the setting once per query, not once per row.
    const ttl = ttlSetting(v, i, settings);
    const found = [`x.${w} > 0`];
    if (ttl) found.push(`x.${t}[x.${w}] >= ${xts} - (SELECT ${ttl})`);
    const index = q(`__mlops_i${i}`);
    middle.push(`CASE WHEN ${found.join(' AND ')} THEN x.${w} END AS ${index}`);
    for (const [j, f] of v.features.entries()) {
      const values = q(`__mlops_a${i}_${j}`);
      inner.push(`${a}.f${j} AS ${values}`);
      middle.push(`x.${values}`);
      outputs.push(`y.${values}[y.${index}] AS ${q(f.outputName)}`);
    }
  }
  const row = `x.${q(entity.rowColumn)}`;
  middle.unshift(
    checks.length > 0
      ? `CASE WHEN ${checks.join(' AND ')} THEN ${row} ELSE ${DISORDER_ROW} END AS ${q(entity.rowColumn)}`
      : row,
    ...entity.columns.map((c) => `x.${q(c)}`),
  );
  const select = [`y.${q(entity.rowColumn)}`, ...entity.columns.map((c) => `y.${q(c)}`), ...outputs];
  // Three levels, each kept a subquery by OFFSET 0, so nothing is computed twice per row: x joins and finds
  // each view's version by binary search, y checks it against the TTL, the outer level subscripts.
  const text = [
    `SELECT ${select.join(',\n       ')}`,
    `FROM (`,
    `SELECT ${middle.join(',\n       ')}`,
    `FROM (`,
    `SELECT ${inner.join(',\n       ')}`,
    `FROM ${entityFrom(plan, entity, options)}`,
    ...joins,
    `OFFSET 0`,
    `) AS x`,
    `OFFSET 0`,
    `) AS y`,
    ...(options.orderByRow ? [`ORDER BY y.${q(entity.rowColumn)}`] : []),
  ].join('\n');
  return { text, settings: { ...settings, ...ARRAY_PLAN_SETTINGS } };
}
