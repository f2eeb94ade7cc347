// The serving dashboard: built with Grafana's typed builders, emitted as JSON, and every PromQL expression in it
// executed against the platform's Prometheus (:9090) over the series the real serving kit and drift monitor
// export, pushed with the package's own Pushgateway client under a job of our own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServingDashboard, dashboardQueries, Pushgateway } from '../src/index';
import { pins } from './support/elasticsearch';
import { createTraffic, promQuery, TRAFFIC } from './support/sample-series';

const prometheusUrl = process.env.PROMETHEUS_URL || `http://127.0.0.1:${pins.PROMETHEUS_PORT}`;
const pushgatewayUrl = process.env.PUSHGATEWAY_URL || `http://127.0.0.1:${pins.PUSHGATEWAY_PORT}`;
const job = `mlops_test_dashboard_${randomBytes(4).toString('hex')}`;
const start = 'run `pnpm platform up prometheus` (it starts the Pushgateway too)';
const gateway = new Pushgateway({ url: pushgatewayUrl, maxRetries: 0 });
const traffic = createTraffic();

/** Grafana's variables as a single job and every model, so the expressions run as Grafana would send them. */
function promql(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('"$job"', `"${job}"`)
    .replaceAll('"$model"', '".+"');
}

// Traffic keeps coming (a round, then a push, every 2 s) while the tests run, so rate() always has samples.
let pushing = true;
let pusher: Promise<void> = Promise.resolve();
async function pushLoop(): Promise<void> {
  while (pushing) {
    traffic.step();
    await gateway.push({ job, registry: traffic.registry });
    await new Promise((r) => setTimeout(r, 2000));
  }
}

