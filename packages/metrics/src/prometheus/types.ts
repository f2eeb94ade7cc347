// The public result types of PrometheusClient. Prometheus sends sample values as strings (so NaN and ±Inf survive
// JSON) and times as float unix seconds; we hand back numbers for both: values parsed exactly ("NaN", "+Inf",
// "-Inf" included) and times as integer milliseconds since the epoch, which are exact (Prometheus's own resolution),
// safe for arithmetic, and what `Date` and Arrow's TimestampMillisecond take.
import type { Table } from 'apache-arrow';
import type { components } from '../generated/prometheus';

type Schemas = components['schemas'];

/** Label name → value. */
export type Labels = Record<string, string>;

/** `[timeMs, value]`: time in integer milliseconds since the epoch, value a number (NaN, ±Infinity exact). */
export type FloatSample = [timeMs: number, value: number];

/** One bucket of a native histogram; `boundaryRule` 0 open left, 1 open right, 2 open both, 3 closed both. */
export interface HistogramBucket {
  boundaryRule: 0 | 1 | 2 | 3;
  lower: number;
  upper: number;
  count: number;
}

/** A native histogram sample's value (counts are numbers: float histograms have fractional counts). */
export interface NativeHistogram {
  count: number;
  sum: number;
  /** Populated buckets only, in order; empty when the histogram has none. */
  buckets: HistogramBucket[];
}

/** `[timeMs, histogram]`. */
export type HistogramSample = [timeMs: number, histogram: NativeHistogram];

/** One element of an instant vector: a float sample or a native histogram sample, never both. */
export type InstantSample =
  | { metric: Labels; value: FloatSample; histogram?: undefined }
  | { metric: Labels; histogram: HistogramSample; value?: undefined };

/** One series of a range result: its float samples and its histogram samples (either may be empty), time-ordered. */
export interface RangeSeries {
  metric: Labels;
  values: FloatSample[];
  histograms: HistogramSample[];
}

/** Query statistics, with `stats: 'all'` (their fields change across 3.x, so they are passed on as sent). */
export type QueryStats = Schemas['QueryStats'];

/** What comes with every query answer besides its result. */
export interface QueryAnnotations {
  /** Warnings Prometheus attached to a successful answer (e.g. a truncated result); empty when none. */
  warnings: string[];
  /** Info-level annotations (Prometheus 2.54+), e.g. a rate over a metric not named like a counter. */
  infos: string[];
  /** Present when the query asked for `stats`. */
  stats?: QueryStats;
}

export interface VectorResult extends QueryAnnotations {
  resultType: 'vector';
  result: InstantSample[];
}
export interface MatrixResult extends QueryAnnotations {
  resultType: 'matrix';
  result: RangeSeries[];
  /**
   * The float samples as an Apache Arrow table in long form: one row per sample, a `timestamp`
   * (TimestampMillisecond) and a `value` (Float64) column, and one dictionary-encoded column per label name (null
   * where a series lacks the label). Loads apache-arrow on first use. Histogram samples have no column: a matrix
   * with any is refused (query `histogram_count()`, `histogram_sum()` or `histogram_quantile()` instead).
   */
  toArrow(): Promise<Table>;
}
export interface ScalarResult extends QueryAnnotations {
  resultType: 'scalar';
  result: FloatSample;
}
export interface StringResult extends QueryAnnotations {
  resultType: 'string';
  result: [timeMs: number, value: string];
}
/** The result of an instant query, discriminated by `resultType`. */
export type QueryResult = VectorResult | MatrixResult | ScalarResult | StringResult;

/** A listing (series, label names, label values, metadata) with the warnings that came with it. */
export interface Listing<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

export type MetricMetadata = Schemas['MetricMetadata'];
export type TargetDiscovery = Schemas['TargetDiscovery'];
export type Target = Schemas['Target'];
export type DroppedTarget = Schemas['DroppedTarget'];
// Prometheus-prefixed: the rules-as-code builders of this package own the plain names (src/alerts).
export type RuleDiscovery = Schemas['RuleDiscovery'];
export type PrometheusRuleGroup = Schemas['RuleGroup'];
export type PrometheusRule = Schemas['Rule'];
export type PrometheusAlertingRule = Schemas['AlertingRule'];
export type PrometheusRecordingRule = Schemas['RecordingRule'];
export type Alert = Schemas['Alert'];
export type BuildInfo = Schemas['BuildInfo'];
