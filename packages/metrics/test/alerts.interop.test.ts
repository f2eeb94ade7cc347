// The serving rules: emitted as YAML, checked by `promtool check rules`, then loaded into a throwaway Prometheus
// of our own (free loopback port, temporary config and data dir; the platform's :9090 is left alone) that scrapes
// the real serving kit and drift monitor through the package's metricsHandler (a round of traffic per scrape) and
// evaluates them: every rule healthy, recordings computed, the alerts the traffic calls for firing, no others.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createServingRules, metricsHandler, servingRulesYaml } from '../src/index';
import { freePort } from './support/elasticsearch';
import { createTraffic, promQuery, TRAFFIC } from './support/sample-series';

const dir = mkdtempSync(join(tmpdir(), 'mlops-rules-'));
const rulesFile = join(dir, 'serving-rules.yml');
let prometheus: ChildProcess | undefined;
let exporter: Server | undefined;
let prometheusUrl = '';

describe('serving rules', () => {
  beforeAll(async () => {
    writeFileSync(rulesFile, servingRulesYaml({ forScale: 0 }));
    const traffic = createTraffic();
    const scrape = metricsHandler(traffic.registry, { defaultMetrics: false });
    exporter = createServer((req, res) => {
      traffic.step();
      void scrape(req, res);
    });
    const exporterPort = await freePort();
    await new Promise<void>((resolve) => exporter?.listen(exporterPort, '127.0.0.1', resolve));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ["${rulesFile}"]`,
        'scrape_configs:',
        `  - { job_name: serving, static_configs: [{ targets: ["127.0.0.1:${exporterPort}"] }] }`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    prometheus.on('error', () => undefined);
    for (let i = 0; i < 60; i++) {
      if (prometheus.exitCode !== null) break;
      const ok = await fetch(`${prometheusUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      'our throwaway Prometheus did not start: the Debian `prometheus` package is needed (`pnpm platform up prometheus` installs it)',
    );
  }, 60_000);
  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    exporter?.close();
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a rule file that promtool accepts', () => {
    const result = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    if (result.error)
      throw new Error(`promtool is missing (Debian's prometheus package ships it): ${result.error.message}`);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('SUCCESS: 12 rules found');
    expect(result.status).toBe(0);
    expect(parse(servingRulesYaml())).toEqual(createServingRules());
  });

  it('matches integer bucket bounds in either spelling and refuses a bad objective', () => {
    const rules = createServingRules({ latencyThresholdSeconds: 1 }).groups[0]?.rules[0];
    expect(rules?.expr).toContain('le=~"1(\\\\.0)?"');
    expect(() => createServingRules({ latencyObjective: 99 })).toThrow(
      'latencyObjective must be between 0 and 1 (e.g. 0.99), not 99.',
    );
  });

  it('is evaluated by a real Prometheus: every rule healthy, recordings computed, the expected alerts firing', {
    timeout: 60_000,
  }, async () => {
    interface RuleState {
      name: string;
      health: string;
      lastError?: string;
      type: string;
      state?: string;
      alerts?: Array<{ labels: Record<string, string>; state: string }>;
    }
    let rules: RuleState[] = [];
    for (let i = 0; i < 40; i++) {
      const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: RuleState[] }> };
      };
      rules = body.data.groups.flatMap((g) => g.rules);
      const firing = rules.filter((r) => r.type === 'alerting' && r.state === 'firing').length;
      if (firing === 6 && rules.every((r) => r.health === 'ok')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Prometheus lists the groups by name; compare as sorted lists.
    expect(rules.map((r) => [r.name, r.health, r.lastError ?? '']).sort()).toEqual(
      createServingRules()
        .groups.flatMap((g) => g.rules.map((r) => ['record' in r ? r.record : r.alert, 'ok', '']))
        .sort(),
    );
    const alerts = Object.fromEntries(
      rules
        .filter((r) => r.type === 'alerting')
        .map((r) => [
          r.name,
          (r.alerts ?? []).map((a) => a.labels.model_name ?? a.labels.feature_view ?? a.labels.feature),
        ]),
    );
    // The failing model, the stale view and the drifting feature fire; the healthy ones do not.
    expect(alerts).toEqual({
      MlopsServingLatencyBudgetBurnFast: [TRAFFIC.failing],
      MlopsServingLatencyBudgetBurnSlow: [TRAFFIC.failing],
      MlopsServingHighErrorRate: [TRAFFIC.failing],
      MlopsFeaturesStale: [TRAFFIC.staleView],
      MlopsFeaturesMissing: [TRAFFIC.staleView],
      MlopsFeatureDrift: [TRAFFIC.drifting],
    });
    const byModel = async (expr: string, digits: number) =>
      Object.fromEntries(
        (await promQuery(prometheusUrl, expr)).map((r) => [
          r.metric.model_name,
          Number(r.value[1]).toFixed(digits),
        ]),
      );
    expect(await byModel('mlops:serving_error_ratio:rate5m', 4)).toEqual({
      [TRAFFIC.failing]: (1 / 6).toFixed(4),
      [TRAFFIC.healthy]: '0.0000',
    });
    expect(await byModel('mlops:serving_latency_slo_miss_ratio:rate5m', 2)).toEqual({
      [TRAFFIC.failing]: '0.50',
      [TRAFFIC.healthy]: '0.00',
    });
  });
});
