import * as airflow from '@mlops/airflow';
import * as feast from '@mlops/feast';
import * as metrics from '@mlops/metrics';
import * as mlflow from '@mlops/mlflow';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as platformPackage from '../src/index';
import { ConfigError, createPlatform, MlopsError } from '../src/index';
import { feastRepo } from './support/platform';

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

  it('creates each client on first use, once, and closes what was opened', async () => {
    const platform = createPlatform({ feast: { repoPath: feastRepo } });
    const store = platform.feast;
    expect(platform.feast).toBe(store);
    expect(platform.mlflow).toBe(platform.mlflow);
    expect(await store.project).toBe('mlops_demo');
    await platform.close();
    await platform.close();
    expect(() => platform.feast).toThrow(/after platform.close\(\)/);
  });

  it('a component that is never used is never created, so a missing repo only fails when Feast is used', async () => {
    vi.stubEnv('FEAST_REPO_PATH', '');
    await using platform = createPlatform();
    expect(platform.config.mlflow.trackingUri).toBe('http://127.0.0.1:5000');
    let caught: unknown;
    try {
      void platform.feast;
    } catch (error) {
      caught = error;
    }
    expect(ConfigError.isInstance(caught)).toBe(true);
    expect((caught as ConfigError).envVars).toEqual(['FEAST_REPO_PATH']);
  });

  it('injects global fetch, headers and logger into the clients, a namespace overriding per name', async () => {
    const seen: Array<{ url: string; headers: Headers }> = [];
    const fetchSpy: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push({ url: request.url, headers: request.headers });
      return new Response('3.18.0', { status: 200, headers: { 'content-type': 'text/plain' } });
    };
    const logged: string[] = [];
    const logger = {
      debug: (m: string) => logged.push(m),
      info: (m: string) => logged.push(m),
      warn: (m: string) => logged.push(m),
      error: (m: string) => logged.push(m),
    };
    await using platform = createPlatform({
      global: { fetch: fetchSpy, headers: { 'x-team': 'ml', 'x-env': 'dev' }, logger },
      mlflow: { trackingUri: 'http://mlflow.test', headers: { 'x-env': 'prod' } },
    });
    const version = await platform.mlflow.raw.GET('/version', { parseAs: 'text' });
    expect(version.data).toBe('3.18.0');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('http://mlflow.test/version');
    expect(seen[0]?.headers.get('x-team')).toBe('ml');
    expect(seen[0]?.headers.get('x-env')).toBe('prod');
    expect(logged.length).toBeGreaterThanOrEqual(1);
  });

  it("re-exports every component package's own error classes, the same classes", () => {
    const own = {
      ...Object.fromEntries(Object.entries(airflow).filter(([name]) => name.endsWith('Error'))),
      ...Object.fromEntries(Object.entries(feast).filter(([name]) => name.endsWith('Error'))),
      ...Object.fromEntries(Object.entries(metrics).filter(([name]) => name.endsWith('Error'))),
      ...Object.fromEntries(Object.entries(mlflow).filter(([name]) => name.endsWith('Error'))),
    };
    expect(Object.keys(own).length).toBeGreaterThanOrEqual(27);
    const reexported: Record<string, unknown> = { ...platformPackage };
    for (const [name, value] of Object.entries(own)) expect(reexported[name], name).toBe(value);
  });
});
