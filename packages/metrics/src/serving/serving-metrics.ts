/**
 * The serving metrics kit: the series a model-serving service exports, named after Prometheus's
 * conventions (base units, `_total` counters, `_seconds` durations) and the labels KServe, Seldon and
 * BentoML use (`model_name`, `model_version`), on prom-client. Label children are cached per label set, so
 * the hot path is a Map lookup and prom-client's own increments (bench/metrics-serving.mjs).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { checkBuckets, FEATURE_FETCH_BUCKETS, LATENCY_BUCKETS, SCORE_BUCKETS } from './buckets';
import { checkMetricName, MetricsInputError } from './errors';
import {
  FeatureQuality,
  type FeatureViewObservation,
  type OnlineFeaturesLike,
  type OnlineFeaturesOptions,
} from './feature-quality';

export interface ServingMetricsOptions {
  /** Where the metrics are registered. Default: a new prom-client Registry (Prometheus text format). */
  registry?: Registry;
  /** Prepended to every metric name. Default `mlops_`; `''` for none. */
  prefix?: string;
  /** Histogram upper bounds, in seconds for latencies. */
  buckets?: { latency?: readonly number[]; featureFetch?: readonly number[]; score?: readonly number[] };
}

/** Which model served: the `model_name` and `model_version` labels. */
export interface ModelLabels {
  model: string;
  version: string;
}

/** How a request ended: `success`, `error`, or a value of your own (`timeout`, `rejected`, ...). */
export type Outcome = 'success' | 'error' | (string & {});

export interface PredictionObservation extends ModelLabels {
  /** A score (a probability, a regression output): observed in `prediction_score`. */
  score?: number;
  /** A predicted class: counted in `predictions_total`. */
  predictedClass?: string;
}

/** The metrics of a serving service and the calls that record them. */
export interface ServingMetrics {
  readonly registry: Registry;
  /** `<prefix>inference_requests_total{model_name,model_version,outcome}` */
  readonly requests: Counter<'model_name' | 'model_version' | 'outcome'>;
  /** `<prefix>inference_request_duration_seconds{model_name,model_version,outcome}` */
  readonly requestDuration: Histogram<'model_name' | 'model_version' | 'outcome'>;
  /** `<prefix>inference_requests_in_flight{model_name,model_version}` */
  readonly inFlight: Gauge<'model_name' | 'model_version'>;
  /** `<prefix>feature_fetch_duration_seconds{model_name,model_version,outcome}` */
  readonly featureFetchDuration: Histogram<'model_name' | 'model_version' | 'outcome'>;
  /** `<prefix>prediction_score{model_name,model_version}` */
  readonly predictionScore: Histogram<'model_name' | 'model_version'>;
  /** `<prefix>predictions_total{model_name,model_version,predicted_class}` */
  readonly predictions: Counter<'model_name' | 'model_version' | 'predicted_class'>;
  /** The feature quality series (values, missing, stale, freshness), per feature view. */
  readonly features: FeatureQuality;
  /** Starts timing a request: counts it in flight; the returned function ends it and returns its seconds. */
  startRequest(model: ModelLabels): (outcome?: Outcome) => number;
  /** Records a finished request whose duration you measured. */
  observeRequest(model: ModelLabels & { outcome: Outcome; seconds: number }): void;
  /** Records one feature fetch (an online store read) and its duration. */
  observeFeatureFetch(model: ModelLabels & { outcome: Outcome; seconds: number }): void;
  /** Records statuses and event timestamps of one feature view's values (Feast's PRESENT, NOT_FOUND, ...). */
  observeFeatureView(observation: FeatureViewObservation): void;
  /** Records every feature view of an online-features answer, columns named `<view>__<feature>`. */
  observeOnlineFeatures(result: OnlineFeaturesLike, options?: OnlineFeaturesOptions): void;
  /** Records a prediction: its score, its class, or both. */
  observePrediction(prediction: PredictionObservation): void;
}

/**
 * Creates the serving metrics on a registry:
 *
 * ```ts
 * const metrics = createServingMetrics();
 * const end = metrics.startRequest({ model: 'churn', version: '3' });
 * // ... predict ...
 * end('success');
 * ```
 */
