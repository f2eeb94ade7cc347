// Prometheus recording and alerting rules for a serving service, as a rule file (`rule_files:` in
// prometheus.yml), over the series of `createServingMetrics` and `createDriftMonitor` (same `prefix`). Checked
// by `promtool check rules` and evaluated by a real Prometheus over the real kit's series in
// test/alerts.interop.test.ts; test/expression-names.test.ts checks every metric name against the kit's registry. Latency burn-rate alerts follow the multiwindow, multi-burn-rate scheme of the
// Google SRE workbook ("Alerting on SLOs": 14.4× over 1h/5m pages, 6× over 6h/30m opens a ticket).
import { stringify } from 'yaml';
import { checkMetricName } from '../serving/errors';

/** Options of `createServingRules`. */
export interface ServingRulesOptions {
  /** Prefix of the metric names (`createServingMetrics`' prefix). Default 'mlops_'. */
  prefix?: string;
  /**
   * Latency objective: this share of requests (`latencyObjective`, default 0.99) completes within
   * `latencyThresholdSeconds` (default 0.5), which must be one of the histogram's bucket bounds.
   */
  latencyThresholdSeconds?: number;
  latencyObjective?: number;
  /** Error ratio (outcome other than "success") above which MlopsServingHighErrorRate fires. Default 0.05. */
  errorRatioThreshold?: number;
  /** Feature age above which MlopsFeaturesStale fires, in seconds. Default 3600. */
  maxFeatureAgeSeconds?: number;
  /**
   * Share of a feature view's values served stale (`feature_stale_total / feature_values_total`) above which
   * MlopsFeaturesStale fires too. Default 0: any stale value served over 10 minutes.
   */
  staleRatioThreshold?: number;
  /**
   * Share of a feature view's values served missing (`feature_missing_total / feature_values_total`, statuses
   * NOT_FOUND and NULL_VALUE) above which MlopsFeaturesMissing fires. Default 0.05.
   */
  missingRatioThreshold?: number;
  /** PSI above which MlopsFeatureDrift fires. Default 0.25. */
  psiThreshold?: number;
  /** KS statistic above which MlopsFeatureDrift fires too. Default 0.2. */
  ksThreshold?: number;
  /** Scale of every `for:` duration (1 = as documented; tests use 0 to see alerts fire at once). Default 1. */
  forScale?: number;
  /** Labels added to every alert (team, service...). `severity` is set per alert. */
  labels?: Record<string, string>;
}

/** A Prometheus rule file: what `rule_files:` loads. */
export interface RuleFile {
  groups: RuleGroup[];
}
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}
export type Rule = RecordingRule | AlertingRule;
export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * The `le` matcher of a bucket bound: prom-client writes 1 as `1` and 0.5 as `0.5`, Prometheus 3 rewrites
 * integer bounds to `1.0` on scrape (3.0 migration guide), so integers match both spellings.
 */
function leMatcher(bound: number): string {
  if (!Number.isFinite(bound) || bound <= 0) {
    throw new RangeError(
      `@mlops/metrics: latencyThresholdSeconds must be a positive bucket bound, not ${bound}.`,
    );
  }
  return Number.isInteger(bound) ? `le=~"${bound}(\\\\.0)?"` : `le="${bound}"`;
}

