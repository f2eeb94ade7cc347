// How MLflow's error answers become typed errors, and which POSTs are retried: msw stands in for the
// failures the real server will not produce on demand (5xx, HTML from a proxy, garbage bodies).
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  MlflowClient,
  MlflowPartialWriteError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from '../src/index';

const BASE = 'http://mlflow.test';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const client = (options: ConstructorParameters<typeof MlflowClient>[0] = {}) =>
  new MlflowClient({ trackingUri: BASE, maxRetries: 2, ...options });

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a rejection');
}

const mlflowError = (status: number, code: string, message = 'no') =>
  HttpResponse.json({ error_code: code, message }, { status });

describe('error codes', () => {
  it.each([
    [404, 'RESOURCE_DOES_NOT_EXIST', 'NotFoundError', NotFoundError],
    [400, 'RESOURCE_ALREADY_EXISTS', 'ConflictError', ConflictError],
    [409, 'RESOURCE_CONFLICT', 'ConflictError', ConflictError],
    [400, 'INVALID_PARAMETER_VALUE', 'BadRequestError', BadRequestError],
    [401, 'UNAUTHENTICATED', 'AuthenticationError', AuthenticationError],
    [403, 'PERMISSION_DENIED', 'PermissionDeniedError', PermissionDeniedError],
    [429, 'REQUEST_LIMIT_EXCEEDED', 'RateLimitError', RateLimitError],
    [500, 'INTERNAL_ERROR', 'InternalServerError', InternalServerError],
  ] as const)('%i %s is a %s with the code kept', async (status, code, _name, Class) => {
    server.use(http.get(`${BASE}/api/2.0/mlflow/runs/get`, () => mlflowError(status, code, 'the reason')));
    const error = await failure(client({ maxRetries: 0 }).getRun('r1'));
    expect(Class.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status, code, service: 'mlflow', method: 'GET' });
    expect(error.message).toContain(`${code}: the reason`);
    expect(error.toJSON()).toMatchObject({ code, status });
  });

  it('keeps the status class for a code it does not know', async () => {
    server.use(http.get(`${BASE}/api/2.0/mlflow/runs/get`, () => mlflowError(400, 'SOMETHING_NEW')));
    const error = await failure(client().getRun('r1'));
    expect(BadRequestError.isInstance(error)).toBe(true);
    expect(error.code).toBe('SOMETHING_NEW');
  });

  it('reads an HTML 404 (no such route) as ENDPOINT_NOT_FOUND, as Python does, with the page title in the message', async () => {
    server.use(
      http.get(`${BASE}/api/2.0/mlflow/runs/get`, () =>
        HttpResponse.html(
          '<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>',
          {
            status: 404,
          },
        ),
      ),
    );
    const error = await failure(client().getRun('r1'));
    expect(NotFoundError.isInstance(error)).toBe(true);
    expect(error.code).toBe('ENDPOINT_NOT_FOUND');
    expect(error.message).toContain('404 Not Found');
    expect(error.message).not.toContain('<h1>');
  });

  it('handles a plain-text 503 and an empty 502 (retried, then raised)', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/api/2.0/mlflow/runs/get`, () => {
        calls++;
        return calls % 2
          ? new HttpResponse('upstream busy', { status: 503 })
          : new HttpResponse(null, { status: 502 });
      }),
    );
    const error = await failure(client({ maxRetries: 1 }).getRun('r1'));
    expect(InternalServerError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 502, attempts: 2, code: undefined });
    expect(calls).toBe(2);
  });

  it('says which environment variables to set on a 401 and what to do on a 403', async () => {
    server.use(
      http.get(
        `${BASE}/api/2.0/mlflow/runs/get`,
        () => new HttpResponse('You are not authenticated.', { status: 401 }),
      ),
      http.get(
        `${BASE}/api/2.0/mlflow/experiments/get`,
        () => new HttpResponse('Permission denied', { status: 403 }),
      ),
    );
    const unauthenticated = await failure(client().getRun('r1'));
    expect(AuthenticationError.isInstance(unauthenticated)).toBe(true);
    expect(unauthenticated.message).toMatch(
      /MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD \(or MLFLOW_TRACKING_TOKEN\)/,
    );
    const denied = await failure(client().getExperiment('1'));
    expect(PermissionDeniedError.isInstance(denied)).toBe(true);
    expect(denied.message).toMatch(/ask an MLflow admin/);
  });
});

describe('retries of POSTs', () => {
  it('retries logBatch, logMetric, setTag (a repeat stores nothing new) but never createRun or createExperiment', async () => {
    const calls: Record<string, number> = {};
    const flaky = (path: string, ok: Record<string, string | Record<string, Record<string, string>>>) =>
      http.post(`${BASE}/api/2.0/mlflow/${path}`, () => {
        calls[path] = (calls[path] ?? 0) + 1;
        return calls[path] === 1 ? new HttpResponse('busy', { status: 503 }) : HttpResponse.json(ok);
      });
    server.use(
      flaky('runs/log-batch', {}),
      flaky('runs/log-metric', {}),
      flaky('runs/set-tag', {}),
      flaky('runs/create', { run: { info: { run_id: 'r' } } }),
      flaky('experiments/create', { experiment_id: '1' }),
    );
    const c = client({ maxRetries: 2 });
    await c.logBatch('r', { metrics: [{ key: 'm', value: 1 }] });
    await c.logMetric('r', 'm', 1);
    await c.setTag('r', 't', 'v');
    expect(InternalServerError.isInstance(await failure(c.createRun('1')))).toBe(true);
    expect(InternalServerError.isInstance(await failure(c.createExperiment('e')))).toBe(true);
    expect(calls).toEqual({
      'runs/log-batch': 2,
      'runs/log-metric': 2,
      'runs/set-tag': 2,
      'runs/create': 1,
      'experiments/create': 1,
    });
  });

  it('retries the searches (POSTs that change nothing) and follows their page tokens', async () => {
    let calls = 0;
    server.use(
      http.post(`${BASE}/api/2.0/mlflow/runs/search`, async ({ request }) => {
        calls++;
        if (calls === 1) return new HttpResponse('busy', { status: 503 });
        const body = (await request.json()) as { page_token?: string; max_results: number };
        expect(body.max_results).toBe(2);
        return body.page_token === 'p2'
          ? HttpResponse.json({ runs: [{ info: { run_id: 'c', status: 'FINISHED' } }] })
          : HttpResponse.json({
              runs: [{ info: { run_id: 'a' } }, { info: { run_id: 'b' } }],
              next_page_token: 'p2',
            });
      }),
    );
    const pages: string[][] = [];
    for await (const page of client().searchRuns('1', { pageSize: 2 }).pages())
      pages.push(page.map((r) => r.info.runId));
    expect(pages).toEqual([['a', 'b'], ['c']]);
    expect(calls).toBe(3);
  });

  it('reports a batch that failed part-way as MlflowPartialWriteError with what was stored, and the cause', async () => {
    let calls = 0;
    server.use(
      http.post(`${BASE}/api/2.0/mlflow/runs/log-batch`, () => {
        calls++;
        return calls <= 2
          ? HttpResponse.json({})
          : mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'Run r not found');
      }),
    );
    const metrics = Array.from({ length: 3_500 }, (_, i) => ({ key: 'm', value: i, step: i }));
    const error = await failure(client().logBatch('r', { metrics }, { concurrency: 1 }));
    expect(MlflowPartialWriteError.isInstance(error)).toBe(true);
    const partial = error as unknown as MlflowPartialWriteError;
    expect(partial.written).toEqual({ metrics: 2000, params: 0, tags: 0 });
    expect(partial.total).toEqual({ metrics: 3500, params: 0, tags: 0 });
    expect(NotFoundError.isInstance(partial.cause)).toBe(true);
    expect(calls).toBe(3);
  });

  it('raises the request’s own error when nothing was stored', async () => {
    server.use(
      http.post(`${BASE}/api/2.0/mlflow/runs/log-batch`, () => mlflowError(404, 'RESOURCE_DOES_NOT_EXIST')),
    );
    const error = await failure(client().logBatch('r', { metrics: [{ key: 'm', value: 1 }] }));
    expect(NotFoundError.isInstance(error)).toBe(true);
  });
});
