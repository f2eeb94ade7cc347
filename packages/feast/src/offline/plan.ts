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
}

export type PointInTimeQuery = SettingsQuery;

export const SETTING_PREFIX = 'mlops_feast';

/**
 * The point-in-time join, one LATERAL lookup per entity row and view: the latest source row with the same
 * join keys whose event timestamp is at or before the row's timestamp (and within the view's TTL), latest
 * created timestamp first on ties. With an index on (join keys, event timestamp DESC, created DESC) each
 * lookup is one index probe. Every row of the entity frame appears exactly once, in input order, led by its
 * row number; rows are told apart by that number, never by a concatenation of key values.
 *
 * Identifiers are quoted; the TTLs are settings read with current_setting, because COPY (the transfer we
 * use) cannot take bind parameters.
 */
export function pointInTimeQuery(
  plan: HistoricalPlan,
  entity: EntityFrameRef,
  options: { lookupsInKeyOrder?: boolean } = {},
): PointInTimeQuery {
  const q = escapeIdentifier;
  const settings: Record<string, string> = {};
  const select = [`e.${q(entity.rowColumn)}`, ...entity.columns.map((c) => `e.${q(c)}`)];
  const joins: string[] = [];
  const ets = `e.${q(entity.timestampColumn)}`;
  for (const [i, v] of plan.views.entries()) {
    const alias = `v${i}`;
    const where = v.keys.map((k) => `s.${q(k.sourceColumn)} = e.${q(k.entityColumn)}`);
    const ts = `s.${q(v.timestampColumn)}`;
    where.push(`${ts} <= ${ets}`);
    if (v.ttlSeconds !== 0) {
      const name = `${SETTING_PREFIX}.ttl_${i}`;
      settings[name] = `${v.ttlSeconds} seconds`;
      where.push(`${ts} >= ${ets} - current_setting('${name}')::interval`);
    }
    if (plan.filterByCreatedTimestamp && v.createdColumn) where.push(`s.${q(v.createdColumn)} <= ${ets}`);
    const order = [`${ts} DESC`];
    // A row without a created timestamp loses ties rather than winning them (DESC alone sorts NULLs first).
    if (v.createdColumn) order.push(`s.${q(v.createdColumn)} DESC NULLS LAST`);
    const columns = v.features.map((f, j) => `s.${q(f.sourceColumn)} AS f${j}`);
    joins.push(
      [
        `LEFT JOIN LATERAL (`,
        `  SELECT ${columns.join(', ') || 'NULL'}`,
        `  FROM ${v.from} AS s`,
        `  WHERE ${where.join('\n    AND ')}`,
        `  ORDER BY ${order.join(', ')}`,
        `  LIMIT 1`,
        `) AS ${alias} ON true`,
      ].join('\n'),
    );
    for (const [j, f] of v.features.entries()) select.push(`${alias}.f${j} AS ${q(f.outputName)}`);
  }
  // Never an ORDER BY: a sort would hold back the first row until the last lookup is done. Without
  // lookupsInKeyOrder the rows come out in the temporary table's order anyway — a sequential scan of a table we just filled in
  // row order, driving nested loops, never parallel (temporary tables are not) — and the reader checks that:
  // the row number goes first, and any gap or disorder is an error, not a wrong answer.
  // In key order, the lookups of one entity follow each other and hit the same index and heap pages: the
  // query ran about twice as fast in our benchmark (sources larger than shared_buffers), for a sort of the
  // entity rows. The result then comes
  // in key order, each row led by its row number; toArrow puts the rows back in entity order itself.
  const keyed = options.lookupsInKeyOrder ? plan.views.find((v) => v.keys.length > 0) : undefined;
  const from = keyed
    ? `(SELECT * FROM ${entity.table} ORDER BY ${[...keyed.keys.map((k) => q(k.entityColumn)), q(entity.timestampColumn)].join(', ')}) AS e`
    : `${entity.table} AS e`;
  const text = [`SELECT ${select.join(',\n       ')}`, `FROM ${from}`, ...joins].join('\n');
  return { text, settings };
}
