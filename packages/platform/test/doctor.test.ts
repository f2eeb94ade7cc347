import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPlatform, DOCTOR_COMPONENTS } from '../src/index';
import { deadUrl, feastRepo } from './support/platform';

afterEach(() => vi.unstubAllEnvs());

describe('platform.doctor() against the local platform', () => {
  it('reaches every component, with versions where they tell and latencies', async () => {
    await using platform = createPlatform({
      feast: { repoPath: feastRepo },
      logs: { elasticsearchUrl: 'http://127.0.0.1:9200' },
    });
    const report = await platform.doctor();
    const failed = report.checks.filter((c) => !c.ok);
    expect(
      failed,
      `start the platform: pnpm platform up; pnpm platform up elasticsearch (${JSON.stringify(failed)})`,
    ).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.component)).toEqual([...DOCTOR_COMPONENTS]);
    const byName = Object.fromEntries(report.checks.map((c) => [c.component, c]));
    expect(byName.mlflow?.version).toBe('3.18.0');
    expect(byName.airflow?.version).toBe('3.3.2');
    expect(byName.airflow?.auth).toBe('ok');
    expect(byName.prometheus?.version).toMatch(/^2\.42\.0/);
    expect(byName.pushgateway?.version).toBe('1.5.1');
    expect(byName.pushgateway?.detail).toBe('accepts pushes');
    expect(byName.logs?.version).toBe('8.19.21');
    expect(byName.logs?.detail).toMatch(
      /^cluster (green|yellow); logs go to data stream logs-mlops-default$/,
    );
    expect(byName.feast?.detail).toMatch(/^project mlops_demo: \d+ feature views; feature server up/);
    for (const check of report.checks) expect(check.latencyMs).toBeGreaterThan(0);
  });

  it('says what to fix for a component nobody answers for, and still reports the others', async () => {
    await using platform = createPlatform({
      feast: { repoPath: feastRepo },
      mlflow: { trackingUri: deadUrl, maxRetries: 0 },
      metrics: { pushgatewayUrl: deadUrl },
    });
    const report = await platform.doctor({ components: ['mlflow', 'pushgateway', 'prometheus'] });
    expect(report.ok).toBe(false);
    const [mlflow, pushgateway, prometheus] = report.checks;
    expect(mlflow?.ok).toBe(false);
    expect(mlflow?.fix).toBe(
      `nothing answers at ${deadUrl}: start it (pnpm platform up mlflow) or point MLFLOW_TRACKING_URI at yours`,
    );
    expect(pushgateway?.ok).toBe(false);
    expect(pushgateway?.fix).toContain('PUSHGATEWAY_URL');
    expect(prometheus?.ok).toBe(true);
  });

  it('leaves the logs store out unless it is configured or asked for, and says how to start it', async () => {
    vi.stubEnv('ELASTICSEARCH_URL', '');
    await using platform = createPlatform({ feast: { repoPath: feastRepo } });
    const report = await platform.doctor({ components: undefined, timeoutMs: 5000 });
    expect(report.checks.map((c) => c.component)).not.toContain('logs');
    const asked = await platform.doctor({ components: ['logs'] });
    expect(asked.checks[0]).toMatchObject({ component: 'logs', ok: true, url: 'http://127.0.0.1:9200' });
    await using dead = createPlatform({ logs: { elasticsearchUrl: deadUrl } });
    const down = await dead.doctor({ components: ['logs'] });
    expect(down.checks[0]?.ok).toBe(false);
    expect(down.checks[0]?.fix).toBe(
      `nothing answers at ${deadUrl}: start it (pnpm platform up elasticsearch) or point ELASTICSEARCH_URL at yours`,
    );
  });

  it('checks the Pushgateway through the client, sending the global headers', async () => {
    const seen: Array<{ method: string; url: string; team: string | null }> = [];
    const spy: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push({ method: request.method, url: request.url, team: request.headers.get('x-team') });
      return fetch(request);
    };
    await using platform = createPlatform({ global: { fetch: spy, headers: { 'x-team': 'ml' } } });
    const report = await platform.doctor({ components: ['pushgateway'] });
    expect(report.ok).toBe(true);
    expect(seen.map((s) => s.method)).toEqual(['DELETE', 'GET']);
    expect(seen[0]?.url).toMatch(
      /^http:\/\/127\.0\.0\.1:9091\/metrics\/job\/mlops_doctor\/instance\/[0-9a-f]{12}$/,
    );
    expect(seen.every((s) => s.team === 'ml')).toBe(true);
  });

  it('reports a Feast without a repo as a configuration problem naming FEAST_REPO_PATH', async () => {
    vi.stubEnv('FEAST_REPO_PATH', '');
    await using platform = createPlatform();
    const report = await platform.doctor({ components: ['feast'] });
    expect(report.checks[0]?.ok).toBe(false);
    expect(report.checks[0]?.fix).toBe('set FEAST_REPO_PATH (or the feast option)');
  });

  it('ends a check at its deadline instead of hanging on a server that never answers', async () => {
    const never: typeof fetch = (_input, init) =>
      new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    await using platform = createPlatform({ global: { fetch: never } });
    const started = performance.now();
    const report = await platform.doctor({ components: ['prometheus'], timeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(report.checks[0]?.ok).toBe(false);
    expect(report.checks[0]?.fix).toContain('did not answer in time');
  });
});
