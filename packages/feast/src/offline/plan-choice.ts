import type pg from 'pg';
import { InvalidFeatureRequestError } from '../errors';
import type { Feature } from '../registry/model';
import type { HistoricalPlan } from './plan';

/** What the choice reads of a view's plan (a ViewQueryPlan has it all). */
export interface ViewShape {
  view: { name: string };
  keys: readonly unknown[];
  features: ReadonlyArray<{ feature: Pick<Feature, 'name' | 'valueType' | 'valueTypeName'> }>;
}

/** What the choice reads of a request's plan (a HistoricalPlan has it all). */
export interface PlanShape {
  views: readonly ViewShape[];
  filterByCreatedTimestamp: boolean;
}

/**
 * How a historical retrieval joins its feature views to the entity rows.
 * - 'lookup': one index lookup per entity row and view, in entity-row order (rows stream as they are found).
 * - 'lookup-keys': the same lookups in join-key order (the first keyed view's keys, then time): the lookups
 *   of one entity hit the same index and heap pages; the result is put back in entity order.
 * - 'arrays': each view's history sorted and aggregated into one row of arrays per key, each entity row
 *   joined to its key's arrays and its version found by binary search (width_bucket); it pays a sort of
 *   the whole source up front, so it wins when the entity rows are many compared with the source rows.
 *   Views it does not fit (see arraysMisfit) keep lookups.
 * - 'auto' (default): chosen per view from the number of entity rows and the sources' estimated rows
 *   (pg_class.reltuples), by a rule calibrated in bench/feast-offline-plans.mjs; stream() keeps entity-order
 *   lookups unless told otherwise, so its first rows come at once. explain() says what was chosen and why.
 */
export type PointInTimePlan = 'lookup' | 'lookup-keys' | 'arrays' | 'auto';

export const POINT_IN_TIME_PLANS: readonly PointInTimePlan[] = ['lookup', 'lookup-keys', 'arrays', 'auto'];

/** The calibrated rule of 'auto' (see bench/feast-offline-plans.mjs and the README's crossover chart). */
export const PLAN_RULE = {
  /**
   * Arrays for a view when entity rows ≥ this × the source's estimated rows (the crossover's ratio), for
   * sources whose sort fits the plan's work_mem (up to sortInMemoryRows). Measured crossovers: ~0.62 at 100k
   * source rows, ~0.55 at 1M (bench/results/feast-offline-plans.md).
   */
  arraysMinRatio: 0.6,
  /**
   * The same for larger sources, whose sort spills to disk: the fixed cost per source row doubles (~3.5 µs →
   * ~7.6 µs here), and at 10M source rows the crossover was ~1.1 (10M entity rows: key-order lookups 119 s,
   * arrays 126 s).
   */
  arraysMinRatioSpilled: 1.15,
  /** Source rows up to which the array plan's sort stays in its 256MB work_mem (~130 bytes a row). */
  sortInMemoryRows: 2_000_000,
  /** …and at least this many entity rows (below it, the fixed cost of the sorts never pays). */
  arraysMinRows: 50_000,
  /** Lookups in key order from this many entity rows on (below it the sort and reordering do not pay). */
  keyOrderMinRows: 20_000,
  /**
   * No arrays for a view whose largest key is estimated to hold more versions than this (pg_stats): every
   * entity row of that key would subscript arrays that long, and one key's array may not exceed 1 GB.
   */
  maxKeyVersions: 200_000,
} as const;

/** What PostgreSQL's statistics say about a view's source. */
export interface SourceEstimate {
  /** Estimated rows (reltuples of a table, the planner's estimate for a query); undefined when unknown. */
  rows: number | undefined;
  /** Estimated rows of the most frequent key (pg_stats); undefined when unknown. */
  maxKeyRows: number | undefined;
}

/** The plan of one view, and why. */
export interface ViewPlanChoice {
  featureView: string;
  join: 'lookup' | 'arrays';
  reason: string;
}

/** What a retrieval runs: per view lookups or arrays, the order of the lookups, and why. */
export interface PlanDecision {
  asked: PointInTimePlan;
  /** The order of the entity rows the query reads: 'keys' sorts them by the first keyed view's keys. */
  lookupOrder: 'entity' | 'keys';
  views: ViewPlanChoice[];
  /** Entity rows, when known. */
  entityRows: number | undefined;
}

