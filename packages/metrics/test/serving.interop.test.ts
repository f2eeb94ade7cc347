import { createServer, type Server } from 'node:http';
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDriftMonitor, createServingMetrics, metricsHandler, profileFrom } from '../src/index';
import { requireUp, unique, waitForQuery } from './support/serving';

/** The port the platform's Prometheus scrapes as job "serving" (platform/prometheus/prometheus.yml). */
const SERVING_PORT = 9464;

/** Takes 127.0.0.1:9464, waiting while another process holds it (one at a time on a shared platform). */
async function listenOnServingPort(server: Server, waitMs = 90_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(SERVING_PORT, '127.0.0.1', () => resolve(undefined));
    });
    if (error === undefined) return;
    if (error.code !== 'EADDRINUSE' || Date.now() > deadline)
      throw new Error(
        `cannot listen on 127.0.0.1:${SERVING_PORT} (${error.code}): another process holds it; free it and re-run`,
      );
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

beforeAll(() => requireUp('prometheus'));

describe('the serving kit scraped by the platform Prometheus on :9464', () => {
  it('Prometheus reads back the requests, latency, features and the process metrics of this process', {
    timeout: 150_000,
  }, async () => {
    const model = unique('mlops_test_model');
    const metrics = createServingMetrics();
    for (let i = 0; i < 7; i++)
      metrics.observeRequest({ model, version: '2', outcome: 'success', seconds: 0.004 });
    metrics.observeRequest({ model, version: '2', outcome: 'error', seconds: 1.5 });
    metrics.observePrediction({ model, version: '2', score: 0.91, predictedClass: 'churns' });
    const view = unique('mlops_test_view');
    metrics.observeFeatureView({
      featureView: view,
      statuses: ['PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE', 'NULL_VALUE'],
    });

    const profile = profileFrom(
      new Table({
        amount: vectorFromArray(
          Array.from({ length: 500 }, (_, i) => i / 5),
          new Float64(),
        ),
        city: vectorFromArray(
          Array.from({ length: 500 }, (_, i) => (i % 3 ? 'Lyon' : 'Paris')),
          new Utf8(),
        ),
      }),
    );
    const drift = createDriftMonitor({
      profile,
      registry: metrics.registry,
      window: 50,
      labels: { model_name: model },
    });
    for (let i = 0; i < 80; i++)
      drift.observe({ amount: i % 7 === 0 ? null : 60 + i, city: i % 2 ? 'Lyon' : 'Nice' });
    const local = Object.fromEntries(drift.snapshot().map((s) => [s.feature, s]));

    const server = createServer(metricsHandler(metrics.registry));
    await listenOnServingPort(server);
    try {
      const requests = await waitForQuery(
        `sum by (outcome) (mlops_inference_requests_total{job="serving",model_name="${model}"})`,
        (s) => s.length === 2,
      );
      expect(Object.fromEntries(requests.map((s) => [s.metric.outcome, s.value]))).toEqual({
        success: 7,
        error: 1,
      });
      const [slow] = await waitForQuery(
        `mlops_inference_request_duration_seconds_bucket{model_name="${model}",outcome="error",le="1"}`,
        (s) => s.length === 1,
      );
      expect(slow?.value).toBe(0);
      const missing = await waitForQuery(
        `mlops_feature_missing_total{feature_view="${view}"}`,
        (s) => s.length === 2,
      );
      expect(missing.map((s) => [s.metric.status, s.value]).sort()).toEqual([
        ['NOT_FOUND', 1],
        ['NULL_VALUE', 1],
      ]);
      const [stale] = await waitForQuery(
        `mlops_feature_stale_total{feature_view="${view}"}`,
        (s) => s.length === 1,
      );
      expect(stale?.value).toBe(1);
      // The drift gauges, computed at the scrape, as the monitor computes them here.
      const psi = await waitForQuery(`mlops_drift_psi{model_name="${model}"}`, (s) => s.length === 2);
      for (const sample of psi)
        expect(sample.value).toBeCloseTo(local[sample.metric.feature ?? '']?.psi ?? Number.NaN, 9);
      const [ks] = await waitForQuery(
        `mlops_drift_ks_statistic{model_name="${model}"}`,
        (s) => s.length === 1,
      );
      expect([ks?.metric.feature, ks?.value]).toEqual(['amount', local.amount?.ks]);
      const [driftMissing] = await waitForQuery(
        `mlops_drift_missing_rate{model_name="${model}",feature="amount"}`,
        (s) => s.length === 1,
      );
      expect(driftMissing?.value).toBe(local.amount?.missingRate);
      // prom-client's process_start_time_seconds: this very process, not another one that held the port.
      const [start] = await waitForQuery('process_start_time_seconds{job="serving"}', (s) => s.length === 1);
      expect(Math.abs((start?.value ?? 0) - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
