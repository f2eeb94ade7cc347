import * as airflow from '@mlops/airflow';
import * as feast from '@mlops/feast';
import * as metrics from '@mlops/metrics';
import * as mlflow from '@mlops/mlflow';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as platformPackage from '../src/index';
import { AbortError, ConfigError, createPlatform, LogShipperError, MlopsError } from '../src/index';
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

  it('resolves pushgateway and logs as option → the component env → local default', () => {
    vi.stubEnv('PUSHGATEWAY_URL', '');
    vi.stubEnv('ELASTICSEARCH_URL', '');
    vi.stubEnv('MLOPS_LOG_DATA_STREAM', '');
    const local = createPlatform();
    expect(local.config.pushgateway.url).toBe('http://127.0.0.1:9091');
    expect(local.config.logs).toMatchObject({
      elasticsearchUrl: 'http://127.0.0.1:9200',
      configured: false,
      dataStream: 'logs-mlops-default',
    });
    vi.stubEnv('PUSHGATEWAY_URL', 'http://push.env:9091');
    vi.stubEnv('ELASTICSEARCH_URL', 'http://es.env:9200');
    vi.stubEnv('MLOPS_LOG_DATA_STREAM', 'logs-env-default');
    const fromEnv = createPlatform();
    expect(fromEnv.config.pushgateway.url).toBe('http://push.env:9091');
    expect(fromEnv.config.logs).toMatchObject({
      elasticsearchUrl: 'http://es.env:9200',
      configured: true,
      dataStream: 'logs-env-default',
    });
    const fromOptions = createPlatform({
      pushgateway: { url: 'http://push.option:9091' },
      logs: { elasticsearchUrl: 'http://es.option:9200', dataStream: 'logs-opt-default' },
    });
    expect(fromOptions.config.pushgateway.url).toBe('http://push.option:9091');
    expect(fromOptions.config.logs.elasticsearchUrl).toBe('http://es.option:9200');
    expect(fromOptions.config.logs.dataStream).toBe('logs-opt-default');
  });

  it('global retry and timeouts reach every client, a namespace and then global beating the env', () => {
    vi.stubEnv('MLFLOW_HTTP_REQUEST_MAX_RETRIES', '7');
    const platform = createPlatform({
      global: { retry: { maxRetries: 4 }, timeouts: { attemptMs: 1234 } },
      airflow: { maxRetries: 1 },
      feast: { repoPath: feastRepo },
    });
    expect(platform.config.mlflow).toMatchObject({ maxRetries: 4, attemptTimeoutMs: 1234 });
    expect(platform.config.airflow).toMatchObject({ maxRetries: 1, attemptTimeoutMs: 1234 });
    expect(platform.config.feast).toMatchObject({ maxRetries: 4, attemptTimeoutMs: 1234 });
    expect(platform.config.metrics).toMatchObject({ maxRetries: 4, attemptTimeoutMs: 1234 });
    expect(platform.config.pushgateway).toMatchObject({ maxRetries: 4, attemptTimeoutMs: 1234 });
    expect(platform.config.logs.attemptTimeoutMs).toBe(1234);
    expect(createPlatform({ global: { retry: false } }).config.mlflow.maxRetries).toBe(0);
    expect(createPlatform().config.mlflow.maxRetries).toBe(7);
  });

  it('global.signal ends the requests of every HTTP client with an AbortError, never retried', async () => {
    let calls = 0;
    const never: typeof fetch = (_input, init) => {
      calls++;
      return new Promise((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    };
    const controller = new AbortController();
    await using platform = createPlatform({
      global: { fetch: never, signal: controller.signal, retry: { maxRetries: 3 } },
    });
    expect(platform.signal).toBe(controller.signal);
    const pending = [
      platform.mlflow.getExperiment('0'),
      platform.airflow.dags.get('xcom_example'),
      platform.prometheus.query('up'),
      platform.pushgateway.delete({ job: 'never' }),
    ].map((p) =>
      p.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    controller.abort();
    const outcomes = await Promise.all(pending);
    expect(performance.now() - started).toBeLessThan(1000);
    for (const outcome of outcomes) expect(AbortError.isInstance(outcome), String(outcome)).toBe(true);
    expect(calls).toBe(4);
  });

  it('platform.pushgateway pushes to the real Pushgateway, with the global headers', async () => {
    const job = `mlops_platform_test_${Date.now().toString(36)}`;
    await using platform = createPlatform({ global: { headers: { 'x-team': 'ml' } } });
    const registry = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8' as const,
      metrics: async () => '# TYPE mlops_platform_test_rows gauge\nmlops_platform_test_rows 42\n',
    };
    await platform.pushgateway.push({ job, groupings: { run: 'a/b' }, registry });
    try {
      const listed = (await (await fetch(`${platform.config.pushgateway.url}/api/v1/metrics`)).json()) as {
        data: Array<{
          labels: Record<string, string>;
          mlops_platform_test_rows?: { metrics: Array<{ value: string }> };
        }>;
      };
      const group = listed.data.find((g) => g.labels.job === job);
      expect(group?.labels.run).toBe('a/b');
      expect(group?.mlops_platform_test_rows?.metrics[0]?.value).toBe('42');
    } finally {
      await platform.pushgateway.delete({ job, groupings: { run: 'a/b' } });
    }
  });

  it('platform.logs ships ECS lines to Elasticsearch, and close() flushes them', async () => {
    const esUrl = process.env.ELASTICSEARCH_URL || 'http://127.0.0.1:9200';
    const up = await fetch(`${esUrl}/_cluster/health`).catch(() => undefined);
    expect(
      up?.ok,
      `Elasticsearch is not answering at ${esUrl}: bash platform/bin/platform up elasticsearch`,
    ).toBe(true);
    const tag = `mlopsplatformtest${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const dataStream = 'logs-mlops_platform_test-default';
    const platform = createPlatform({
      logs: { elasticsearchUrl: esUrl, dataStream, flushIntervalMs: 60_000 },
    });
    const logger = metrics.createEcsLogger({
      service: { name: 'platform-test' },
      destination: platform.logs,
    });
    logger.info({ labels: { tag } }, `hello ${tag}`);
    logger.warn({ labels: { tag } }, `second ${tag}`);
    // The interval is a minute: only close() can have shipped them.
    await platform.close();
    await fetch(`${esUrl}/${dataStream}/_refresh`, { method: 'POST' });
    const found = (await (
      await fetch(`${esUrl}/${dataStream}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: { match: { 'labels.tag': tag } }, sort: [{ '@timestamp': 'asc' }] }),
      })
    ).json()) as { hits: { hits: Array<{ _source: { message: string; 'log.level': string } }> } };
    expect(found.hits.hits.map((h) => [h._source.message, h._source['log.level']])).toEqual([
      [`hello ${tag}`, 'info'],
      [`second ${tag}`, 'warn'],
    ]);
    expect(() => platform.logs).toThrow(/after platform.close\(\)/);
  });

  it('close() rejects with the LogShipperError when lines could not be shipped, and closes the rest', async () => {
    const platform = createPlatform({
      feast: { repoPath: feastRepo },
      logs: { elasticsearchUrl: 'http://127.0.0.1:1', flushTimeoutMs: 300, retryMaxDelayMs: 50 },
    });
    const store = platform.feast;
    expect(await store.project).toBe('mlops_demo');
    platform.logs.write('{"message":"lost"}');
    const error = await platform.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(LogShipperError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('1 log lines are not yet acknowledged');
    expect(() => platform.feast).toThrow(/after platform.close\(\)/);
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