/** True when the decision's result comes back in another order than the entity rows'. */
export function reorders(decision: PlanDecision): boolean {
  return decision.lookupOrder === 'keys' || decision.views.some((v) => v.join === 'arrays');
}

export function checkPlan(plan: unknown): PointInTimePlan {
  if (plan === undefined) return 'auto';
  if (typeof plan === 'string' && (POINT_IN_TIME_PLANS as readonly string[]).includes(plan)) {
    return plan as PointInTimePlan;
  }
  throw new InvalidFeatureRequestError(
    `plan must be one of ${POINT_IN_TIME_PLANS.map((p) => `'${p}'`).join(', ')}, not ${JSON.stringify(plan)}.`,
  );
}

const TIMESTAMP_TYPES = new Set(['timestamp with time zone', 'timestamp without time zone']);

/**
 * Why the array plan cannot serve a view (undefined when it can): views without entities (one key would
 * hold the whole history), filterByCreatedTimestamp (the winner then depends on the entity row beyond its
 * time), list-typed or unknown-typed features (array_agg of arrays), entity timestamps that are not
 * timestamps, and keys with too long a history.
 */
export function arraysMisfit(
  plan: Pick<PlanShape, 'filterByCreatedTimestamp'>,
  view: ViewShape,
  timestampType: string | undefined,
  estimate: SourceEstimate | undefined,
  maxKeyVersions: number = PLAN_RULE.maxKeyVersions,
): string | undefined {
  if (view.keys.length === 0) return 'it has no entities (one key would hold its whole history)';
  if (plan.filterByCreatedTimestamp) return 'filterByCreatedTimestamp needs a per-row condition on created';
  const list = view.features.find((f) => !(f.feature.valueType >= 1 && f.feature.valueType <= 8));
  if (list) return `feature ${list.feature.name} is ${list.feature.valueTypeName}, not a scalar`;
  if (timestampType !== undefined && !TIMESTAMP_TYPES.has(timestampType)) {
    return `the entity timestamps are ${timestampType}, not timestamps`;
  }
  if (estimate?.maxKeyRows !== undefined && estimate.maxKeyRows > maxKeyVersions) {
    return `its most frequent key holds ~${Math.round(estimate.maxKeyRows)} versions (> ${maxKeyVersions}): a skewed key, its arrays would be too long`;
  }
  return undefined;
}

/** True when `decidePlan` may need the sources' estimates (else the catalog is not asked: it costs a query). */
export function needsEstimates(
  asked: PointInTimePlan,
  entityRows: number | undefined,
  streaming: boolean,
): boolean {
  if (asked === 'arrays') return true;
  if (asked !== 'auto' || streaming) return false;
  return entityRows === undefined || entityRows >= PLAN_RULE.arraysMinRows;
}

/**
 * The plan per view. Forced plans apply to every view they fit; 'auto' follows PLAN_RULE, and for stream()
 * (`streaming`) keeps entity-order lookups, whose first rows come before the last lookup is done.
 */
export function decidePlan(
  plan: PlanShape,
  asked: PointInTimePlan,
  context: {
    entityRows: number | undefined;
    timestampType: string | undefined;
    estimates: readonly (SourceEstimate | undefined)[];
    streaming?: boolean;
  },
): PlanDecision {
  const { entityRows, estimates } = context;
  const rows = entityRows === undefined ? 'an unknown number of' : String(entityRows);
  const views = plan.views.map((view, i): ViewPlanChoice => {
    const featureView = view.view.name;
    const misfit = arraysMisfit(plan, view, context.timestampType, estimates[i]);
    if (asked === 'lookup' || asked === 'lookup-keys') {
      return { featureView, join: 'lookup', reason: `plan: '${asked}' was asked` };
    }
    if (misfit) return { featureView, join: 'lookup', reason: `arrays do not fit: ${misfit}` };
    if (asked === 'arrays') return { featureView, join: 'arrays', reason: "plan: 'arrays' was asked" };
    if (context.streaming) {
      return { featureView, join: 'lookup', reason: 'stream() keeps lookups in entity order by default' };
    }
    if (entityRows !== undefined && entityRows < PLAN_RULE.arraysMinRows) {
      return {
        featureView,
        join: 'lookup',
        reason: `${rows} entity rows, fewer than the ${PLAN_RULE.arraysMinRows} from which arrays can pay`,
      };
    }
    const source = estimates[i]?.rows;
    if (entityRows === undefined || source === undefined || source < 0) {
      return {
        featureView,
        join: 'lookup',
        reason: `no estimate of ${entityRows === undefined ? 'the entity rows' : "the source's rows (run ANALYZE on it)"}`,
      };
    }
    const ratio = entityRows / Math.max(1, source);
    const spills = source > PLAN_RULE.sortInMemoryRows;
    const minRatio = spills ? PLAN_RULE.arraysMinRatioSpilled : PLAN_RULE.arraysMinRatio;
    const arrays = entityRows >= PLAN_RULE.arraysMinRows && ratio >= minRatio;
    return {
      featureView,
      join: arrays ? 'arrays' : 'lookup',
      reason: `${rows} entity rows vs ~${Math.round(source)} source rows (ratio ${ratio.toFixed(3)}; arrays from ${minRatio}${spills ? ' for a source whose sort spills' : ''} and ${PLAN_RULE.arraysMinRows} entity rows)`,
    };
  });
  let lookupOrder: PlanDecision['lookupOrder'] = 'entity';
  if (asked === 'lookup-keys') lookupOrder = 'keys';
  else if (asked === 'auto' && !context.streaming) {
    const lookups = views.some((v, i) => v.join === 'lookup' && plan.views[i]!.keys.length > 0);
    if (lookups && entityRows !== undefined && entityRows >= PLAN_RULE.keyOrderMinRows) lookupOrder = 'keys';
  }
  return { asked, lookupOrder, views, entityRows };
}

