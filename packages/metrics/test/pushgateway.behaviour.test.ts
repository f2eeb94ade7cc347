// Failure paths the real Pushgateway will not produce on demand: 5xx, 429, slow answers. (msw; the success
// paths are tested against the real 1.5.1 gateway in pushgateway.interop.test.ts.)
import { BadRequestError, InternalServerError, TimeoutError } from '@mlops/core';
import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { Gauge, Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pushgateway } from '../src/index';

const BASE = 'http://pushgateway.test:9091';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const registry = new Registry();
new Gauge({ name: 'rows_done', help: 'rows', registers: [registry] }).set(3);

async function gunzip(body: ArrayBuffer): Promise<string> {
  const stream = new Blob([body]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

describe('Pushgateway failure paths', () => {
  it('retries a 503 and a 429 (PUT and POST alike), sending the same gzipped body each time', async () => {
    const seen: Array<{ method: string; path: string; body: string }> = [];
    const answers = [
      () => new HttpResponse('overloaded', { status: 503 }),
      () => new HttpResponse('slow down', { status: 429, headers: { 'retry-after': '0' } }),
      () => new HttpResponse(null, { status: 200 }),
    ];
    let i = 0;
    const record = async ({ request }: { request: Request }) => {
      seen.push({
        method: request.method,
        path: new URL(request.url).pathname,
        body: await gunzip(await request.arrayBuffer()),
      });
      return answers[i++ % answers.length]!();
    };
    server.use(http.put(`${BASE}/metrics/*`, record), http.post(`${BASE}/metrics/*`, record));
    const gateway = new Pushgateway({ url: BASE, maxRetries: 2 });
    await gateway.push({ job: 'nightly', groupings: { path: '/data' }, registry });
    await gateway.pushAdd({ job: 'nightly', registry });
    const text = await registry.metrics();
    expect(seen).toEqual([
      ...Array.from({ length: 3 }, () => ({
        method: 'PUT',
        path: '/metrics/job/nightly/path@base64/L2RhdGE',
        body: text,
      })),
      ...Array.from({ length: 3 }, () => ({ method: 'POST', path: '/metrics/job/nightly', body: text })),
    ]);
  });

  it('gives up after maxRetries with the last status and body', async () => {
    let attempts = 0;
    server.use(
      http.put(`${BASE}/metrics/*`, () => {
        attempts++;
        return new HttpResponse('storage is read-only', { status: 500 });
      }),
    );
    const error = await new Pushgateway({ url: BASE, maxRetries: 1 })
      .push({ job: 'j', registry })
      .catch((e: unknown) => e);
    expect(InternalServerError.isInstance(error)).toBe(true);
    expect(attempts).toBe(2);
    expect((error as Error).message).toContain('storage is read-only');
  });

  it('does not retry a 400, and reports the reason', async () => {
    let attempts = 0;
    server.use(
      http.put(`${BASE}/metrics/*`, () => {
        attempts++;
        return new HttpResponse('text format parsing error in line 1: invalid metric name', { status: 400 });
      }),
    );
    const error = await new Pushgateway({ url: BASE }).push({ job: 'j', registry }).catch((e: unknown) => e);
    expect(BadRequestError.isInstance(error)).toBe(true);
    expect(attempts).toBe(1);
    expect((error as Error).message).toContain('invalid metric name');
  });

  it('a gateway that hangs ends in a TimeoutError after attemptTimeoutMs', async () => {
    server.use(
      http.delete(`${BASE}/metrics/*`, async () => {
        await delay('infinite');
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const started = Date.now();
    const error = await new Pushgateway({ url: BASE, attemptTimeoutMs: 200, maxRetries: 0 })
      .delete({ job: 'j' })
      .catch((e: unknown) => e);
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
