// The public surface of the Pushgateway client, the serving kit and the drift monitor, as a user's code sees it.
import { createServer, type RequestListener } from 'node:http';
import type { Table } from 'apache-arrow';
import { type Counter, type Histogram, type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createDriftMonitor,
  createServingMetrics,
  type FeatureDrift,
  type FeatureProfile,
  type MetricsHandler,
  type ModelMetrics,
  metricsHandler,
  type OnlineFeaturesLike,
  type Profile,
  Pushgateway,
  type PushOnExitHandle,
  profileFrom,
} from '../src/index';

describe('Pushgateway', () => {
  const gateway = new Pushgateway({ url: 'http://127.0.0.1:9091', gzip: false });
  it('pushes a Prometheus-format prom-client registry and resolves to nothing', () => {
    expectTypeOf(gateway.push({ job: 'j', registry: new Registry() })).toEqualTypeOf<Promise<void>>();
    expectTypeOf(gateway.pushAdd)
      .parameter(0)
      .toHaveProperty('groupings')
      .toEqualTypeOf<Readonly<Record<string, string>> | undefined>();
    expectTypeOf(gateway.delete({ job: 'j' })).toEqualTypeOf<Promise<void>>();
  });
  it('refuses an OpenMetrics registry at compile time', () => {
    const openMetrics = new Registry<OpenMetricsContentType>();
    // @ts-expect-error the Pushgateway parses the Prometheus text format only
    void gateway.push({ job: 'j', registry: openMetrics });
  });
  it('hands back a handle from pushOnExit', () => {
    expectTypeOf(
      gateway.pushOnExit({ job: 'j', registry: new Registry() }),
    ).toEqualTypeOf<PushOnExitHandle>();
    expectTypeOf<PushOnExitHandle['flush']>().returns.toEqualTypeOf<Promise<void>>();
  });
});

describe('serving metrics', () => {
  const metrics = createServingMetrics({ prefix: 'svc_', buckets: { latency: [0.01, 0.1, 1] } });
  it('binds a model and times requests', () => {
    expectTypeOf(metrics.forModel({ model: 'churn', version: '3' })).toEqualTypeOf<ModelMetrics>();
    const end = metrics.forModel({ model: 'churn', version: '3' }).startRequest();
    expectTypeOf(end).toEqualTypeOf<(outcome?: 'success' | 'error' | (string & {})) => number>();
    end('timeout'); // any outcome of your own
  });
  it('keeps the metric objects typed as prom-client metrics with their label names', () => {
    expectTypeOf(metrics.requests).toExtend<Counter<'model_name' | 'model_version' | 'outcome'>>();
    expectTypeOf(metrics.requestDuration).toExtend<Histogram<'model_name' | 'model_version' | 'outcome'>>();
    // @ts-expect-error no such label
    metrics.requests.inc({ model: 'churn' });
  });
  it("takes @mlops/feast's online result by shape: statuses and event timestamps per column", () => {
    type FeastLike = {
      columns: Record<
        string,
        { values: unknown[]; statuses: Array<'PRESENT' | 'NOT_FOUND'>; eventTimestamps: Array<Date | null> }
      >;
    };
    expectTypeOf<FeastLike>().toExtend<OnlineFeaturesLike>();
  });
  it('serves node:http and fetch-style servers with one handler', () => {
    const handler = metricsHandler(metrics.registry);
    expectTypeOf(handler).toEqualTypeOf<MetricsHandler>();
    expectTypeOf(handler).toExtend<RequestListener>();
    createServer(handler);
    expectTypeOf(handler(new Request('http://localhost/metrics'))).toEqualTypeOf<Promise<Response>>();
  });
});

describe('drift', () => {
  it('profiles an Arrow table into JSON-safe data and monitors plain vectors', () => {
    expectTypeOf(profileFrom).parameter(0).toEqualTypeOf<Table>();
    expectTypeOf(profileFrom).returns.toEqualTypeOf<Profile>();
    expectTypeOf<FeatureProfile['kind']>().toEqualTypeOf<'numeric' | 'categorical'>();
    const monitor = createDriftMonitor({
      profile: {} as Profile,
      window: 500,
      labels: { model_name: 'churn' },
    });
    expectTypeOf(monitor.observe).parameter(0).toEqualTypeOf<Readonly<Record<string, unknown>>>();
    expectTypeOf(monitor.snapshot()).toEqualTypeOf<FeatureDrift[]>();
    expectTypeOf<FeatureDrift['ks']>().toEqualTypeOf<number | undefined>();
  });
});
