import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type OpenMetricsContentType, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createServingMetrics, metricsHandler } from '../src/index';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: ReturnType<typeof metricsHandler>): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('metricsHandler', () => {
  it('serves node:http with the registry content type and the process metrics', async () => {
    const metrics = createServingMetrics();
    metrics.observeRequest({ model: 'churn', version: '3', outcome: 'success', seconds: 0.01 });
    const url = await serve(metricsHandler(metrics.registry));
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain(
      'mlops_inference_requests_total{model_name="churn",model_version="3",outcome="success"} 1\n',
    );
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('answers fetch-style servers: Request in, Response out', async () => {
    const registry = new Registry();
    new Counter({ name: 'fetch_style_total', help: 'h', registers: [registry] }).inc(2);
    const handler = metricsHandler(registry, { defaultMetrics: false });
    const response = await handler(new Request('http://localhost/metrics'), {
      remoteAddr: 'as Deno passes it',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(
      '# HELP fetch_style_total h\n# TYPE fetch_style_total counter\nfetch_style_total 2\n',
    );
    expect((await handler(new Request('http://localhost/metrics', { method: 'DELETE' }))).status).toBe(405);
  });

  it('keeps the OpenMetrics format of an OpenMetrics registry, and adds process metrics only once', async () => {
    // prom-client's types lack the constructor's content type argument; setContentType is typed.
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    metricsHandler(registry);
    const handler = metricsHandler(registry);
    const response = await handler(new Request('http://localhost/metrics'));
    expect(response.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    expect((await response.text()).endsWith('# EOF\n')).toBe(true);
  });

  it('a collect callback that throws is a 500 that says why', async () => {
    const registry = new Registry();
    new Counter({
      name: 'broken_total',
      help: 'h',
      registers: [registry],
      collect() {
        throw new Error('the model store is gone');
      },
    });
    const response = await metricsHandler(registry, { defaultMetrics: false })(
      new Request('http://localhost/'),
    );
    expect([response.status, await response.text()]).toEqual([
      500,
      'Collecting metrics failed: the model store is gone\n',
    ]);
  });
});
