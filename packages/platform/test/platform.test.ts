import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, createPlatform, MlopsError } from '../src/index';

afterEach(() => vi.unstubAllEnvs());

describe('createPlatform', () => {
  it('resolves every component from one options object, a namespace each', () => {
    const platform = createPlatform({
      mlflow: { trackingUri: 'http://mlflow.test' },
      airflow: { baseUrl: 'http://airflow.test' },
      feast: { featureServerUrl: 'http://feast.test' },
      metrics: { prometheusUrl: 'http://prom.test' },
    });
    expect(platform.config.mlflow.trackingUri).toBe('http://mlflow.test');
    expect(platform.config.airflow.baseUrl).toBe('http://airflow.test');
    expect(platform.config.feast.featureServerUrl).toBe('http://feast.test');
    expect(platform.config.metrics.prometheusUrl).toBe('http://prom.test');
    expect(Object.isFrozen(platform.config)).toBe(true);
  });

  it('fails at start-up on a bad environment, with the error classes re-exported', () => {
    vi.stubEnv('PUSHGATEWAY_URL', 'nope');
    let caught: unknown;
    try {
      createPlatform();
    } catch (error) {
      caught = error;
    }
    expect(ConfigError.isInstance(caught)).toBe(true);
    expect(MlopsError.isInstance(caught)).toBe(true);
    expect((caught as ConfigError).envVar).toBe('PUSHGATEWAY_URL');
  });
});
