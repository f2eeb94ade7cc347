// PrometheusClient's failure paths, which the real servers will not produce on demand: timeouts and cancels
// (503, 499), a proxy's 502 and 429, bodies that are not Prometheus's, shapes the spec does not allow. msw, with
// unhandled requests as errors.
import {
  AbortError,
  ConnectionError,
  DecodeError,
  InternalServerError,
  RateLimitError,
  TimeoutError,
} from '@mlops/core';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusApiError, PrometheusClient, PrometheusUnsupportedError } from '../../src/index';

const url = 'http://prometheus.test:9090';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const client = () => new PrometheusClient({ url, maxRetries: 2 });
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}
const success = (data: unknown, extra: object = {}) =>
  HttpResponse.json({ status: 'success', data, ...extra });

describe('Prometheus errors', () => {
  it('a query timeout (503, errorType timeout) is not retried and says what to do', async () => {
    let calls = 0;
    server.use(
      http.post(`${url}/api/v1/query`, () => {
        calls++;
        return HttpResponse.json(
          { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' },
          { status: 503 },
        );
      }),
    );
    const error = await rejection(client().query('sum(rate(x[30d]))', { timeout: '10s' }));
    expect(PrometheusApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      status: 503,
      errorType: 'timeout',
      error: 'query timed out in expression evaluation',
    });
    expect((error as Error).message).toBe(
      `Prometheus answered 503 (timeout) to POST ${url}/api/v1/query: query timed out in expression evaluation Raise the query \`timeout\` (up to the server’s --query.timeout) or query a shorter range or fewer series.`,
    );
    expect(calls).toBe(1);
  });

  it('canceled (499) carries its errorType and the warnings that came with it', async () => {
    server.use(
      http.post(`${url}/api/v1/query_range`, () =>
        HttpResponse.json(
          { status: 'error', errorType: 'canceled', error: 'context canceled', warnings: ['partial'] },
          { status: 499 },
        ),
      ),
    );
    const error = await rejection(client().queryRange('up', { start: 0, end: 1000, step: 1000 }));
    expect(error).toMatchObject({ status: 499, errorType: 'canceled', warnings: ['partial'] });
  });

  it('a proxy 502 is retried, then answered', async () => {
    let calls = 0;
    server.use(
      http.post(`${url}/api/v1/query`, () => {
        calls++;
        if (calls === 1) return new HttpResponse('bad gateway', { status: 502 });
        return success({ resultType: 'scalar', result: [1700000000.5, '2'] });
      }),
    );
    expect(await client().query('1+1')).toMatchObject({ resultType: 'scalar', result: [1700000000500, 2] });
    expect(calls).toBe(2);
  });

  it('a non-Prometheus error body stays core’s error (429 with Retry-After over the cap, 503 text at start-up)', async () => {
    server.use(
      http.get(
        `${url}/api/v1/status/flags`,
        () => new HttpResponse('slow down', { status: 429, headers: { 'retry-after': '3600' } }),
      ),
      http.get(`${url}/api/v1/alerts`, () => new HttpResponse('Service Unavailable', { status: 503 })),
    );
    const limited = await rejection(client().flags());
    expect(RateLimitError.isInstance(limited) && limited.retryAfterMs).toBe(3_600_000);
    const starting = await rejection(client().alerts());
    expect(InternalServerError.isInstance(starting) && starting.status).toBe(503);
    expect(PrometheusApiError.isInstance(starting)).toBe(false);
  });

  it('a body that is not JSON, or not the documented shape, is a DecodeError naming the field', async () => {
    server.use(
      http.post(`${url}/api/v1/query`, () => new HttpResponse('<html>login</html>', { status: 200 })),
    );
    expect(DecodeError.isInstance(await rejection(client().query('up')))).toBe(true);

    server.use(
      http.post(`${url}/api/v1/query`, () =>
        success({ resultType: 'vector', result: [{ metric: {}, value: [1, 'twelve'] }] }),
      ),
    );
    const value = await rejection(client().query('up'));
    expect(DecodeError.isInstance(value) && [value.field, value.message]).toEqual([
      'data.result[0]',
      'Prometheus answered POST /api/v1/query with the value "twelve" at data.result[0]: not the documented shape. Is the URL a Prometheus server (or a proxy in front of it)?',
    ]);

    server.use(
      http.post(`${url}/api/v1/query_range`, () =>
        success({
          resultType: 'matrix',
          result: [
            {
              metric: {},
              values: [
                [1, '1'],
                ['2', '2'],
              ],
            },
          ],
        }),
      ),
    );
    const time = await rejection(client().queryRange('up', { start: 0, end: 2000, step: 1000 }));
    expect(DecodeError.isInstance(time) && time.field).toBe('data.result[0].values[1]');

    server.use(http.post(`${url}/api/v1/query`, () => success({ resultType: 'histogram', result: [] })));
    const kind = await rejection(client().query('up'));
    expect(DecodeError.isInstance(kind) && kind.field).toBe('data.resultType');
  });

  it('a range answer whose body stalls after its headers ends at the deadline, or at the caller’s abort', async () => {
    const stalled = () =>
      new HttpResponse(
        new ReadableStream({
          start(controller) {
            controller.enqueue(
              new TextEncoder().encode('{"status":"success","data":{"resultType":"matrix","result":['),
            );
          },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    server.use(http.post(`${url}/api/v1/query_range`, stalled));
    const range = { start: 0, end: 1000, step: 1000 };
    const slow = new PrometheusClient({ url, attemptTimeoutMs: 300 });
    const timeout = await rejection(slow.queryRange('up', range));
    expect(TimeoutError.isInstance(timeout) && [timeout.scope, timeout.timeoutMs]).toEqual(['attempt', 300]);
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('user left')), 100);
    const aborted = await rejection(client().queryRange('up', { ...range, signal: caller.signal }));
    expect(AbortError.isInstance(aborted) && aborted.reason).toEqual(new Error('user left'));
  });

  it('a refused connection is a ConnectionError after the retries', async () => {
    server.use(http.get(`${url}/api/v1/status/buildinfo`, () => HttpResponse.error()));
    const error = await rejection(new PrometheusClient({ url, maxRetries: 0 }).buildInfo());
    expect(ConnectionError.isInstance(error)).toBe(true);
  });
});

describe('what is sent', () => {
  it('queryRange posts a form with exact seconds; series repeats match[]; the caller’s timeout raises the attempt deadline', async () => {
    const bodies: string[] = [];
    server.use(
      http.post(`${url}/api/v1/query_range`, async ({ request }) => {
        bodies.push(`${request.headers.get('content-type')} ${await request.text()}`);
        return success({ resultType: 'matrix', result: [] });
      }),
      http.post(`${url}/api/v1/series`, async ({ request }) => {
        bodies.push(await request.text());
        return success([{ __name__: 'up' }], { warnings: ['truncated'] });
      }),
    );
    const result = await client().queryRange('sum by (le) (rate(x[5m]))', {
      start: new Date(1700000000001),
      end: 1700000060120,
      step: 15_000,
      timeout: '2m',
      stats: true,
    });
    expect(result).toMatchObject({ resultType: 'matrix', result: [], warnings: [], infos: [] });
    expect(
      await client().series(['up', 'process_cpu_seconds_total{job="a"}'], { start: '2026-01-01T00:00:00Z' }),
    ).toEqual({
      data: [{ __name__: 'up' }],
      warnings: ['truncated'],
      infos: [],
    });
    expect(bodies).toEqual([
      'application/x-www-form-urlencoded query=sum+by+%28le%29+%28rate%28x%5B5m%5D%29%29&start=1700000000.001&end=1700000060.12&step=15&timeout=2m&stats=all',
      'match%5B%5D=up&match%5B%5D=process_cpu_seconds_total%7Bjob%3D%22a%22%7D&start=2026-01-01T00%3A00%3A00Z',
    ]);
  });

  it('buildInfo is fetched once for the version gates, and again after a failure', async () => {
    let calls = 0;
    server.use(
      http.get(`${url}/api/v1/status/buildinfo`, () => {
        calls++;
        if (calls === 1) return new HttpResponse('nope', { status: 404 });
        return success({
          version: '3.16.0',
          revision: 'r',
          branch: 'b',
          buildUser: 'u',
          buildDate: 'd',
          goVersion: 'g',
        });
      }),
      http.post(`${url}/api/v1/query`, () => success({ resultType: 'vector', result: [] })),
    );
    const prometheus = client();
    await rejection(prometheus.query('up', { limit: 1 }));
    await prometheus.query('up', { limit: 1 });
    await prometheus.query('up', { lookbackDelta: '1m' });
    expect(calls).toBe(2);
  });

  it('a server without a version in its build info is refused gated parameters, saying why', async () => {
    server.use(
      http.get(`${url}/api/v1/status/buildinfo`, () =>
        success({ version: '', revision: '', branch: '', buildUser: '', buildDate: '', goVersion: 'go1.26' }),
      ),
    );
    const error = await rejection(client().series('up', { limit: 5 }));
    expect(PrometheusUnsupportedError.isInstance(error) && error.message).toBe(
      `limit of series() needs Prometheus 2.51.0 or newer, but the server at ${url} does not say its version (build info version "": a build without version stamps), so it may ignore it. Upgrade Prometheus, or call without it.`,
    );
  });
});
