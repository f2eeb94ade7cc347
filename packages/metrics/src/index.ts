export { type MetricsConfig, type MetricsOptions, metricsConfigSpec, resolveMetricsConfig } from './config';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
// Prometheus: the query client, its results and errors.
export {
  type LabelOptions,
  type MetadataOptions,
  type PrometheusCallOptions,
  PrometheusClient,
  type PrometheusClientOptions,
  type QueryOptions,
  type RangeQueryOptions,
  type RulesOptions,
  type SelectOptions,
  type TargetsOptions,
} from './prometheus/client';
export {
  PrometheusApiError,
  PrometheusArgumentError,
  type PrometheusErrorType,
  PrometheusUnsupportedError,
} from './prometheus/errors';
export type { PrometheusDuration, PrometheusTime } from './prometheus/params';
export type {
  Alert,
  AlertingRule,
  BuildInfo,
  DroppedTarget,
  FloatSample,
  HistogramBucket,
  HistogramSample,
  InstantSample,
  Labels,
  Listing,
  MatrixResult,
  MetricMetadata,
  NativeHistogram,
  QueryAnnotations,
  QueryResult,
  QueryStats,
  RangeSeries,
  RecordingRule,
  Rule,
  RuleDiscovery,
  RuleGroup,
  ScalarResult,
  StringResult,
  Target,
  TargetDiscovery,
  VectorResult,
} from './prometheus/types';