export function createServingMetrics(options: ServingMetricsOptions = {}): ServingMetrics {
  const prefix = options.prefix ?? 'mlops_';
  checkMetricName(prefix, 'prefix', true);
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const buckets = {
    latency: checkBuckets(options.buckets?.latency ?? LATENCY_BUCKETS, 'buckets.latency'),
    featureFetch: checkBuckets(
      options.buckets?.featureFetch ?? FEATURE_FETCH_BUCKETS,
      'buckets.featureFetch',
    ),
    score: checkBuckets(options.buckets?.score ?? SCORE_BUCKETS, 'buckets.score'),
  };
  const outcomeLabels = ['model_name', 'model_version', 'outcome'] as const;
  const requests = new Counter({
    name: `${prefix}inference_requests_total`,
    help: 'Inference requests served, by model, version and outcome.',
    labelNames: outcomeLabels,
    registers,
  });
  const requestDuration = new Histogram({
    name: `${prefix}inference_request_duration_seconds`,
    help: 'Time from receiving an inference request to answering it, in seconds.',
    labelNames: outcomeLabels,
    buckets: buckets.latency,
    registers,
  });
  const inFlight = new Gauge({
    name: `${prefix}inference_requests_in_flight`,
    help: 'Inference requests being served now.',
    labelNames: ['model_name', 'model_version'] as const,
    registers,
  });
  const featureFetchDuration = new Histogram({
    name: `${prefix}feature_fetch_duration_seconds`,
    help: 'Time spent fetching online features for a request, in seconds.',
    labelNames: outcomeLabels,
    buckets: buckets.featureFetch,
    registers,
  });
  const predictionScore = new Histogram({
    name: `${prefix}prediction_score`,
    help: 'Distribution of the scores the model predicted.',
    labelNames: ['model_name', 'model_version'] as const,
    buckets: buckets.score,
    registers,
  });
  const predictions = new Counter({
    name: `${prefix}predictions_total`,
    help: 'Predictions made, by predicted class.',
    labelNames: ['model_name', 'model_version', 'predicted_class'] as const,
    registers,
  });
  const features = new FeatureQuality(prefix, registry);

  const requestChildren = new Children((m, v, o) => ({
    count: requests.labels(m, v, o),
    duration: requestDuration.labels(m, v, o),
  }));
  const fetchChildren = new Children((m, v, o) => featureFetchDuration.labels(m, v, o));
  const flightChildren = new Children((m, v) => inFlight.labels(m, v));
  const scoreChildren = new Children((m, v) => predictionScore.labels(m, v));
  const classChildren = new Children((m, v, c) => predictions.labels(m, v, c));

  const observeRequest = ({
    model,
    version,
    outcome,
    seconds,
  }: ModelLabels & { outcome: Outcome; seconds: number }) => {
    checkSeconds(seconds, 'seconds');
    const child = requestChildren.get(model, version, outcome);
    child.count.inc();
    child.duration.observe(seconds);
  };

  return {
    registry,
    requests,
    requestDuration,
    inFlight,
    featureFetchDuration,
    predictionScore,
    predictions,
    features,
    startRequest({ model, version }) {
      const gauge = flightChildren.get(model, version, '');
      gauge.inc();
      const started = performance.now();
      let ended = false;
      return (outcome = 'success') => {
        const seconds = (performance.now() - started) / 1000;
        if (ended) return seconds;
        ended = true;
        gauge.dec();
        observeRequest({ model, version, outcome, seconds });
        return seconds;
      };
    },
    observeRequest,
    observeFeatureFetch({ model, version, outcome, seconds }) {
      checkSeconds(seconds, 'seconds');
      fetchChildren.get(model, version, outcome).observe(seconds);
    },
    observeFeatureView: (observation) => features.observeView(observation),
    observeOnlineFeatures: (result, opts) => features.observeOnlineFeatures(result, opts),
    observePrediction({ model, version, score, predictedClass }) {
      if (score !== undefined) {
        if (typeof score !== 'number' || !Number.isFinite(score))
          throw new MetricsInputError('score', `score: expected a finite number, got ${String(score)}.`);
        scoreChildren.get(model, version, '').observe(score);
      }
      if (predictedClass !== undefined) classChildren.get(model, version, String(predictedClass)).inc();
    },
  };
}

function checkSeconds(seconds: number, input: string): void {
  if (typeof seconds !== 'number' || !(seconds >= 0) || seconds === Number.POSITIVE_INFINITY)
    throw new MetricsInputError(
      input,
      `${input}: a duration in seconds must be a finite number ≥ 0, got ${String(seconds)}.`,
    );
}

/** prom-client's label children, made once per label set (its own lookup hashes the labels on every call). */
class Children<T> {
  readonly #make: (a: string, b: string, c: string) => T;
  readonly #byKey = new Map<string, T>();
  constructor(make: (a: string, b: string, c: string) => T) {
    this.#make = make;
  }
  get(a: string, b: string, c: string): T {
    const key = `${a}\u0000${b}\u0000${c}`;
    let child = this.#byKey.get(key);
    if (child === undefined) {
      if (typeof a !== 'string' || typeof b !== 'string' || typeof c !== 'string')
        throw new MetricsInputError(
          'model',
          `model, version and outcome must be strings (label values), got ${[a, b, c].map((v) => typeof v).join(', ')}.`,
        );
      child = this.#make(a, b, c);
      this.#byKey.set(key, child);
    }
    return child;
  }
}
