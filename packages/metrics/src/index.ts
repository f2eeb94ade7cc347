export { type MetricsConfig, type MetricsOptions, metricsConfigSpec, resolveMetricsConfig } from './config';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