/** The rule file for serving: recording rules for ratios per window, then alerts. */
export function createServingRules(options: ServingRulesOptions = {}): RuleFile {
  const p = options.prefix ?? 'mlops_';
  // The kit's rule: a prefix that would not make a valid metric name is refused, not written into PromQL.
  checkMetricName(p, 'prefix', true);
  const objective = options.latencyObjective ?? 0.99;
  if (!(objective > 0 && objective < 1)) {
    throw new RangeError(
      `@mlops/metrics: latencyObjective must be between 0 and 1 (e.g. 0.99), not ${objective}.`,
    );
  }
  const le = leMatcher(options.latencyThresholdSeconds ?? 0.5);
  const budget = Number((1 - objective).toPrecision(12));
  const errorRatio = options.errorRatioThreshold ?? 0.05;
  const maxAge = options.maxFeatureAgeSeconds ?? 3600;
  const staleRatio = options.staleRatioThreshold ?? 0;
  const missingRatio = options.missingRatioThreshold ?? 0.05;
  const psi = options.psiThreshold ?? 0.25;
  const ks = options.ksThreshold ?? 0.2;
  const scale = options.forScale ?? 1;
  const forDuration = (seconds: number): string => `${Math.round(seconds * scale)}s`;
  const labels = (severity: string) => ({ ...options.labels, severity });
  const windows = ['5m', '30m', '1h', '6h'];

  const all = `sum by (model_name, model_version) (rate(${p}inference_requests_total[5m]))`;
  const recording: RecordingRule[] = [];
  for (const w of windows) {
    recording.push({
      record: `mlops:serving_latency_slo_miss_ratio:rate${w}`,
      expr: `1 - (sum by (model_name, model_version) (rate(${p}inference_request_duration_seconds_bucket{${le}}[${w}])) / sum by (model_name, model_version) (rate(${p}inference_request_duration_seconds_count[${w}])))`,
    });
  }
  recording.push(
    {
      record: 'mlops:serving_requests:rate5m',
      expr: `sum by (model_name, model_version, outcome) (rate(${p}inference_requests_total[5m]))`,
    },
    {
      record: 'mlops:serving_error_ratio:rate5m',
      // `or 0 * all`: a model without a failed request records 0 rather than nothing.
      expr: `(sum by (model_name, model_version) (rate(${p}inference_requests_total{outcome!="success"}[5m])) or 0 * ${all}) / ${all}`,
    },
  );

  // The share of a feature view's values served that a counter counted (the kit's denominator).
  const share = (metric: string) =>
    `sum by (feature_view) (rate(${p}${metric}[10m])) / sum by (feature_view) (rate(${p}feature_values_total[10m]))`;
  const miss = (w: string) => `mlops:serving_latency_slo_miss_ratio:rate${w}`;
  const alerts: AlertingRule[] = [
    {
      alert: 'MlopsServingLatencyBudgetBurnFast',
      expr: `${miss('1h')} > (14.4 * ${budget}) and ${miss('5m')} > (14.4 * ${budget})`,
      for: forDuration(120),
      labels: labels('page'),
      annotations: {
        summary:
          'Model {{ $labels.model_name }} v{{ $labels.model_version }} burns its latency budget 14× too fast',
        description: `More than ${(14.4 * budget * 100).toPrecision(3)}% of requests took longer than the objective over 1h and 5m ({{ $value | humanizePercentage }} now): at this rate a 30-day budget lasts about 2 days.`,
      },
    },
    {
      alert: 'MlopsServingLatencyBudgetBurnSlow',
      expr: `${miss('6h')} > (6 * ${budget}) and ${miss('30m')} > (6 * ${budget})`,
      for: forDuration(900),
      labels: labels('ticket'),
      annotations: {
        summary:
          'Model {{ $labels.model_name }} v{{ $labels.model_version }} burns its latency budget 6× too fast',
        description:
          'Slow requests over 6h and 30m ({{ $value | humanizePercentage }} now): a 30-day budget lasts about 5 days.',
      },
    },
    {
      alert: 'MlopsServingHighErrorRate',
      expr: `mlops:serving_error_ratio:rate5m > ${errorRatio}`,
      for: forDuration(300),
      labels: labels('page'),
      annotations: {
        summary:
          'Model {{ $labels.model_name }} v{{ $labels.model_version }} fails {{ $value | humanizePercentage }} of requests',
        description: `The share of requests whose outcome is not "success" is above ${errorRatio} over 5 minutes.`,
      },
    },
    {
      alert: 'MlopsFeaturesStale',
      expr: `max by (feature_view) (${p}feature_freshness_seconds) > ${maxAge} or ${share('feature_stale_total')} > ${staleRatio}`,
      for: forDuration(600),
      labels: labels('ticket'),
      annotations: {
        summary: 'Features of {{ $labels.feature_view }} are stale',
        description: `The newest value is older than ${maxAge}s, or more than ${staleRatio} of the values served were past their max age, for 10 minutes: check the materialization job.`,
      },
    },
    {
      alert: 'MlopsFeaturesMissing',
      expr: `${share('feature_missing_total')} > ${missingRatio}`,
      for: forDuration(600),
      labels: labels('ticket'),
      annotations: {
        summary:
          'Features of {{ $labels.feature_view }} are missing in {{ $value | humanizePercentage }} of the values served',
        description: `More than ${missingRatio} of the values served had no value (Feast status NOT_FOUND or NULL_VALUE) over 10 minutes: check the entities requested and the materialization job.`,
      },
    },
    {
      alert: 'MlopsFeatureDrift',
      // No aggregation: the alert keeps `feature`, the monitor's constant labels (model_name, ...) and the job.
      expr: `${p}drift_psi > ${psi} or ${p}drift_ks_statistic > ${ks}`,
      for: forDuration(900),
      labels: labels('ticket'),
      annotations: {
        summary: 'Feature {{ $labels.feature }} drifted from its training profile',
        description: `PSI above ${psi} or KS above ${ks} for 15 minutes ({{ $value }}): compare with the training data and consider retraining.`,
      },
    },
  ];
  return {
    groups: [
      { name: 'mlops-serving-recording', rules: recording },
      { name: 'mlops-serving-alerts', rules: alerts },
    ],
  };
}

/** The rule file as YAML, ready for `rule_files:` and `promtool check rules`. */
export function servingRulesYaml(options: ServingRulesOptions = {}): string {
  return `# Generated by @mlops/metrics createServingRules(); edit the code, not this file.\n${stringify(createServingRules(options), { lineWidth: 0 })}`;
}
