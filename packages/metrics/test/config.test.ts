import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveMetricsConfig } from '../src/index';

afterEach(() => vi.unstubAllEnvs());

describe('metrics config', () => {
  it('defaults to the local Prometheus and Pushgateway, with Elasticsearch optional', () => {
    for (const name of ['PROMETHEUS_URL', 'PUSHGATEWAY_URL', 'ELASTICSEARCH_URL']) vi.stubEnv(name, '');
    expect(resolveMetricsConfig()).toMatchObject({
      prometheusUrl: 'http://127.0.0.1:9090',
      pushgatewayUrl: 'http://127.0.0.1:9091',
      elasticsearchUrl: undefined,
    });
  });

  it('keeps the Elasticsearch API key out of errors', () => {
    expect(() => resolveMetricsConfig({ elasticsearchApiKey: '' })).toThrow(
      '@mlops/metrics: the option "elasticsearchApiKey" is not valid for "elasticsearchApiKey": must not be empty. Pass a valid elasticsearchApiKey option (or set ELASTICSEARCH_API_KEY).',
    );
  });
});
