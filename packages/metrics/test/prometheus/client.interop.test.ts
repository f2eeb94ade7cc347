// PrometheusClient against the real servers: the platform's 2.42 and 3.x (read-only), and private ones with rules
// and native histograms. Every decoded value is compared with the server's own JSON fetched beside it: values
// parsed exactly (NaN, ±Inf), times as the integer milliseconds the server keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PrometheusApiError,
  PrometheusArgumentError,
  PrometheusClient,
  PrometheusUnsupportedError,
} from '../../src/index';
import { eventually, type PrivateServer, requireServer, sharedServers, startPrivate } from './support';

async function raw(url: string, path: string, params: Record<string, string>) {
  const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
  return (await response.json()) as { data: { resultType: string; result: unknown } };
}
const expectedValue = (text: string) =>
  text === '+Inf' ? Number.POSITIVE_INFINITY : text === '-Inf' ? Number.NEGATIVE_INFINITY : Number(text);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe.each(sharedServers)('PrometheusClient on the platform Prometheus $name', (server) => {
  const prometheus = new PrometheusClient({ url: server.url });
  beforeAll(() => requireServer(server));

  it('query: a vector at an exact millisecond, values and labels as the server sent them', async () => {
    const time = Date.now() - 1234; // a time with a millisecond part
    const result = await prometheus.query('up', { time });
    if (result.resultType !== 'vector') throw new Error(`expected a vector, got ${result.resultType}`);
    const reference = await raw(server.url, '/api/v1/query', { query: 'up', time: String(time / 1000) });
    const items = reference.data.result as { metric: Record<string, string>; value: [number, string] }[];
    expect(result.result).toEqual(
      items.map((item) => ({ metric: item.metric, value: [time, expectedValue(item.value[1])] })),
    );
    expect(result.result.find((s) => s.metric.job === 'prometheus')?.value).toEqual([time, 1]);
    expect(result.warnings).toEqual([]);
    expect(result.infos).toEqual([]);
  });

  it('query: scalars NaN, +Inf, -Inf and a string, exactly', async () => {
    const time = new Date('2026-01-02T03:04:05.678Z');
    const cases: [string, number][] = [
      ['0/0', Number.NaN],
      ['1/0', Number.POSITIVE_INFINITY],
      ['-1/0', Number.NEGATIVE_INFINITY],
      ['0.1 + 0.2', 0.1 + 0.2],
      ['-1e-300 * 1e-10', -1e-310],
    ];
    for (const [expr, value] of cases) {
      const result = await prometheus.query(expr, { time });
      expect(result).toMatchObject({ resultType: 'scalar', result: [time.getTime(), value] });
    }
    expect(await prometheus.query('"model-v2"', { time })).toMatchObject({
      resultType: 'string',
      result: [time.getTime(), 'model-v2'],
    });
  });

  it('queryRange: a matrix on the exact step grid, equal to the server JSON, with toArrow()', async () => {
    const end = Math.floor(Date.now() / 1000) * 1000 - 500;
    const start = end - 60_000;
    const result = await prometheus.queryRange('up', { start, end, step: 7500 });
    const reference = await raw(server.url, '/api/v1/query_range', {
      query: 'up',
      start: String(start / 1000),
      end: String(end / 1000),
      step: '7.5',
    });
    const series = reference.data.result as { metric: Record<string, string>; values: [number, string][] }[];
    expect(result.result).toEqual(
      series.map((s) => ({
        metric: s.metric,
        values: s.values.map(([t, v]) => [Math.round(t * 1000), expectedValue(v)]),
        histograms: [],
      })),
    );
    const own = result.result.find((s) => s.metric.job === 'prometheus')!;
    for (const [t] of own.values) expect((t - start) % 7500).toBe(0);
    const table = await result.toArrow();
    const rows = result.result.reduce((n, s) => n + s.values.length, 0);
    expect(table.numRows).toBe(rows);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      '__name__',
      'instance',
      'job',
      'timestamp',
      'value',
    ]);
    const first = table.get(0)!.toJSON();
    const s0 = result.result[0]!;
    expect(first).toEqual({ ...s0.metric, timestamp: s0.values[0]![0], value: s0.values[0]![1] });
  });

  it('series, labels, labelValues and metadata', async () => {
    const series = await prometheus.series(['up{job="prometheus"}', 'up{job="pushgateway"}']);
    expect(series.data.map((s) => s.job).sort()).toEqual(['prometheus', 'pushgateway']);
    expect((await prometheus.labels({ match: 'up' })).data).toEqual(['__name__', 'instance', 'job']);
    expect((await prometheus.labelValues('job', { match: ['up{job=~"prom.*"}'] })).data).toEqual([
      'prometheus',
    ]);
    const metadata = await prometheus.metadata({ metric: 'prometheus_build_info' });
    expect(metadata.data.prometheus_build_info?.[0]).toMatchObject({ type: 'gauge', unit: '' });
  });

  it('targets, rules, alerts, buildInfo and flags', async () => {
    const targets = await prometheus.targets({ scrapePool: 'prometheus' });
    expect(targets.activeTargets.map((t) => t.labels.job)).toEqual(['prometheus']);
    expect(Array.isArray((await prometheus.rules()).groups)).toBe(true);
    expect(Array.isArray(await prometheus.alerts())).toBe(true);
    const build = await prometheus.buildInfo();
    expect(build.version.split('.')[0]).toBe(String(server.major));
    expect((await prometheus.flags())['web.listen-address']).toBe(new URL(server.url).host);
  });

  it('errors carry Prometheus errorType: bad_data (400), execution (422)', async () => {
    const bad = await rejection(prometheus.query('sum(rate(up[5m])'));
    expect(PrometheusApiError.isInstance(bad) && [bad.status, bad.errorType]).toEqual([400, 'bad_data']);
    expect((bad as Error).message).toContain('parse error');
    const execution = await rejection(prometheus.query('{__name__=~"up|scrape_samples_scraped"} + 0'));
    expect(PrometheusApiError.isInstance(execution) && [execution.status, execution.errorType]).toEqual([
      422,
      'execution',
    ]);
  });

  it('bad arguments fail before anything is sent', async () => {
    const empty = await rejection(prometheus.query('  '));
    expect(PrometheusArgumentError.isInstance(empty) && empty.argument).toBe('expr');
    const time = await rejection(prometheus.query('up', { time: Number.NaN }));
    expect(PrometheusArgumentError.isInstance(time) && time.argument).toBe('time');
    const step = await rejection(prometheus.queryRange('up', { start: 0, end: 1000, step: '5 minutes' }));
    expect(PrometheusArgumentError.isInstance(step) && step.argument).toBe('step');
    const match = await rejection(prometheus.series([]));
    expect(PrometheusArgumentError.isInstance(match) && match.argument).toBe('match');
  });

  if (server.major === 2) {
    it('2.42 refuses parameters it would ignore: limit, lookbackDelta, rule filters', async () => {
      for (const call of [
        () => prometheus.query('up', { limit: 1 }),
        () => prometheus.queryRange('up', { start: 0, end: 1000, step: 1000, lookbackDelta: '1m' }),
        () => prometheus.series('up', { limit: 1 }),
        () => prometheus.labelValues('job', { limit: 1 }),
        () => prometheus.metadata({ limitPerMetric: 1 }),
        () => prometheus.rules({ ruleName: ['x'] }),
        () => prometheus.rules({ excludeAlerts: true }),
        () => prometheus.rules({ groupLimit: 1 }),
      ]) {
        const error = await rejection(call());
        expect(PrometheusUnsupportedError.isInstance(error) && error.serverVersion).toBe('2.42.0+ds');
      }
      const error = await rejection(prometheus.query('up', { limit: 1 }));
      expect((error as Error).message).toBe(
        `limit of query() needs Prometheus 3.2.0 or newer, but the server at ${server.url} runs 2.42.0+ds (which would ignore it and answer as if it were not given). Upgrade Prometheus, or call without it.`,
      );
    });
  } else {
    it('3.x takes limit and lookbackDelta, and says when a listing was truncated', async () => {
      const limited = await prometheus.query('up', { limit: 1, lookbackDelta: '1m' });
      expect(limited.resultType === 'vector' && limited.result.length).toBe(1);
      const series = await prometheus.series('up', { limit: 1 });
      expect(series.data).toHaveLength(1);
      expect(series.warnings.join(' ')).toContain('truncated');
    });

    it('3.x warnings and infos are surfaced on a successful answer', async () => {
      const result = await prometheus.query('rate(up[1m])');
      expect(result.infos.join(' ')).toContain('might not be a counter');
      const quantile = await prometheus.query('histogram_quantile(0.5, up)');
      expect(quantile.warnings.join(' ')).toContain('le');
    });
  }
});

