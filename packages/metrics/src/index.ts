export { type MetricsConfig, type MetricsOptions, metricsConfigSpec, resolveMetricsConfig } from './config';
// Logs: ECS lines on pino, shipped into an Elasticsearch data stream (src/logs).
export { createEcsLogger, type EcsLoggerOptions } from './logs/ecs-logger';
export { LogShipperError } from './logs/errors';
export {
  LogShipper,
  type LogShipperOptions,
  type LogShipperStats,
  type OverflowPolicy,
  type RejectedLog,
} from './logs/shipper';
export { type EcsIndexTemplateOptions, ecsIndexTemplate } from './logs/template';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
