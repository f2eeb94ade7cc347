export { type MetricsConfig, type MetricsOptions, metricsConfigSpec, resolveMetricsConfig } from './config';
// Pushgateway, serving metrics kit, data quality and drift (metrics-serving).
export type { Groupings } from './pushgateway/grouping';
export type { ExitProcess, PushOnExitHandle, PushOnExitOptions } from './pushgateway/push-on-exit';
export {
  Pushgateway,
  type PushgatewayOptions,
  type PushRegistry,
  type PushRequest,
  type PushTarget,
} from './pushgateway/pushgateway';
export { MetricsInputError } from './serving/errors';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