describe('PrometheusClient on a private Prometheus 3.x', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startPrivate(3);
  }, 40_000);
  afterAll(() => server?.stop());

  it('native histograms: an instant vector and a range, numbers equal to the server JSON', {
    timeout: 30_000,
  }, async () => {
    const prometheus = new PrometheusClient({ url: server.url });
    const expr = 'sum(prometheus_http_request_duration_seconds)';
    const time = await eventually('a native histogram', async () => {
      const t = Date.now();
      const result = await prometheus.query(expr, { time: t });
      return result.resultType === 'vector' && result.result[0]?.histogram ? t : undefined;
    });
    const result = await prometheus.query(expr, { time });
    const reference = await raw(server.url, '/api/v1/query', { query: expr, time: String(time / 1000) });
    const [item] = reference.data.result as {
      histogram: [number, { count: string; sum: string; buckets: [number, string, string, string][] }];
    }[];
    const [t, h] = item!.histogram;
    expect(result).toMatchObject({
      resultType: 'vector',
      result: [
        {
          metric: {},
          histogram: [
            Math.round(t * 1000),
            {
              count: Number(h.count),
              sum: Number(h.sum),
              buckets: h.buckets.map(([rule, lower, upper, count]) => ({
                boundaryRule: rule,
                lower: Number(lower),
                upper: Number(upper),
                count: Number(count),
              })),
            },
          ],
        },
      ],
    });
    expect(h.buckets.length).toBeGreaterThan(0);
    const range = await prometheus.queryRange(expr, { start: time - 2000, end: time, step: 1000 });
    expect(range.result[0]?.values).toEqual([]);
    expect(range.result[0]?.histograms.map(([ms]) => ms)).toEqual(
      [time - 2000, time - 1000, time].slice(-range.result[0]!.histograms.length),
    );
    const arrow = await rejection(range.toArrow());
    expect(PrometheusArgumentError.isInstance(arrow) && arrow.message).toContain('histogram_count()');
    const count = await prometheus.queryRange(`histogram_count(${expr})`, {
      start: time - 2000,
      end: time,
      step: 1000,
    });
    expect((await count.toArrow()).numRows).toBe(count.result[0]!.values.length);
  });

  it('rules and alerts of its rule file', { timeout: 30_000 }, async () => {
    const prometheus = new PrometheusClient({ url: server.url });
    const firing = await eventually('the firing alert', async () => {
      const alerts = await prometheus.alerts();
      return alerts.find((a) => a.state === 'firing');
    });
    expect(firing).toMatchObject({ labels: { alertname: 'AlwaysFiring', severity: 'test' }, value: '1e+00' });
    const { groups } = await prometheus.rules({ type: 'alert', excludeAlerts: true });
    const rules = groups[0]!.rules;
    expect(rules.map((r) => r.name)).toEqual(['AlwaysFiring', 'LongPending']);
    const pending = rules[1]!;
    // excludeAlerts: 3.x sends null for the alerts of each rule.
    expect(pending.type === 'alerting' && [pending.duration, pending.keepFiringFor, pending.alerts]).toEqual([
      3600,
      300,
      null,
    ]);
    const all = await prometheus.rules({ type: 'alert' });
    const alwaysFiring = all.groups[0]!.rules[0]!;
    expect(alwaysFiring.type === 'alerting' && alwaysFiring.alerts?.map((a) => a.state)).toEqual(['firing']);
  });
});