describe('serving dashboard', () => {
  beforeAll(async () => {
    await fetch(`${prometheusUrl}/-/ready`).catch((error: unknown) => {
      throw new Error(`Prometheus is not reachable at ${prometheusUrl}: ${start}. (${String(error)})`);
    });
    await gateway.push({ job, registry: traffic.registry }).catch((error: unknown) => {
      throw new Error(`the Pushgateway is not reachable at ${pushgatewayUrl}: ${start}. (${String(error)})`);
    });
    pusher = pushLoop();
    // Three scrapes (every 5 s on the platform) of growing counters: rate() over 1m has samples.
    for (let i = 0; i < 45; i++) {
      const got = await promQuery(
        prometheusUrl,
        `count_over_time(mlops_inference_requests_total{job="${job}",model_name="${TRAFFIC.failing}",outcome="success"}[1m])`,
      );
      if (Number(got[0]?.value[1] ?? 0) >= 3) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`Prometheus did not scrape job ${job} from the Pushgateway three times in 45 s`);
  }, 90_000);
  afterAll(async () => {
    pushing = false;
    await pusher.catch(() => undefined);
    await gateway.delete({ job }).catch(() => undefined);
  });

  it('is Grafana dashboard JSON with the datasource, job and model variables and three rows of panels', () => {
    const dashboard = createServingDashboard();
    const json = JSON.parse(JSON.stringify(dashboard)) as typeof dashboard;
    expect(json).toMatchObject({ title: 'MLOps serving', uid: 'mlops-serving', refresh: '30s' });
    expect(json.templating?.list?.map((v) => [v.name, v.type, v.query])).toEqual([
      ['datasource', 'datasource', 'prometheus'],
      ['job', 'query', 'label_values(mlops_inference_requests_total, job)'],
      ['model', 'query', 'label_values(mlops_inference_requests_total{job=~"$job"}, model_name)'],
    ]);
    expect(json.panels?.filter((p) => p.type === 'row').map((p) => (p as { title?: string }).title)).toEqual([
      'Requests',
      'Features',
      'Drift',
    ]);
    expect(dashboardQueries(json)).toHaveLength(19);
    for (const panel of json.panels ?? []) {
      if (panel.type === 'row') continue;
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('runs every PromQL expression of the dashboard on the real Prometheus and gets series back', {
    timeout: 60_000,
  }, async () => {
    const queries = dashboardQueries(createServingDashboard());
    const failures: string[] = [];
    for (const { panel, expr } of queries) {
      const result = await promQuery(prometheusUrl, promql(expr));
      const values = result.map((r) => Number(r.value[1]));
      if (result.length === 0 || values.some((v) => !Number.isFinite(v)))
        failures.push(`${panel}: ${promql(expr)} → ${JSON.stringify(result)}`);
    }
    expect(failures).toEqual([]);
  });

  it("resolves the job and model variables' label_values() on the real Prometheus", async () => {
    const variables = createServingDashboard().templating?.list ?? [];
    const values: Record<string, string[]> = {};
    for (const v of variables) {
      if (v.type !== 'query') continue;
      const match = /^label_values\((.+), (\w+)\)$/.exec(String(v.query));
      if (!match) throw new Error(`variable ${v.name}: unexpected query ${String(v.query)}`);
      const selector = (match[1] as string).replace('"$job"', `"${job}"`);
      const url = `${prometheusUrl}/api/v1/label/${match[2]}/values?${new URLSearchParams({ 'match[]': selector })}`;
      values[v.name] = ((await (await fetch(url)).json()) as { data: string[] }).data;
    }
    expect(values.job).toContain(job);
    expect(values.model).toEqual([TRAFFIC.failing, TRAFFIC.healthy]);
  });

  it('computes what the kit recorded: error ratio, missing and stale shares, freshness, drifting features', {
    timeout: 30_000,
  }, async () => {
    const queries = dashboardQueries(createServingDashboard());
    const run = async (panel: string, index = 0) => {
      const q = queries.filter((x) => x.panel === panel)[index];
      if (q === undefined) throw new Error(`no panel ${panel}`);
      const result = await promQuery(prometheusUrl, promql(q.expr));
      return result
        .map((r) => [r.metric, Number(r.value[1])] as const)
        .sort(([a], [b]) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    };
    const fixed = (rows: ReadonlyArray<readonly [Record<string, string>, number]>, digits = 4) =>
      rows.map(([metric, value]) => [metric, value.toFixed(digits)]);

    // churn: 2 errors in 12 requests; fraud: none.
    expect(fixed(await run('Error ratio'))).toEqual([
      [{ model_name: TRAFFIC.failing, model_version: '3' }, (1 / 6).toFixed(4)],
      [{ model_name: TRAFFIC.healthy, model_version: '1' }, '0.0000'],
    ]);
    // Half of churn's requests take 0.8 s: its p99 is past the 0.5 s objective, fraud's (20 ms) is not.
    const p99 = Object.fromEntries((await run('Latency', 2)).map(([m, v]) => [m.model_name, v]));
    expect(p99[TRAFFIC.failing]).toBeGreaterThan(0.5);
    expect(p99[TRAFFIC.healthy]).toBeLessThan(0.05);
    // 1 value in 5 of the stale view is NOT_FOUND and 1 in 5 OUTSIDE_MAX_AGE; the fresh view has neither.
    expect(fixed(await run('Missing features'))).toEqual([
      [{ feature_view: TRAFFIC.freshView, status: 'NOT_FOUND' }, '0.0000'],
      [{ feature_view: TRAFFIC.freshView, status: 'NULL_VALUE' }, '0.0000'],
      [{ feature_view: TRAFFIC.staleView, status: 'NOT_FOUND' }, '0.2000'],
      [{ feature_view: TRAFFIC.staleView, status: 'NULL_VALUE' }, '0.0000'],
    ]);
    expect(fixed(await run('Stale features'))).toEqual([
      [{ feature_view: TRAFFIC.freshView }, '0.0000'],
      [{ feature_view: TRAFFIC.staleView }, '0.2000'],
    ]);
    const freshness = Object.fromEntries(
      (await run('Feature freshness')).map(([m, v]) => [m.feature_view, v]),
    );
    expect(freshness[TRAFFIC.staleView]).toBeCloseTo(7200, -1);
    expect(freshness[TRAFFIC.freshView]).toBeCloseTo(30, -1);
    // Only conv_rate left its training distribution.
    expect((await run('Features drifting')).map(([, v]) => v)).toEqual([1]);
    const psi = Object.fromEntries((await run('Population stability index')).map(([m, v]) => [m.feature, v]));
    expect(psi[TRAFFIC.drifting]).toBeGreaterThan(0.25);
    expect(psi[TRAFFIC.steady]).toBeLessThan(0.1);
  });
});
