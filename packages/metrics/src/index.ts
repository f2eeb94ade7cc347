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
export { createEcsLogger, type EcsLoggerOptions } from './logs/ecs-logger';
export { LogShipperError } from './logs/errors';
export {
  type DedupeMode,
  LogShipper,
  type LogShipperOptions,
  type LogShipperStats,
  type OverflowPolicy,
  type RejectedLog,
} from './logs/shipper';
export { type EcsIndexTemplateOptions, ecsIndexTemplate } from './logs/template';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
