/**
 * The serving metrics kit: the series a model-serving service exports, named after Prometheus's
 * conventions (base units, `_total` counters, `_seconds` durations) and the labels KServe, Seldon and
 * BentoML use (`model_name`, `model_version`), on prom-client's registry. The hot path adds to cells found
 * through nested Maps (families.ts), and `forModel()` binds them once per model (bench/metrics-serving.mjs).
 */
import { type Counter, type Gauge, type Histogram, Registry } from 'prom-client';
import { checkBuckets, FEATURE_FETCH_BUCKETS, LATENCY_BUCKETS, SCORE_BUCKETS } from './buckets';
import { checkMetricName, MetricsInputError } from './errors';
import { CounterFamily, GaugeFamily, type HistogramCell, HistogramFamily, type ValueCell } from './families';
import {
  FeatureQuality,
  type FeatureServerResponseLike,
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

export interface PredictionObservation {
  /** A score (a probability, a regression output): observed in `prediction_score`. */
  score?: number;
  /** A predicted class: counted in `predictions_total`. */
  predictedClass?: string;
}

/** A finished request or feature fetch whose duration you measured. */
export interface TimedOutcome {
  outcome: Outcome;
  seconds: number;
}

/** The recording calls of one model version, its label sets bound once: the fastest way to record. */
export interface ModelMetrics {
  /** Starts timing a request: counts it in flight; the returned function ends it and returns its seconds. */
  startRequest(): (outcome?: Outcome) => number;
  /** Records a finished request whose duration you measured. */
  observeRequest(outcome: Outcome, seconds: number): void;
  /** Records one feature fetch (an online store read) and its duration. */
  observeFeatureFetch(outcome: Outcome, seconds: number): void;
  /** Records a prediction: its score, its class, or both. */
  observePrediction(prediction: PredictionObservation): void;
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
  /** The recording calls of one model version, bound once (keep the result). */
  forModel(model: ModelLabels): ModelMetrics;
  /** Starts timing a request: counts it in flight; the returned function ends it and returns its seconds. */
  startRequest(model: ModelLabels): (outcome?: Outcome) => number;
  /** Records a finished request whose duration you measured. */
  observeRequest(request: ModelLabels & TimedOutcome): void;
  /** Records one feature fetch (an online store read) and its duration. */
  observeFeatureFetch(fetch: ModelLabels & TimedOutcome): void;
  /** Records statuses and event timestamps of one feature view's values (Feast's PRESENT, NOT_FOUND, ...). */
  observeFeatureView(observation: FeatureViewObservation): void;
  /** Records every feature view of an online-features answer, columns named `<view>__<feature>`. */
  observeOnlineFeatures(
    result: OnlineFeaturesLike | FeatureServerResponseLike,
    options?: OnlineFeaturesOptions,
  ): void;
  /** Records a prediction: its score, its class, or both. */
  observePrediction(prediction: ModelLabels & PredictionObservation): void;
}

/**
 * Creates the serving metrics on a registry:
 *
 * ```ts
 * const metrics = createServingMetrics();
 * const churn = metrics.forModel({ model: 'churn', version: '3' });
 * const end = churn.startRequest();
 * // ... predict ...
 * end('success');
 * ```
 */
export function createServingMetrics(options: ServingMetricsOptions = {}): ServingMetrics {
  const prefix = options.prefix ?? 'mlops_';
  checkMetricName(prefix, 'prefix', true);
  const registry = options.registry ?? new Registry();
  if (registry.getSingleMetric(`${prefix}inference_requests_total`) !== undefined)
    throw new MetricsInputError(
      'registry',
      `registry: it holds the serving metrics (${prefix}inference_requests_*) already. Create the kit once and share it (forModel() serves every model), or pass another prefix.`,
    );
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
  const modelLabels = ['model_name', 'model_version'] as const;
  const requests = new CounterFamily({
    name: `${prefix}inference_requests_total`,
    help: 'Inference requests served, by model, version and outcome.',
    labelNames: outcomeLabels,
    registers,
  });
  const requestDuration = new HistogramFamily({
    name: `${prefix}inference_request_duration_seconds`,
    help: 'Time from receiving an inference request to answering it, in seconds.',
    labelNames: outcomeLabels,
    buckets: buckets.latency,
    registers,
  });
  const inFlight = new GaugeFamily({
    name: `${prefix}inference_requests_in_flight`,
    help: 'Inference requests being served now.',
    labelNames: modelLabels,
    registers,
  });
  const featureFetchDuration = new HistogramFamily({
    name: `${prefix}feature_fetch_duration_seconds`,
    help: 'Time spent fetching online features for a request, in seconds.',
    labelNames: outcomeLabels,
    buckets: buckets.featureFetch,
    registers,
  });
  const predictionScore = new HistogramFamily({
    name: `${prefix}prediction_score`,
    help: 'Distribution of the scores the model predicted.',
    labelNames: modelLabels,
    buckets: buckets.score,
    registers,
  });
  const predictions = new CounterFamily({
    name: `${prefix}predictions_total`,
    help: 'Predictions made, by predicted class.',
    labelNames: ['model_name', 'model_version', 'predicted_class'] as const,
    registers,
  });
  const features = new FeatureQuality(prefix, registry);

  const bind = ({ model, version }: ModelLabels): ModelMetrics => {
    const flight = inFlight.cells.get(model, version);
    const scores = predictionScore.cells.get(model, version);
    // The request cells of each outcome, and the class counters, found once per model.
    const byOutcome = new Map<string, { count: ValueCell; duration: HistogramCell }>();
    const fetches = new Map<string, HistogramCell>();
    const classes = new Map<string, ValueCell>();
    const observeRequest = (outcome: Outcome, seconds: number) => {
      checkSeconds(seconds);
      let cells = byOutcome.get(outcome);
      if (cells === undefined) {
        cells = {
          count: requests.cells.get(model, version, outcome),
          duration: requestDuration.cells.get(model, version, outcome),
        };
        byOutcome.set(outcome, cells);
      }
      cells.count.value++;
      requestDuration.add(cells.duration, seconds);
    };
    return {
      startRequest() {
        flight.value++;
        const started = performance.now();
        let ended = false;
        return (outcome = 'success') => {
          const seconds = (performance.now() - started) / 1000;
          if (ended) return seconds;
          ended = true;
          flight.value--;
          observeRequest(outcome, seconds);
          return seconds;
        };
      },
      observeRequest,
      observeFeatureFetch(outcome, seconds) {
        checkSeconds(seconds);
        let cell = fetches.get(outcome);
        if (cell === undefined) {
          cell = featureFetchDuration.cells.get(model, version, outcome);
          fetches.set(outcome, cell);
        }
        featureFetchDuration.add(cell, seconds);
      },
      observePrediction({ score, predictedClass }) {
        if (score !== undefined) {
          if (typeof score !== 'number' || !Number.isFinite(score))
            throw new MetricsInputError('score', `score: expected a finite number, got ${String(score)}.`);
          predictionScore.add(scores, score);
        }
        if (predictedClass !== undefined) {
          let cell = classes.get(predictedClass);
          if (cell === undefined) {
            cell = predictions.cells.get(model, version, predictedClass);
            classes.set(predictedClass, cell);
          }
          cell.value++;
        }
      },
    };
  };
  // The model-taking calls find the bound model through nested Maps too.
  const models = new Map<string, Map<string, ModelMetrics>>();
  const forModel = (labels: ModelLabels): ModelMetrics => {
    let versions = models.get(labels.model);
    if (versions === undefined) {
      versions = new Map();
      models.set(labels.model, versions);
    }
    let bound = versions.get(labels.version);
    if (bound === undefined) {
      bound = bind(labels);
      versions.set(labels.version, bound);
    }
    return bound;
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
    forModel,
    startRequest: (model) => forModel(model).startRequest(),
    observeRequest: (r) => forModel(r).observeRequest(r.outcome, r.seconds),
    observeFeatureFetch: (f) => forModel(f).observeFeatureFetch(f.outcome, f.seconds),
    observeFeatureView: (observation) => features.observeView(observation),
    observeOnlineFeatures: (result, opts) => features.observeOnlineFeatures(result, opts),
    observePrediction: (p) => forModel(p).observePrediction(p),
  };
}

function checkSeconds(seconds: number): void {
  if (typeof seconds !== 'number' || !(seconds >= 0) || seconds === Number.POSITIVE_INFINITY)
    throw new MetricsInputError(
      'seconds',
      `seconds: a duration in seconds must be a finite number ≥ 0, got ${String(seconds)}.`,
    );
}
