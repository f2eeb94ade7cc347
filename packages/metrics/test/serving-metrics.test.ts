import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServingMetrics, MetricsInputError } from '../src/index';

/** The value of one series in the registry's JSON, by metric name and exact labels. */
async function seriesValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const key = JSON.stringify(Object.entries(labels).sort());
  for (const metric of await registry.getMetricsAsJSON())
    for (const v of metric.values as Array<{ metricName?: string; labels: object; value: number }>) {
      const labelsOf = Object.entries(v.labels).map(([k, x]) => [k, String(x)]);
      if ((v.metricName ?? metric.name) === name && JSON.stringify(labelsOf.sort()) === key) return v.value;
    }
  return undefined;
}

const churn = { model: 'churn', version: '3' };

describe('createServingMetrics', () => {
  it('names every metric after the conventions, with the prefix', async () => {
    const { registry } = createServingMetrics();
    const names = (await registry.getMetricsAsJSON()).map((m) => `${m.name} ${m.type}`).sort();
    expect(names).toEqual([
      'mlops_feature_fetch_duration_seconds histogram',
      'mlops_feature_freshness_seconds gauge',
      'mlops_feature_missing_total counter',
      'mlops_feature_stale_total counter',
      'mlops_feature_values_total counter',
      'mlops_inference_request_duration_seconds histogram',
      'mlops_inference_requests_in_flight gauge',
      'mlops_inference_requests_total counter',
      'mlops_prediction_score histogram',
      'mlops_predictions_total counter',
    ]);
    const other = createServingMetrics({ prefix: '', registry: new Registry() });
    expect(other.registry.getSingleMetric('inference_requests_total')).toBe(other.requests);
  });

  it('counts requests and their latency per model, version and outcome; in flight while running', async () => {
    const m = createServingMetrics();
    const end = m.startRequest(churn);
    expect(
      await seriesValue(m.registry, 'mlops_inference_requests_in_flight', {
        model_name: 'churn',
        model_version: '3',
      }),
    ).toBe(1);
    const seconds = end('success');
    expect(end('error')).toBeGreaterThanOrEqual(seconds); // a second end is not counted
    m.observeRequest({ ...churn, outcome: 'error', seconds: 0.2 });
    m.observeRequest({ ...churn, outcome: 'error', seconds: 3 });
    const labels = (outcome: string) => ({ model_name: 'churn', model_version: '3', outcome });
    expect(
      await seriesValue(m.registry, 'mlops_inference_requests_in_flight', {
        model_name: 'churn',
        model_version: '3',
      }),
    ).toBe(0);
    expect(await seriesValue(m.registry, 'mlops_inference_requests_total', labels('success'))).toBe(1);
    expect(await seriesValue(m.registry, 'mlops_inference_requests_total', labels('error'))).toBe(2);
    expect(
      await seriesValue(m.registry, 'mlops_inference_request_duration_seconds_sum', labels('error')),
    ).toBeCloseTo(3.2, 12);
    expect(
      await seriesValue(m.registry, 'mlops_inference_request_duration_seconds_bucket', {
        ...labels('error'),
        le: '0.25',
      }),
    ).toBe(1);
    expect(
      await seriesValue(m.registry, 'mlops_inference_request_duration_seconds_bucket', {
        ...labels('error'),
        le: '5',
      }),
    ).toBe(2);
  });

  it('records feature fetches, scores and classes', async () => {
    const m = createServingMetrics({ buckets: { score: [0.5, 1] } });
    m.observeFeatureFetch({ ...churn, outcome: 'success', seconds: 0.002 });
    m.observePrediction({ ...churn, score: 0.7, predictedClass: 'churns' });
    m.observePrediction({ ...churn, score: 0.2, predictedClass: 'stays' });
    m.observePrediction({ ...churn, predictedClass: 'stays' });
    const model = { model_name: 'churn', model_version: '3' };
    expect(
      await seriesValue(m.registry, 'mlops_feature_fetch_duration_seconds_count', {
        ...model,
        outcome: 'success',
      }),
    ).toBe(1);
    expect(await seriesValue(m.registry, 'mlops_prediction_score_bucket', { ...model, le: '0.5' })).toBe(1);
    expect(await seriesValue(m.registry, 'mlops_prediction_score_count', model)).toBe(2);
    expect(
      await seriesValue(m.registry, 'mlops_predictions_total', { ...model, predicted_class: 'stays' }),
    ).toBe(2);
    expect(
      await seriesValue(m.registry, 'mlops_predictions_total', { ...model, predicted_class: 'churns' }),
    ).toBe(1);
  });

  it('counts missing and stale feature values per view, and the freshness of the newest', async () => {
    const m = createServingMetrics();
    const now = Date.parse('2026-12-07T08:00:00Z');
    m.observeOnlineFeatures(
      {
        columns: {
          driver_id: { statuses: ['PRESENT', 'PRESENT', 'PRESENT'], eventTimestamps: [null, null, null] },
          driver_hourly_stats__conv_rate: {
            statuses: ['PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE'],
            eventTimestamps: [new Date(now - 30_000), null, new Date(now - 86_400_000)],
          },
          driver_hourly_stats__acc_rate: {
            statuses: ['PRESENT', 'NULL_VALUE', 'PRESENT'],
            eventTimestamps: [now - 60_000, null, now - 7_200_000],
          },
          trips_today: {
            statuses: ['NOT_FOUND', 'PRESENT', 'PRESENT'],
            eventTimestamps: [null, now - 10_000, now - 20_000],
          },
        },
      },
      { featureViews: { trips_today: 'driver_trips' }, maxAgeSeconds: 3600, now },
    );
    const view = (v: string) => ({ feature_view: v });
    expect(await seriesValue(m.registry, 'mlops_feature_values_total', view('driver_hourly_stats'))).toBe(6);
    expect(await seriesValue(m.registry, 'mlops_feature_values_total', view('driver_trips'))).toBe(3);
    expect(
      await seriesValue(m.registry, 'mlops_feature_missing_total', {
        ...view('driver_hourly_stats'),
        status: 'NOT_FOUND',
      }),
    ).toBe(1);
    expect(
      await seriesValue(m.registry, 'mlops_feature_missing_total', {
        ...view('driver_hourly_stats'),
        status: 'NULL_VALUE',
      }),
    ).toBe(1);
    expect(
      await seriesValue(m.registry, 'mlops_feature_missing_total', {
        ...view('driver_trips'),
        status: 'NOT_FOUND',
      }),
    ).toBe(1);
    // OUTSIDE_MAX_AGE, and a PRESENT value two hours old against a one-hour max age.
    expect(await seriesValue(m.registry, 'mlops_feature_stale_total', view('driver_hourly_stats'))).toBe(2);
    expect(
      await seriesValue(m.registry, 'mlops_feature_freshness_seconds', view('driver_hourly_stats')),
    ).toBe(30);
    expect(await seriesValue(m.registry, 'mlops_feature_freshness_seconds', view('driver_trips'))).toBe(10);
    m.observeFeatureView({ featureView: 'no_timestamps', statuses: ['PRESENT', 'NULL_VALUE'] });
    // Without an event timestamp there is no freshness to tell: no gauge (at 0 it would read as fresh).
    expect(
      await seriesValue(m.registry, 'mlops_feature_freshness_seconds', view('no_timestamps')),
    ).toBeUndefined();
    expect(
      await seriesValue(m.registry, 'mlops_feature_missing_total', {
        ...view('no_timestamps'),
        status: 'NOT_FOUND',
      }),
    ).toBe(0);
    m.observeFeatureView({
      featureView: 'driver_trips',
      statuses: ['PRESENT'],
      eventTimestamps: [now - 5_000],
      now,
    });
    expect(await seriesValue(m.registry, 'mlops_feature_values_total', view('driver_trips'))).toBe(4);
    expect(await seriesValue(m.registry, 'mlops_feature_freshness_seconds', view('driver_trips'))).toBe(5);
  });

  it('with values, reads a PRESENT null as NOT_FOUND (no time) or NULL_VALUE (a time); 1970 is no time', async () => {
    const m = createServingMetrics();
    const now = Date.parse('2026-12-07T08:00:00Z');
    m.observeOnlineFeatures(
      {
        columns: {
          v__f: {
            values: [1, null, null, 2],
            statuses: ['PRESENT', 'PRESENT', 'PRESENT', 'PRESENT'],
            eventTimestamps: [now - 1_000, 0, now - 2_000, 0],
          },
        },
      },
      { now, maxAgeSeconds: 60 },
    );
    const view = { feature_view: 'v' };
    expect(
      await seriesValue(m.registry, 'mlops_feature_missing_total', { ...view, status: 'NOT_FOUND' }),
    ).toBe(1);
    expect(
      await seriesValue(m.registry, 'mlops_feature_missing_total', { ...view, status: 'NULL_VALUE' }),
    ).toBe(1);
    // The value at 1970 has no time: neither stale nor the newest.
    expect(await seriesValue(m.registry, 'mlops_feature_stale_total', view)).toBe(0);
    expect(await seriesValue(m.registry, 'mlops_feature_freshness_seconds', view)).toBe(1);
    expect(() => m.observeOnlineFeatures({ metadata: { feature_names: ['a'] }, results: [] })).toThrow(
      "expected the feature server's answer",
    );
  });

  it('exposes exactly what the metrics of prom-client itself would for the same observations', async () => {
    const m = createServingMetrics();
    const churn3 = m.forModel(churn);
    const reference = new Registry();
    const labelNames = ['model_name', 'model_version', 'outcome'];
    const histogram = new Histogram({
      name: 'mlops_inference_request_duration_seconds',
      help: 'Time from receiving an inference request to answering it, in seconds.',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reference],
    });
    const counter = new Counter({
      name: 'mlops_inference_requests_total',
      help: 'Inference requests served, by model, version and outcome.',
      labelNames,
      registers: [reference],
    });
    for (const [outcome, seconds] of [
      ['success', 0.003],
      ['error', 0.5],
      ['success', 0.001],
      ['success', 12],
      ['success', 0.0025],
    ] as const) {
      churn3.observeRequest(outcome, seconds);
      histogram.observe({ model_name: 'churn', model_version: '3', outcome }, seconds);
      counter.inc({ model_name: 'churn', model_version: '3', outcome });
    }
    for (const name of ['mlops_inference_request_duration_seconds', 'mlops_inference_requests_total'])
      expect(await m.registry.getSingleMetricAsString(name)).toBe(
        await reference.getSingleMetricAsString(name),
      );
  });

  it("keeps prom-client's own methods working beside the fast cells, and resets both", async () => {
    const m = createServingMetrics();
    m.observeRequest({ ...churn, outcome: 'success', seconds: 0.01 });
    m.requests.inc({ model_name: 'other', model_version: '1', outcome: 'success' }, 5);
    m.requestDuration.observe({ model_name: 'other', model_version: '1', outcome: 'success' }, 0.2);
    const labels = (model: string, version: string) => ({
      model_name: model,
      model_version: version,
      outcome: 'success',
    });
    expect(await seriesValue(m.registry, 'mlops_inference_requests_total', labels('churn', '3'))).toBe(1);
    expect(await seriesValue(m.registry, 'mlops_inference_requests_total', labels('other', '1'))).toBe(5);
    expect(
      await seriesValue(m.registry, 'mlops_inference_request_duration_seconds_count', labels('other', '1')),
    ).toBe(1);
    expect(
      await seriesValue(m.registry, 'mlops_inference_request_duration_seconds_count', labels('churn', '3')),
    ).toBe(1);
    m.registry.resetMetrics();
    // prom-client drops its own label sets; the kit's stay, at 0 (bound models keep their cells).
    expect(
      await seriesValue(m.registry, 'mlops_inference_requests_total', labels('other', '1')),
    ).toBeUndefined();
    expect(await seriesValue(m.registry, 'mlops_inference_requests_total', labels('churn', '3'))).toBe(0);
    m.observeRequest({ ...churn, outcome: 'success', seconds: 0.01 });
    expect(await seriesValue(m.registry, 'mlops_inference_requests_total', labels('churn', '3'))).toBe(1);
  });

  it('refuses bad input with a MetricsInputError naming it', () => {
    const m = createServingMetrics();
    const cases: Array<[() => unknown, string, string]> = [
      [() => createServingMetrics({ registry: m.registry }), 'registry', 'Create the kit once and share it'],
      [
        () => createServingMetrics({ prefix: 'my-app_' }),
        'prefix',
        'not a valid Prometheus metric name prefix',
      ],
      [
        () => createServingMetrics({ buckets: { latency: [1, 0.5] } }),
        'buckets.latency',
        'strictly increasing',
      ],
      [() => createServingMetrics({ buckets: { score: [] } }), 'buckets.score', 'at least one'],
      [() => m.observeRequest({ ...churn, outcome: 'success', seconds: -1 }), 'seconds', 'finite number ≥ 0'],
      [() => m.observeRequest({ ...churn, outcome: 'success', seconds: Number.NaN }), 'seconds', 'got NaN'],
      [() => m.observePrediction({ ...churn, score: Number.NaN }), 'score', 'finite number'],
      [
        () =>
          m.observeRequest({ model: 'x', version: 3 as unknown as string, outcome: 'success', seconds: 1 }),
        'model_version',
        'must be a string',
      ],
      [
        () => m.observeFeatureView({ featureView: 'v', statuses: ['MISSING' as 'PRESENT'] }),
        'statuses',
        'not a Feast field status',
      ],
      [
        () => m.observeFeatureView({ featureView: 'v', statuses: ['PRESENT'], eventTimestamps: [] }),
        'eventTimestamps',
        '0 timestamps for 1 statuses',
      ],
      [
        () =>
          m.observeFeatureView({ featureView: 'v', statuses: ['PRESENT'], eventTimestamps: [new Date('x')] }),
        'eventTimestamps',
        'not a valid time',
      ],
      [
        () => m.observeOnlineFeatures({ columns: { conv_rate: { statuses: ['PRESENT'] } } }),
        'result',
        'fullFeatureNames: true',
      ],
    ];
    for (const [call, input, text] of cases) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(MetricsInputError.isInstance(error), input).toBe(true);
      expect((error as MetricsInputError).input).toBe(input);
      expect((error as Error).message).toContain(text);
    }
  });
});
