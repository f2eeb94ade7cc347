export {
  type AlertingRule,
  createServingRules,
  type RecordingRule,
  type Rule,
  type RuleFile,
  type RuleGroup,
  type ServingRulesOptions,
  servingRulesYaml,
} from './alerts/serving-rules';
export { type MetricsConfig, type MetricsOptions, metricsConfigSpec, resolveMetricsConfig } from './config';
export {
  createServingDashboard,
  dashboardQueries,
  type ServingDashboardOptions,
} from './dashboards/serving-dashboard';
export {
  createDriftMonitor,
  type DriftMonitor,
  type DriftMonitorOptions,
  type FeatureDrift,
} from './drift/monitor';
export {
  type CategoricalFeatureProfile,
  type FeatureProfile,
  type NumericFeatureProfile,
  type Profile,
  type ProfileOptions,
  profileFrom,
} from './drift/profile';
export { PSI_EPSILON } from './drift/stats';
export { createEcsLogger, type EcsLoggerOptions } from './logs/ecs-logger';
export { LogRejectedError, LogShipperError } from './logs/errors';
export {
  type DedupeMode,
  LogShipper,
  type LogShipperOptions,
  type LogShipperStats,
  type OverflowPolicy,
  type RejectedLog,
} from './logs/shipper';
export { type EcsIndexTemplateOptions, ecsIndexTemplate } from './logs/template';
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
  PrometheusAlertingRule,
  PrometheusRecordingRule,
  PrometheusRule,
  PrometheusRuleGroup,
  QueryAnnotations,
  QueryResult,
  QueryStats,
  RangeSeries,
  RuleDiscovery,
  ScalarResult,
  StringResult,
  Target,
  TargetDiscovery,
  VectorResult,
} from './prometheus/types';
export type { PushOnExitHandle, PushOnExitOptions } from './pushgateway/push-on-exit';
export {
  Pushgateway,
  type PushgatewayOptions,
  type PushRequest,
  type PushTarget,
} from './pushgateway/pushgateway';
export {
  FEATURE_FETCH_BUCKETS,
  LATENCY_BUCKETS,
  SCORE_BUCKETS,
} from './serving/buckets';
export { MetricsInputError } from './serving/errors';
export type {
  FeatureColumnLike,
  FeatureServerResponseLike,
  FeatureStatus,
  FeatureViewObservation,
  OnlineFeaturesLike,
  OnlineFeaturesOptions,
} from './serving/feature-quality';
export { type MetricsHandler, type MetricsHandlerOptions, metricsHandler } from './serving/metrics-handler';
export {
  createServingMetrics,
  type ModelLabels,
  type ModelMetrics,
  type Outcome,
  type PredictionObservation,
  type ServingMetrics,
  type ServingMetricsOptions,
  type TimedOutcome,
} from './serving/serving-metrics';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
