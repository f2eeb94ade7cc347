export { type MetricsConfig, type MetricsOptions, metricsConfigSpec, resolveMetricsConfig } from './config';
// Prometheus: the query client, its results and errors.
export { PrometheusClient } from './prometheus/client';
export {
  PrometheusApiError,
  PrometheusArgumentError,
  type PrometheusErrorType,
  PrometheusUnsupportedError,
} from './prometheus/errors';
export type {
  LabelOptions,
  MetadataOptions,
  PrometheusCallOptions,
  PrometheusClientOptions,
  QueryOptions,
  RangeQueryOptions,
  RulesOptions,
  SelectOptions,
  TargetsOptions,
} from './prometheus/options';
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
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
