/**
 * Feature quality at serving time, per feature view, from what an online store answered: Feast's value
 * statuses (PRESENT, NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE) and event timestamps. Plain data in, so it
 * takes @mlops/feast's OnlineFeaturesResult, the feature server's JSON or your own store's answer alike.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import { MetricsInputError } from './errors';
import { CounterFamily, GaugeFamily, type ValueCell } from './families';

/** The status of one value, as Feast's serving API names them. */
export type FeatureStatus = 'PRESENT' | 'NULL_VALUE' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

/** An event timestamp: a Date, or milliseconds since the epoch; null when the value has none. */
export type EventTime = Date | number | null;

export interface FeatureViewObservation {
  /** The `feature_view` label. */
  featureView: string;
  /** One status per value served (rows × features of this view, in any order). */
  statuses: readonly FeatureStatus[];
  /** The values' event timestamps, for the freshness gauge and `maxAgeSeconds`. */
  eventTimestamps?: readonly EventTime[];
  /** PRESENT values whose event timestamp is older than this also count as stale. */
  maxAgeSeconds?: number;
  /** The clock, in ms since the epoch. Default `Date.now()`. */
  now?: number;
}

/** What `observeOnlineFeatures` reads: columns with a status and an event timestamp per entity row. */
export interface OnlineFeaturesLike {
  readonly columns: Readonly<Record<string, FeatureColumnLike>>;
}

/** One column: a status per entity row, and optionally the values and their event timestamps. */
export interface FeatureColumnLike {
  readonly statuses: readonly string[];
  readonly eventTimestamps?: readonly EventTime[];
  /** With values, a PRESENT status on a null value counts as missing (see observeOnlineFeatures). */
  readonly values?: readonly unknown[];
}

/** The feature server's answer to `POST /get-online-features` (`full_feature_names: true`), as JSON. */
export interface FeatureServerResponseLike {
  readonly metadata: { readonly feature_names: readonly string[] };
  readonly results: ReadonlyArray<{
    readonly values?: readonly unknown[];
    readonly statuses: readonly string[];
    /** RFC 3339 times; the server writes 1970-01-01T00:00:00Z where there is none. */
    readonly event_timestamps?: readonly string[];
  }>;
}

export interface OnlineFeaturesOptions {
  /** Column name → feature view, for columns not named `<view>__<feature>`. */
  featureViews?: Readonly<Record<string, string>>;
  /** PRESENT values whose event timestamp is older than this also count as stale. */
  maxAgeSeconds?: number;
  /** The clock, in ms since the epoch. Default `Date.now()`. */
  now?: number;
}

interface Tally {
  values: number;
  notFound: number;
  nullValue: number;
  stale: number;
  newest: number;
}

/** The feature quality series of a serving registry. */
export class FeatureQuality {
  /** `<prefix>feature_values_total{feature_view}`: values served (the denominator of the rates). */
  readonly values: Counter<'feature_view'>;
  /** `<prefix>feature_missing_total{feature_view,status}`: NOT_FOUND and NULL_VALUE values. */
  readonly missing: Counter<'feature_view' | 'status'>;
  /** `<prefix>feature_stale_total{feature_view}`: OUTSIDE_MAX_AGE values, and PRESENT ones older than maxAgeSeconds. */
  readonly stale: Counter<'feature_view'>;
  /** `<prefix>feature_freshness_seconds{feature_view}`: age of the newest event timestamp last served. */
  readonly freshness: Gauge<'feature_view'>;
  readonly #freshness: GaugeFamily<'feature_view'>;

  /** Each view's cells, found once. */
  readonly #views = new Map<string, ViewCells>();

  constructor(prefix: string, registry: Registry) {
    const registers = [registry];
    const values = new CounterFamily({
      name: `${prefix}feature_values_total`,
      help: 'Feature values served, per feature view.',
      labelNames: ['feature_view'] as const,
      registers,
    });
    const missing = new CounterFamily({
      name: `${prefix}feature_missing_total`,
      help: 'Feature values served without a value (Feast status NOT_FOUND or NULL_VALUE), per feature view.',
      labelNames: ['feature_view', 'status'] as const,
      registers,
    });
    const stale = new CounterFamily({
      name: `${prefix}feature_stale_total`,
      help: 'Feature values served older than their max age (Feast status OUTSIDE_MAX_AGE), per feature view.',
      labelNames: ['feature_view'] as const,
      registers,
    });
    const freshness = new GaugeFamily({
      name: `${prefix}feature_freshness_seconds`,
      help: 'Seconds between now and the newest event timestamp of the feature view last served.',
      labelNames: ['feature_view'] as const,
      registers,
    });
    this.values = values;
    this.missing = missing;
    this.stale = stale;
    this.freshness = freshness;
    this.#freshness = freshness;
    this.#cellsOf = (view) => ({
      values: values.cells.get(view),
      notFound: missing.cells.get(view, 'NOT_FOUND'),
      nullValue: missing.cells.get(view, 'NULL_VALUE'),
      stale: stale.cells.get(view),
      // Only once a timestamp is seen: a gauge at 0 would read as perfectly fresh.
      freshness: undefined,
    });
  }

  readonly #cellsOf: (view: string) => ViewCells;

  /** Records one feature view's values. */
  observeView(observation: FeatureViewObservation): void {
    const { featureView, statuses, eventTimestamps, maxAgeSeconds } = observation;
    if (typeof featureView !== 'string' || featureView === '')
      throw new MetricsInputError(
        'featureView',
        "featureView: expected the feature view's name, a non-empty string.",
      );
    const now = observation.now ?? Date.now();
    const tally = newTally();
    add(tally, statuses, eventTimestamps, maxAgeSeconds, now, featureView);
    this.#apply(featureView, tally, now);
  }

  /**
   * Records every feature view of an online-features answer (`getOnlineFeatures(..., { fullFeatureNames:
   * true })`, or the feature server's JSON with `full_feature_names`): columns named `<view>__<feature>`
   * belong to `<view>`; `featureViews` maps other columns to their view. Columns with neither (the join
   * keys) are not feature values and are skipped; an answer with no feature column at all is an error.
   */
  observeOnlineFeatures(
    result: OnlineFeaturesLike | FeatureServerResponseLike,
    options: OnlineFeaturesOptions = {},
  ): void {
    const now = options.now ?? Date.now();
    const columns = 'columns' in result ? result.columns : columnsOf(result);
    const tallies = new Map<string, Tally>();
    for (const name in columns) {
      const column = columns[name]!;
      const split = name.indexOf('__');
      const view = options.featureViews?.[name] ?? (split > 0 ? name.slice(0, split) : undefined);
      if (view === undefined) continue;
      let tally = tallies.get(view);
      if (tally === undefined) {
        tally = newTally();
        tallies.set(view, tally);
      }
      add(tally, column.statuses, column.eventTimestamps, options.maxAgeSeconds, now, name, column.values);
    }
    if (tallies.size === 0)
      throw new MetricsInputError(
        'result',
        `result: none of the columns (${Object.keys(columns).join(', ')}) names a feature view. Fetch with fullFeatureNames: true (columns "<view>__<feature>"), or pass featureViews: { column: view }.`,
      );
    for (const [view, tally] of tallies) this.#apply(view, tally, now);
  }

  #apply(view: string, tally: Tally, now: number): void {
    let cells = this.#views.get(view);
    if (cells === undefined) {
      cells = this.#cellsOf(view);
      this.#views.set(view, cells);
    }
    cells.values.value += tally.values;
    cells.notFound.value += tally.notFound;
    cells.nullValue.value += tally.nullValue;
    cells.stale.value += tally.stale;
    if (tally.newest > Number.NEGATIVE_INFINITY) {
      cells.freshness ??= this.#freshness.cells.get(view);
      cells.freshness.value = (now - tally.newest) / 1000;
    }
  }
}

