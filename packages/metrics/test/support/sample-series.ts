// Serving and drift series for the dashboard and rules tests, made by the real kit and drift monitor
// (createServingMetrics, createDriftMonitor on a small profileFrom profile), never written by hand: the
// dashboard and the rules can only pass when they query what the package exports.
import { Float64, Table, vectorFromArray } from 'apache-arrow';
import { Registry } from 'prom-client';
import {
  createDriftMonitor,
  createServingMetrics,
  type DriftMonitor,
  profileFrom,
  type ServingMetrics,
} from '../../src/index';

/** The feature views, models and features the traffic uses, and what it makes of them. */
export const TRAFFIC = {
  /** 1 request in 6 of this model ends in `error`, half of them are slower than 0.5 s. */
  failing: 'churn',
  /** Every request succeeds in 20 ms. */
  healthy: 'fraud',
  /** Served 2 h old, 1 value in 4 past its max age, 1 in 5 NOT_FOUND. */
  staleView: 'driver_hourly_stats',
  /** Served fresh, every value present. */
  freshView: 'customer_profile',
  /** Live values in the top fifth of the training range only: PSI and KS far above thresholds. */
  drifting: 'conv_rate',
  /** Live values spread over the training range like the training set. */
  steady: 'acc_rate',
} as const;

export interface Traffic {
  registry: Registry;
  metrics: ServingMetrics;
  drift: DriftMonitor;
  /** Records one more round of requests, feature reads, predictions and drift observations. */
  step(): void;
}

/** A fresh registry with the kit and a drift monitor on it (default prefix), and a way to make traffic. */
export function createTraffic(): Traffic {
  const registry = new Registry();
  const metrics = createServingMetrics({ registry });
  const training = Array.from({ length: 1001 }, (_, i) => i / 1000);
  const profile = profileFrom(
    new Table({
      [TRAFFIC.drifting]: vectorFromArray(training, new Float64()),
      [TRAFFIC.steady]: vectorFromArray(training, new Float64()),
    }),
    { bins: 5, quantiles: 21 },
  );
  const drift = createDriftMonitor({ profile, registry, window: 200 });
  const churn = metrics.forModel({ model: TRAFFIC.failing, version: '3' });
  const fraud = metrics.forModel({ model: TRAFFIC.healthy, version: '1' });
  let n = 0;
  const step = () => {
    const now = Date.now();
    for (let i = 0; i < 12; i++) {
      // churn: 10 successes and 2 errors; 6 of the 12 take 0.8 s (over the 0.5 s objective).
      churn.observeRequest(i < 10 ? 'success' : 'error', i % 2 === 0 ? 0.8 : 0.02);
      churn.observeFeatureFetch('success', 0.004);
      churn.observePrediction({ score: (i + 0.5) / 12, predictedClass: i % 3 === 0 ? 'churn' : 'stay' });
      fraud.observeRequest('success', 0.02);
      fraud.observeFeatureFetch('success', 0.002);
      fraud.observePrediction({ score: 0.1, predictedClass: 'legit' });
    }
    // A request left in flight, so the gauge is not only zeros.
    if (n === 0) churn.startRequest();
    metrics.observeFeatureView({
      featureView: TRAFFIC.staleView,
      statuses: ['PRESENT', 'PRESENT', 'OUTSIDE_MAX_AGE', 'NOT_FOUND', 'PRESENT'],
      eventTimestamps: [now - 7_200_000, now - 7_300_000, now - 9_000_000, null, now - 7_200_000],
    });
    metrics.observeFeatureView({
      featureView: TRAFFIC.freshView,
      statuses: ['PRESENT', 'PRESENT'],
      eventTimestamps: [now - 30_000, now - 60_000],
      maxAgeSeconds: 3600,
    });
    for (let i = 0; i < 50; i++) {
      n++;
      // A low-discrepancy sequence over [0, 1): the steady feature looks like its training set.
      const u = (n * 0.6180339887498949) % 1;
      drift.observe({ [TRAFFIC.drifting]: 0.8 + 0.2 * u, [TRAFFIC.steady]: u });
    }
  };
  step();
  return { registry, metrics, drift, step };
}

/** Runs a PromQL instant query with plain fetch; the result vector (or a scalar as one sample). */
export async function promQuery(
  prometheusUrl: string,
  expr: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (body.status !== 'success' || body.data === undefined)
    throw new Error(`PromQL ${expr} failed: ${body.error ?? res.status}`);
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
}
