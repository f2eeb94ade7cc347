/**
 * Live data quality and drift against a training profile, exported to Prometheus per feature: missing
 * rate, out-of-range rate, population stability index and (numbers) the Kolmogorov–Smirnov statistic,
 * over a sliding window of the last `window` observations (trackers.ts says how memory stays bounded).
 */
import { Gauge, Registry } from 'prom-client';
import { checkLabelName, checkMetricName, MetricsInputError } from '../serving/errors';
import type { Profile } from './profile';
import { CategoricalTracker, NumericTracker, type Tracker } from './trackers';
import { checkProfile } from './validate-profile';

export interface DriftMonitorOptions {
  /** The training set's profile (`profileFrom(table)`, or its JSON parsed back). */
  profile: Profile;
  /** Where the drift gauges are registered. Default: a new prom-client Registry. */
  registry?: Registry;
  /** Observations per feature in the sliding window. Default 1 000. */
  window?: number;
  /** Prepended to every metric name. Default `mlops_`. */
  prefix?: string;
  /** The profiled column that predictions are compared with (the training label or score). */
  prediction?: string;
  /** Labels with one value on every series, e.g. `{ model_name: 'churn', model_version: '3' }`. */
  labels?: Readonly<Record<string, string>>;
}

/** The drift statistics of one feature now, as the gauges export them. */
export interface FeatureDrift {
  feature: string;
  /** Observations in the window. */
  observations: number;
  missingRate: number;
  outOfRangeRate: number;
  /** Undefined while the window holds no present value. */
  psi: number | undefined;
  /** Numbers only; undefined for categories and while the window holds no present value. */
  ks: number | undefined;
}

export interface DriftMonitor {
  readonly registry: Registry;
  /** Adds one live feature vector (and its prediction) to the windows. Features the profile lacks are ignored. */
  observe(features: Readonly<Record<string, unknown>>, prediction?: unknown): void;
  /** The statistics now, per feature with observations (what a scrape exports). */
  snapshot(): FeatureDrift[];
}

/**
 * Watches live features against the training profile:
 *
 * ```ts
 * const drift = createDriftMonitor({ profile, registry: metrics.registry, window: 1000 });
 * drift.observe({ trips_today: 4, city: 'Lyon' }, score);
 * ```
 */
export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const profile = checkProfile(options.profile);
  const window = options.window ?? 1000;
  if (!Number.isInteger(window) || window < 1 || window > 10_000_000)
    throw new MetricsInputError(
      'window',
      `window: expected a whole number of observations from 1 to 10 000 000, got ${String(window)}.`,
    );
  const prefix = options.prefix ?? 'mlops_';
  checkMetricName(prefix, 'prefix', true);
  const constant = { ...options.labels };
  for (const name of Object.keys(constant)) {
    checkLabelName(name, `labels.${name}`);
    if (name === 'feature')
      throw new MetricsInputError(
        'labels.feature',
        'labels.feature: "feature" is the label of each series already.',
      );
  }
  const registry = options.registry ?? new Registry();
  const trackers: Tracker[] = profile.features.map((f) =>
    f.kind === 'numeric' ? new NumericTracker(f, window) : new CategoricalTracker(f, window),
  );
  const inputs = trackers.filter((t) => t.name !== options.prediction);
  const predicted = trackers.find((t) => t.name === options.prediction);
  if (options.prediction !== undefined && predicted === undefined)
    throw new MetricsInputError(
      'prediction',
      `prediction: the profile has no feature ${JSON.stringify(options.prediction)} to compare predictions with (it has ${trackers.map((t) => t.name).join(', ')}).`,
    );

  const source: Source = { trackers, constant };
  attach(registry, prefix, source);
  const present = (t: Tracker) => t.size() * (1 - t.missingRate()) > 0;

  return {
    registry,
    observe(features, prediction) {
      for (let i = 0; i < inputs.length; i++) {
        const t = inputs[i]!;
        t.add(features[t.name]);
      }
      if (predicted !== undefined && prediction !== undefined) predicted.add(prediction);
    },
    snapshot() {
      return trackers
        .filter((t) => t.size() > 0)
        .map((t) => ({
          feature: t.name,
          observations: t.size(),
          missingRate: t.missingRate(),
          outOfRangeRate: t.outOfRangeRate(),
          psi: present(t) ? t.psi() : undefined,
          ks: t.ks(),
        }));
    },
  };
}

/** One monitor's windows and its constant labels, as the shared gauges read them. */
interface Source {
  trackers: Tracker[];
  constant: Record<string, string>;
}

/**
 * The drift gauges of a registry and prefix, shared by every monitor on them (one per model, say): their
 * collect callbacks read each monitor's windows when Prometheus scrapes.
 */
const sharedGauges = new WeakMap<Registry, Map<string, { labelNames: string[]; sources: Source[] }>>();

function attach(registry: Registry, prefix: string, source: Source): void {
  const labelNames = ['feature', ...Object.keys(source.constant)];
  let byPrefix = sharedGauges.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    sharedGauges.set(registry, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  if (existing !== undefined) {
    if (existing.labelNames.join() !== labelNames.join())
      throw new MetricsInputError(
        'labels',
        `labels: another drift monitor on this registry exports ${prefix}drift_* with the labels ${existing.labelNames.join(', ')}; give every monitor the same label names (labels: { model_name: ... }) or another prefix.`,
      );
    const key = JSON.stringify(source.constant);
    const clash = existing.sources.find(
      (other) =>
        JSON.stringify(other.constant) === key &&
        other.trackers.some((t) => source.trackers.some((u) => u.name === t.name)),
    );
    if (clash !== undefined)
      throw new MetricsInputError(
        'labels',
        `labels: another drift monitor on this registry already exports these features with the labels ${key}; tell the monitors apart with labels (e.g. { model_name: 'churn' }).`,
      );
    existing.sources.push(source);
    return;
  }
  const sources = [source];
  byPrefix.set(prefix, { labelNames, sources });
  const gauge = (name: string, help: string, value: (t: Tracker) => number | undefined) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { trackers, constant } of sources)
          for (const t of trackers) {
            if (t.size() === 0) continue;
            const v = value(t);
            if (v !== undefined) this.set({ feature: t.name, ...constant }, v);
          }
      },
    });
  const present = (t: Tracker) => t.size() * (1 - t.missingRate()) > 0;
  gauge('drift_window_observations', 'Observations in the sliding window of the feature.', (t) => t.size());
  gauge('drift_missing_rate', "Share of the window's observations where the feature was missing.", (t) =>
    t.missingRate(),
  );
  gauge(
    'drift_out_of_range_rate',
    "Share of the window's present values outside the training range (numbers) or the training categories.",
    (t) => t.outOfRangeRate(),
  );
  gauge('drift_psi', 'Population stability index of the window against the training distribution.', (t) =>
    present(t) ? t.psi() : undefined,
  );
  gauge(
    'drift_ks_statistic',
    'Kolmogorov–Smirnov statistic of the window against the training distribution (numbers).',
    (t) => t.ks(),
  );
}
