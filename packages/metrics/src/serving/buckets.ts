import { MetricsInputError } from './errors';

/** Request latency in seconds: 1 ms to 10 s (prom-client's defaults, with 1 ms and 2.5 ms added below). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Feature fetch latency in seconds: an online store answers in 0.5 ms to 1 s. */
export const FEATURE_FETCH_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
/** Prediction scores (probabilities): 0.05 to 1 in steps of 0.05. */
export const SCORE_BUCKETS: readonly number[] = Array.from(
  { length: 20 },
  (_, i) => Math.round((i + 1) * 5) / 100,
);

/** Upper bounds of a histogram: finite, strictly increasing, at least one. */
export function checkBuckets(buckets: readonly number[], input: string): number[] {
  const ok =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > buckets[i - 1]!));
  if (!ok)
    throw new MetricsInputError(
      input,
      `${input}: histogram buckets must be finite numbers in strictly increasing order, at least one (got ${JSON.stringify(buckets)}). +Inf is added by Prometheus itself.`,
    );
  return [...buckets];
}
