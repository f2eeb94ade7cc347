import { type ConfigOptions, configField, resolveConfig } from '@mlops/core/sdk';
import { PACKAGE_NAME } from './version';

/** Where the monitoring side of the platform lives. */
export const metricsConfigSpec = {
  prometheusUrl: configField.url({ env: ['PROMETHEUS_URL'], default: 'http://127.0.0.1:9090' }),
  pushgatewayUrl: configField.url({ env: ['PUSHGATEWAY_URL'], default: 'http://127.0.0.1:9091' }),
  elasticsearchUrl: configField.url({ env: ['ELASTICSEARCH_URL'] }),
  elasticsearchApiKey: configField.secret({ env: ['ELASTICSEARCH_API_KEY'] }),
  maxRetries: configField.count({ env: ['MLOPS_METRICS_MAX_RETRIES'], default: 2 }),
  attemptTimeoutMs: configField.positiveNumber({ env: ['MLOPS_METRICS_TIMEOUT_MS'], default: 30_000 }),
};

export type MetricsOptions = ConfigOptions<typeof metricsConfigSpec>;
export type MetricsConfig = ReturnType<typeof resolveMetricsConfig>;

/** Option → environment variable → default. */
export function resolveMetricsConfig(options: MetricsOptions = {}) {
  return resolveConfig(metricsConfigSpec, options, { service: PACKAGE_NAME });
}