/** The decision in words, for explain(). */
export function describeDecision(decision: PlanDecision): string {
  const lookups = decision.views.some((v) => v.join === 'lookup');
  const arrays = decision.views.some((v) => v.join === 'arrays');
  const how = [
    ...(lookups ? [`lookups in ${decision.lookupOrder === 'keys' ? 'join-key' : 'entity-row'} order`] : []),
    ...(arrays ? ['arrays merge-joined in key order'] : []),
  ];
  const lines = [
    `-- plan '${decision.asked}': ${how.join(', ') || 'no views'}` +
      `${reorders(decision) ? ' (the result is put back in entity order)' : ''}` +
      `${decision.entityRows === undefined ? '' : `, ${decision.entityRows} entity rows`}`,
    ...decision.views.map((v) => `--   ${v.featureView}: ${v.join} (${v.reason})`),
  ];
  return lines.join('\n');
}

/**
 * What the statistics say about each view's source: reltuples and, per join key column, the frequency of
 * its most common value (pg_stats), for tables; the planner's row estimate for query sources.
 */
export async function estimateSources(
  client: pg.ClientBase,
  plan: HistoricalPlan,
): Promise<Array<SourceEstimate | undefined>> {
  const out: Array<SourceEstimate | undefined> = [];
  for (const view of plan.views) {
    if (view.source.table === undefined) {
      const explained = await client.query<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${view.from} AS s`,
      );
      out.push({ rows: explained.rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'], maxKeyRows: undefined });
      continue;
    }
    const found = await client.query<{
      rows: number | null;
      attname: string | null;
      null_frac: number | null;
      n_distinct: number | null;
      top: number | null;
    }>(
      `SELECT c.reltuples::float8 AS rows, st.attname::text AS attname, st.null_frac::float8 AS null_frac,
              st.n_distinct::float8 AS n_distinct, (st.most_common_freqs::float8[])[1] AS top
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname
                              AND st.attname = ANY($2::text[])
        WHERE c.oid = to_regclass($1)`,
      [view.from, view.keys.map((k) => k.sourceColumn)],
    );
    const rows = found.rows[0]?.rows ?? undefined;
    if (rows === undefined || rows < 0) {
      out.push({ rows: undefined, maxKeyRows: undefined });
      continue;
    }
    // The most frequent combination of keys is at most as frequent as each key column's most frequent value.
    let maxKeyRows: number | undefined;
    for (const r of found.rows) {
      if (r.attname === null) continue;
      const distinct = r.n_distinct === null ? 0 : r.n_distinct >= 0 ? r.n_distinct : -r.n_distinct * rows;
      const share = r.top ?? (distinct > 0 ? (1 - (r.null_frac ?? 0)) / distinct : undefined);
      if (share === undefined) continue;
      maxKeyRows = Math.min(maxKeyRows ?? Number.POSITIVE_INFINITY, share * rows);
    }
    out.push({ rows, maxKeyRows });
  }
  return out;
}
