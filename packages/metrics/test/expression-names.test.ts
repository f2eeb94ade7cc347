// Every metric name (and every label matched in a selector) that the dashboard and the rules query is one the
// serving kit or the drift monitor registers: names are parsed out of the PromQL and compared with a real
// registry's, so a renamed metric fails here before it fails in Prometheus.
import { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createServingDashboard,
  createServingMetrics,
  createServingRules,
  dashboardQueries,
} from '../src/index';
import { createTraffic } from './support/sample-series';

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The series selectors of a PromQL expression: metric name and the label names its matchers use. */
function selectors(expr: string): Array<{ name: string; labels: string[] }> {
  const out: Array<{ name: string; labels: string[] }> = [];
  // Label lists of by/without/on/ignoring/group_*, range durations and strings carry no metric name.
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const token = /([A-Za-z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?/g;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const [, name, braces, call] = m;
    if (call !== undefined || KEYWORDS.has(name!.toLowerCase())) continue;
    // Skip a `$variable` or a number's exponent/unit.
    const before = text[m.index - 1];
    if (before === '$' || (before !== undefined && /[\d.]/.test(before))) continue;
    const labels = [...(braces ?? '').matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!);
    out.push({ name: name!, labels });
  }
  return out;
}

/** label_values(selector, label) of a dashboard variable, as a selector plus the label it lists. */
function variableSelectors(query: string): Array<{ name: string; labels: string[] }> {
  const match = /^label_values\((.+), (\w+)\)$/.exec(query);
  if (!match) throw new Error(`unexpected variable query ${query}`);
  return selectors(match[1]!).map((s) => ({ ...s, labels: [...s.labels, match[2]!] }));
}

/** The metric names and label names the registry exports, histogram series included. */
async function exported(): Promise<Map<string, Set<string>>> {
  const { registry } = createTraffic();
  const names = new Map<string, Set<string>>();
  for (const metric of await registry.getMetricsAsJSON()) {
    // prom-client types `type` as a numeric enum but writes strings: ask the metric object instead.
    const series =
      registry.getSingleMetric(metric.name) instanceof Histogram
        ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
        : [metric.name];
    for (const name of series) {
      const labels = new Set(['job', 'instance', ...(name.endsWith('_bucket') ? ['le'] : [])]);
      for (const v of metric.values) for (const l of Object.keys(v.labels)) if (l !== 'le') labels.add(l);
      names.set(name, labels);
    }
  }
  return names;
}

/** Each selector whose metric is not exported, or whose matchers use a label the metric lacks. */
function unknown(
  found: Array<{ where: string; name: string; labels: string[] }>,
  known: Map<string, Set<string>>,
  recorded: Set<string>,
): string[] {
  const problems: string[] = [];
  for (const { where, name, labels } of found) {
    if (name.includes(':')) {
      if (!recorded.has(name)) problems.push(`${where}: ${name} is recorded by no rule`);
      continue;
    }
    const own = known.get(name);
    if (own === undefined) {
      problems.push(`${where}: ${name} is not a metric of the kit or the drift monitor`);
      continue;
    }
    for (const label of labels) if (!own.has(label)) problems.push(`${where}: ${name} has no label ${label}`);
  }
  return problems;
}

describe('metric names of the dashboard and the rules', () => {
  it('parses metric names and matched labels out of PromQL', () => {
    expect(
      selectors(
        'sum by (le, model_name) (rate(mlops_a_bucket{job=~"$job", x!="a{b}"}[$__rate_interval])) / ignoring (status) group_left mlops:b:rate5m > 1e3 or vector(0)',
      ),
    ).toEqual([
      { name: 'mlops_a_bucket', labels: ['job', 'x'] },
      { name: 'mlops:b:rate5m', labels: [] },
    ]);
  });

  it('refuses a name or a label the kit does not export', async () => {
    const known = await exported();
    const found = [
      ...selectors('rate(mlops_serving_requests_total{model="churn"}[5m])'),
      ...selectors('rate(mlops_inference_requests_total{model="churn"}[5m])'),
    ].map((s) => ({ where: 'test', ...s }));
    expect(unknown(found, known, new Set())).toEqual([
      'test: mlops_serving_requests_total is not a metric of the kit or the drift monitor',
      'test: mlops_inference_requests_total has no label model',
    ]);
  });

  it('queries only metrics and labels that createServingMetrics and createDriftMonitor register', async () => {
    const known = await exported();
    const rules = createServingRules().groups.flatMap((g) => g.rules);
    const recorded = new Set(rules.flatMap((r) => ('record' in r ? [r.record] : [])));
    const dashboard = createServingDashboard();
    const found = [
      ...dashboardQueries(dashboard).flatMap(({ panel, expr }) =>
        selectors(expr).map((s) => ({ where: `panel ${panel}`, ...s })),
      ),
      ...(dashboard.templating?.list ?? [])
        .filter((v) => v.type === 'query')
        .flatMap((v) =>
          variableSelectors(String(v.query)).map((s) => ({ where: `variable ${v.name}`, ...s })),
        ),
      ...rules.flatMap((r) =>
        selectors(r.expr).map((s) => ({ where: 'record' in r ? r.record : r.alert, ...s })),
      ),
    ];
    expect(unknown(found, known, recorded)).toEqual([]);
    // What is queried: every series of the kit and the monitor except the prediction counters' siblings.
    const queried = new Set(found.map((f) => f.name).filter((n) => !n.includes(':')));
    expect([...queried].sort()).toEqual([
      'mlops_drift_ks_statistic',
      'mlops_drift_missing_rate',
      'mlops_drift_out_of_range_rate',
      'mlops_drift_psi',
      'mlops_drift_window_observations',
      'mlops_feature_fetch_duration_seconds_bucket',
      'mlops_feature_freshness_seconds',
      'mlops_feature_missing_total',
      'mlops_feature_stale_total',
      'mlops_feature_values_total',
      'mlops_inference_request_duration_seconds_bucket',
      'mlops_inference_request_duration_seconds_count',
      'mlops_inference_requests_in_flight',
      'mlops_inference_requests_total',
      'mlops_prediction_score_bucket',
      'mlops_predictions_total',
    ]);
  });

  it('follows the prefix option like the kit does', async () => {
    const names = (prefix: string) =>
      [
        ...dashboardQueries(createServingDashboard({ prefix })).map((q) => q.expr),
        ...createServingRules({ prefix }).groups.flatMap((g) => g.rules.map((r) => r.expr)),
      ]
        .flatMap((e) => selectors(e).map((s) => s.name))
        .filter((n) => !n.includes(':'));
    expect(names('acme_').every((n) => n.startsWith('acme_'))).toBe(true);
    expect(names('acme_').map((n) => n.replace(/^acme_/, 'mlops_'))).toEqual(names('mlops_'));
  });
});

describe('the prefix option of the builders', () => {
  it('is refused like the kit refuses it when it cannot start a metric name', () => {
    for (const build of [
      () => createServingDashboard({ prefix: 'my-team_' }),
      () => createServingRules({ prefix: 'my-team_' }),
      () => createServingMetrics({ prefix: 'my-team_' }),
    ])
      expect(build).toThrow('prefix: "my-team_" is not a valid Prometheus metric name prefix.');
  });
});
