import { ConfigError } from '@mlops/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveAirflowConfig } from '../src/index';

afterEach(() => vi.unstubAllEnvs());

describe('Airflow config', () => {
  it('resolves option, then AIRFLOW_API_* environment variables, then defaults', () => {
    vi.stubEnv('AIRFLOW_API_URL', '');
    expect(resolveAirflowConfig()).toMatchObject({ baseUrl: 'http://127.0.0.1:8080', maxRetries: 2 });
    vi.stubEnv('AIRFLOW_API_URL', 'http://airflow.internal:8080');
    vi.stubEnv('AIRFLOW_API_USERNAME', 'admin');
    expect(resolveAirflowConfig()).toMatchObject({
      baseUrl: 'http://airflow.internal:8080',
      username: 'admin',
    });
    expect(resolveAirflowConfig({ baseUrl: 'http://other.test' }).baseUrl).toBe('http://other.test');
  });

  it('names the variable holding a bad value', () => {
    vi.stubEnv('AIRFLOW_API_TIMEOUT_MS', 'soon');
    const error = (() => {
      try {
        resolveAirflowConfig();
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).envVar).toBe('AIRFLOW_API_TIMEOUT_MS');
    expect((error as ConfigError).option).toBe('attemptTimeoutMs');
  });
});