interface ViewCells {
  values: ValueCell;
  notFound: ValueCell;
  nullValue: ValueCell;
  stale: ValueCell;
  freshness: ValueCell | undefined;
}

function newTally(): Tally {
  return { values: 0, notFound: 0, nullValue: 0, stale: 0, newest: Number.NEGATIVE_INFINITY };
}

function add(
  tally: Tally,
  statuses: readonly string[],
  timestamps: readonly EventTime[] | undefined,
  maxAgeSeconds: number | undefined,
  now: number,
  where: string,
  values?: readonly unknown[],
): void {
  if (timestamps !== undefined && timestamps.length !== statuses.length)
    throw new MetricsInputError(
      'eventTimestamps',
      `eventTimestamps of ${where}: ${timestamps.length} timestamps for ${statuses.length} statuses; pass one per value (null where there is none).`,
    );
  const oldest = maxAgeSeconds === undefined ? Number.NEGATIVE_INFINITY : now - maxAgeSeconds * 1000;
  for (let i = 0; i < statuses.length; i++) {
    const status = statuses[i]!;
    tally.values++;
    if (status === 'NOT_FOUND') tally.notFound++;
    else if (status === 'NULL_VALUE') tally.nullValue++;
    else if (status === 'PRESENT' || status === 'OUTSIDE_MAX_AGE') {
      const raw = timestamps?.[i];
      let t = raw === undefined || raw === null ? undefined : typeof raw === 'number' ? raw : raw.getTime();
      // Feast's placeholder for "no timestamp" (the feature server writes 1970-01-01T00:00:00Z).
      if (t === 0) t = undefined;
      if (values !== undefined && (values[i] === null || values[i] === undefined)) {
        // Feast 0.67's feature server answers a missing entity with PRESENT, a null value and no timestamp.
        if (t === undefined) tally.notFound++;
        else tally.nullValue++;
        continue;
      }
      if (t !== undefined) {
        if (!Number.isFinite(t))
          throw new MetricsInputError(
            'eventTimestamps',
            `eventTimestamps of ${where}[${i}]: not a valid time (${String(raw)}).`,
          );
        if (t > tally.newest) tally.newest = t;
      }
      if (status === 'OUTSIDE_MAX_AGE' || (t !== undefined && t < oldest)) tally.stale++;
    } else {
      throw new MetricsInputError(
        'statuses',
        `statuses of ${where}[${i}]: ${JSON.stringify(status)} is not a Feast field status (PRESENT, NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE).`,
      );
    }
  }
}

/** The feature server's rows-of-columns JSON as columns, timestamps parsed. */
function columnsOf(response: FeatureServerResponseLike): Record<string, FeatureColumnLike> {
  const names = response.metadata?.feature_names;
  if (!Array.isArray(names) || !Array.isArray(response.results) || names.length !== response.results.length)
    throw new MetricsInputError(
      'result',
      "result: expected the feature server's answer ({ metadata: { feature_names }, results: [...] }, one result per name) or { columns }.",
    );
  const columns: Record<string, FeatureColumnLike> = {};
  names.forEach((name, i) => {
    const { statuses, values, event_timestamps: times } = response.results[i]!;
    const eventTimestamps = times?.map((time, row) => {
      const ms = Date.parse(time);
      if (Number.isNaN(ms))
        throw new MetricsInputError(
          'result',
          `result: event_timestamps of ${name}[${row}] is not a time (${JSON.stringify(time)}).`,
        );
      return ms;
    });
    columns[name] = {
      statuses,
      ...(values ? { values } : {}),
      ...(eventTimestamps ? { eventTimestamps } : {}),
    };
  });
  return columns;
}
