// The serving dashboard: built with Grafana's typed builders, emitted as JSON, and every PromQL expression in it
// executed against the platform's Prometheus (:9090) over sample series pushed under a job of our own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServingDashboard, dashboardQueries } from '../src/index';
import { pins } from './support/elasticsearch';
import { promQuery, sampleExposition } from './support/sample-series';

const prometheusUrl = process.env.PROMETHEUS_URL || `http://127.0.0.1:${pins.PROMETHEUS_PORT}`;
const pushgatewayUrl = process.env.PUSHGATEWAY_URL || `http://127.0.0.1:${pins.PUSHGATEWAY_PORT}`;
const job = `mlops_test_dashboard_${randomBytes(4).toString('hex')}`;
const start = 'run `pnpm platform up prometheus` (it starts the Pushgateway too)';

async function push(step: number): Promise<void> {
  const res = await fetch(`${pushgatewayUrl}/metrics/job/${job}`, {
    method: 'PUT',
    body: sampleExposition(step),
  }).catch((error: unknown) => {
    throw new Error(`the Pushgateway is not reachable at ${pushgatewayUrl}: ${start}. (${String(error)})`);
  });
  if (res.status !== 200) throw new Error(`push to the Pushgateway: ${res.status} ${await res.text()}`);
}

describe('serving dashboard', () => {
  beforeAll(async () => {
    await fetch(`${prometheusUrl}/-/ready`).catch((error: unknown) => {
      throw new Error(`Prometheus is not reachable at ${prometheusUrl}: ${start}. (${String(error)})`);
    });
    // Two pushes a scrape interval apart (5 s on the platform), then two more scrapes: rate() has samples.
    await push(1);
    await new Promise((r) => setTimeout(r, 6000));
    await push(2);
    for (let i = 0; i < 40; i++) {
      const got = await promQuery(
        prometheusUrl,
        `count_over_time(mlops_serving_requests_total{job="${job}",outcome="success"}[1m])`,
      );
      if (Number(got[0]?.value[1] ?? 0) >= 3) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`Prometheus did not scrape job ${job} from the Pushgateway three times in 40 s`);
  }, 90_000);
  afterAll(async () => {
    await fetch(`${pushgatewayUrl}/metrics/job/${job}`, { method: 'DELETE' }).catch(() => undefined);
  });

  it('is Grafana dashboard JSON with the datasource, job and model variables and three rows of panels', () => {
    const dashboard = createServingDashboard();
    const json = JSON.parse(JSON.stringify(dashboard)) as typeof dashboard;
    expect(json).toMatchObject({ title: 'MLOps serving', uid: 'mlops-serving', refresh: '30s' });
    expect(json.templating?.list?.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['job', 'query'],
      ['model', 'query'],
    ]);
    expect(json.panels?.filter((p) => p.type === 'row').map((p) => (p as { title?: string }).title)).toEqual([
      'Requests',
      'Features',
      'Drift',
    ]);
    expect(dashboardQueries(json)).toHaveLength(15);
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
      const promql = expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('"$job"', `"${job}"`)
        .replaceAll('"$model"', '".+"');
      const result = await promQuery(prometheusUrl, promql);
      const values = result.map((r) => Number(r.value[1]));
      if (result.length === 0 || values.some((v) => Number.isNaN(v)))
        failures.push(`${panel}: ${promql} → ${JSON.stringify(result)}`);
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
    expect(values.model).toEqual(['churn']);
  });

  it('computes what the sample series say: 1/6 of requests fail, one feature is above PSI 0.25', async () => {
    const queries = dashboardQueries(createServingDashboard());
    const run = async (panel: string) => {
      const q = queries.find((x) => x.panel === panel);
      if (q === undefined) throw new Error(`no panel ${panel}`);
      return promQuery(
        prometheusUrl,
        q.expr
          .replaceAll('$__rate_interval', '1m')
          .replaceAll('"$job"', `"${job}"`)
          .replaceAll('"$model"', '".+"'),
      );
    };
    const errors = await run('Error ratio');
    expect(errors.map((r) => [r.metric, Number(r.value[1]).toFixed(4)])).toEqual([
      [{ model: 'churn', version: '3' }, (1 / 6).toFixed(4)],
    ]);
    const drifting = await run('Features drifting');
    expect(drifting.map((r) => r.value[1])).toEqual(['1']);
  });
});
