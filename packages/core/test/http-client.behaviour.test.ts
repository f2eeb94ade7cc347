import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ApiError,
  AuthenticationError,
  ConfigError,
  ConnectionError,
  createHttpClient,
  DecodeError,
  InternalServerError,
  MlopsError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
} from '../src/index';
import type { paths } from './generated/model-registry';
import { recordingLogger, rejectionOf, useMswServer } from './helpers';

const BASE = 'http://registry.test';
const server = useMswServer();
// The platform's fetch, saved before msw patches it.
const fetchWithoutMsw = globalThis.fetch;

const model = { name: 'churn', version: 3, created_at: '2026-01-01T00:00:00Z' };

function client(overrides: Partial<Parameters<typeof createHttpClient>[0]> = {}) {
  return createHttpClient<paths>({
    service: 'mlflow',
    baseUrl: BASE,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  });
}

describe('retries', () => {
  it('retries 503 honouring Retry-After in seconds', async () => {
    const seen: number[] = [];
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        seen.push(Date.now());
        return seen.length === 1
          ? new HttpResponse('busy', { status: 503, headers: { 'retry-after': '1' } })
          : HttpResponse.json(model);
      }),
    );
    const result = await client().get('/models/{name}', { params: { path: { name: 'churn' } } });
    expect(result).toEqual(model);
    expect(seen).toHaveLength(2);
    const waited = seen[1]! - seen[0]!;
    expect(waited).toBeGreaterThanOrEqual(980);
    expect(waited).toBeLessThan(1_600);
  });

  it('honours retry-after-ms and an HTTP-date Retry-After', async () => {
    const seen: number[] = [];
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        seen.push(Date.now());
        if (seen.length === 1)
          return new HttpResponse(null, { status: 429, headers: { 'retry-after-ms': '300' } });
        if (seen.length === 2) {
          const date = new Date(Date.now() + 2_000).toUTCString(); // HTTP dates have whole seconds
          return new HttpResponse(null, { status: 503, headers: { 'retry-after': date } });
        }
        return HttpResponse.json(model);
      }),
    );
    await client().get('/models/{name}', { params: { path: { name: 'churn' } } });
    expect(seen).toHaveLength(3);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(290);
    expect(seen[1]! - seen[0]!).toBeLessThan(900);
    expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(900);
  });

  it('does not wait for a Retry-After beyond the cap: raises at once with retryAfterMs', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return HttpResponse.json(
          { error_code: 'RATE_LIMITED', message: 'slow down' },
          { status: 429, headers: { 'retry-after': '3600' } },
        );
      }),
    );
    const started = Date.now();
    const error = await rejectionOf(client().get('/models/{name}', { params: { path: { name: 'churn' } } }));
    expect(Date.now() - started).toBeLessThan(500);
    expect(calls).toBe(1);
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect((error as RateLimitError).message).toContain('RATE_LIMITED: slow down');
  });

  it('gives up after maxRetries and says how many attempts it made', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return new HttpResponse('upstream down', { status: 502 });
      }),
    );
    const error = await rejectionOf(
      client({ retry: { maxRetries: 3, initialDelayMs: 1 } }).get('/models/{name}', {
        params: { path: { name: 'churn' } },
      }),
    );
    expect(calls).toBe(4);
    expect(InternalServerError.isInstance(error)).toBe(true);
    expect((error as ApiError).attempts).toBe(4);
    expect((error as ApiError).message).toContain('after 4 attempts');
  });

  it('does not retry POST unless the call declares it idempotent', async () => {
    let calls = 0;
    server.use(
      http.post(`${BASE}/models`, () => {
        calls++;
        return calls < 3
          ? new HttpResponse(null, { status: 503 })
          : HttpResponse.json(model, { status: 201 });
      }),
    );
    const error = await rejectionOf(client().post('/models', { body: { name: 'churn' } }));
    expect(InternalServerError.isInstance(error)).toBe(true);
    expect(calls).toBe(1);

    calls = 0;
    const created = await client().post('/models', { body: { name: 'churn' }, idempotent: true });
    expect(created).toEqual(model);
    expect(calls).toBe(3);
  });

  it('retries a POST carrying an Idempotency-Key header, replaying the same body', async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post(`${BASE}/models`, async ({ request }) => {
        bodies.push(await request.json());
        return bodies.length < 2
          ? new HttpResponse(null, { status: 500 })
          : HttpResponse.json(model, { status: 201 });
      }),
    );
    await client().post('/models', {
      body: { name: 'churn', description: 'd' },
      headers: { 'Idempotency-Key': 'k-1' },
    });
    expect(bodies).toEqual([
      { name: 'churn', description: 'd' },
      { name: 'churn', description: 'd' },
    ]);
  });

  it('retries a connection reset on GET and raises ConnectionError when it persists', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return calls === 1 ? HttpResponse.error() : HttpResponse.json(model);
      }),
    );
    expect(await client().get('/models/{name}', { params: { path: { name: 'churn' } } })).toEqual(model);
    expect(calls).toBe(2);

    server.use(http.get(`${BASE}/models/gone`, () => HttpResponse.error()));
    const error = await rejectionOf(client().get('/models/{name}', { params: { path: { name: 'gone' } } }));
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect((error as ConnectionError).attempts).toBe(3);
    expect((error as Error).message).toMatch(
      /Could not reach MLflow for GET http:\/\/registry\.test\/models\/gone after 3 attempts/,
    );
  });

  it("explains fetch's blocked ports (Feast's default 6566 is one) instead of retrying them", async () => {
    // Real fetch, no msw handler involved: fetch refuses the port before any connection is made.
    const error = await rejectionOf(
      createHttpClient<paths>({
        service: 'feast-server',
        baseUrl: 'http://127.0.0.1:6566',
        fetch: (input) => fetchWithoutMsw(input),
      }).get('/models/{name}', { params: { path: { name: 'x' } } }),
    );
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect((error as ConnectionError).attempts).toBe(1);
    expect((error as Error).message).toContain(
      "fetch refuses this port: it is on the fetch standard's list of blocked",
    );
  });

  it('does not retry statuses outside the retry list', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/nope`, () => {
        calls++;
        return HttpResponse.json(
          { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model nope not found' },
          { status: 404, headers: { 'x-request-id': 'req-42' } },
        );
      }),
    );
    const error = await rejectionOf(client().get('/models/{name}', { params: { path: { name: 'nope' } } }));
    expect(calls).toBe(1);
    expect(NotFoundError.isInstance(error)).toBe(true);
    const e = error as NotFoundError;
    expect(e.status).toBe(404);
    expect(e.service).toBe('mlflow');
    expect(e.method).toBe('GET');
    expect(e.url).toBe(`${BASE}/models/nope`);
    expect(e.requestId).toBe('req-42');
    expect(e.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model nope not found' });
    expect(e.message).toBe(
      'MLflow answered 404 Not Found to GET http://registry.test/models/nope (request id req-42): RESOURCE_DOES_NOT_EXIST: Model nope not found',
    );
  });
});

describe('auth', () => {
  it('refreshes the token once on 401 and replays the request', async () => {
    const tokens: boolean[] = [];
    const seen: Array<string | null> = [];
    server.use(
      http.get(`${BASE}/models/churn`, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return request.headers.get('authorization') === 'Bearer fresh'
          ? HttpResponse.json(model)
          : new HttpResponse(null, { status: 401 });
      }),
    );
    const http401 = client({
      auth: {
        type: 'bearer',
        token: ({ forceRefresh }) => {
          tokens.push(forceRefresh);
          return forceRefresh ? 'fresh' : 'stale';
        },
      },
    });
    expect(await http401.get('/models/{name}', { params: { path: { name: 'churn' } } })).toEqual(model);
    expect(tokens).toEqual([false, true]);
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('raises AuthenticationError when the refreshed token is rejected too, refreshing only once', async () => {
    let calls = 0;
    let refreshes = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return HttpResponse.json({ detail: 'Invalid token' }, { status: 401 });
      }),
    );
    const error = await rejectionOf(
      client({
        auth: {
          type: 'bearer',
          token: async ({ forceRefresh }) => {
            if (forceRefresh) refreshes++;
            return 'always-bad';
          },
        },
      }).get('/models/{name}', { params: { path: { name: 'churn' } } }),
    );
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(calls).toBe(2);
    expect(refreshes).toBe(1);
  });

  it('refreshes once on a rejection refreshOn names (403 "Invalid JWT token"), and a plain 403 stays a 403', async () => {
    const tokens: boolean[] = [];
    const seen: Array<string | null> = [];
    server.use(
      http.get(`${BASE}/models/churn`, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return request.headers.get('authorization') === 'Bearer fresh'
          ? HttpResponse.json(model)
          : HttpResponse.json({ detail: 'Invalid JWT token' }, { status: 403 });
      }),
      http.get(`${BASE}/models/secret`, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return HttpResponse.json({ detail: 'Forbidden' }, { status: 403 });
      }),
    );
    const rejections: unknown[] = [];
    const api = client({
      auth: {
        type: 'bearer',
        token: ({ forceRefresh }) => {
          tokens.push(forceRefresh);
          return forceRefresh ? 'fresh' : 'stale';
        },
        refreshOn: (rejection) => {
          rejections.push(rejection);
          return (
            rejection.status === 403 &&
            (rejection.body as { detail?: unknown })?.detail === 'Invalid JWT token'
          );
        },
      },
    });
    expect(await api.get('/models/{name}', { params: { path: { name: 'churn' } } })).toEqual(model);
    expect(tokens).toEqual([false, true]);
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(rejections).toEqual([{ status: 403, body: { detail: 'Invalid JWT token' } }]);
    // Another 403 is the caller's answer at once: no new token, no replay.
    tokens.length = 0;
    seen.length = 0;
    const error = await rejectionOf(api.get('/models/{name}', { params: { path: { name: 'secret' } } }));
    expect(ApiError.isInstance(error) && error.status).toBe(403);
    expect(tokens).toEqual([false]);
    expect(seen).toHaveLength(1);
  });

  it('refreshes only once when the refreshed token meets the same refreshOn rejection, and a throwing refreshOn is a no', async () => {
    let calls = 0;
    let refreshes = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return HttpResponse.json({ detail: 'Invalid JWT token' }, { status: 403 });
      }),
    );
    const api = (refreshOn: () => boolean) =>
      client({
        auth: {
          type: 'bearer',
          token: ({ forceRefresh }) => {
            if (forceRefresh) refreshes++;
            return 'always-bad';
          },
          refreshOn,
        },
      });
    const error = await rejectionOf(
      api(() => true).get('/models/{name}', { params: { path: { name: 'churn' } } }),
    );
    expect(ApiError.isInstance(error) && error.status).toBe(403);
    expect([calls, refreshes]).toEqual([2, 1]);
    calls = 0;
    refreshes = 0;
    const thrown = await rejectionOf(
      api(() => {
        throw new Error('broken predicate');
      }).get('/models/{name}', { params: { path: { name: 'churn' } } }),
    );
    expect(ApiError.isInstance(thrown) && thrown.status).toBe(403);
    expect([calls, refreshes]).toEqual([1, 0]);
  });

  it('sends static bearer tokens and basic credentials', async () => {
    const seen: Array<string | null> = [];
    server.use(
      http.get(`${BASE}/models/churn`, ({ request }) => {
        seen.push(request.headers.get('authorization'));
        return HttpResponse.json(model);
      }),
    );
    await client({ auth: { type: 'bearer', token: 'tok-123' } }).get('/models/{name}', {
      params: { path: { name: 'churn' } },
    });
    await client({ auth: { type: 'basic', username: 'admin', password: 'pässword' } }).get('/models/{name}', {
      params: { path: { name: 'churn' } },
    });
    expect(seen[0]).toBe('Bearer tok-123');
    const decoded = new TextDecoder().decode(
      Uint8Array.from(atob(seen[1]!.slice('Basic '.length)), (c) => c.charCodeAt(0)),
    );
    expect(decoded).toBe('admin:pässword');
  });
});

describe('timeouts and aborts', () => {
  it('raises TimeoutError close to the per-attempt deadline', async () => {
    server.use(
      http.get(`${BASE}/models/slow`, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        return HttpResponse.json(model);
      }),
    );
    const started = Date.now();
    const error = await rejectionOf(
      client({ retry: false, attemptTimeoutMs: 300 }).get('/models/{name}', {
        params: { path: { name: 'slow' } },
      }),
    );
    const elapsed = Date.now() - started;
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as TimeoutError).scope).toBe('attempt');
    expect((error as TimeoutError).timeoutMs).toBe(300);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    expect((error as Error).message).toContain('Raise the attemptTimeoutMs option');
  });

  it('stops at the whole-call deadline, retries included', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/slow`, async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        return HttpResponse.json(model);
      }),
    );
    const started = Date.now();
    const error = await rejectionOf(
      client({ attemptTimeoutMs: 200, timeoutMs: 500, retry: { maxRetries: 10, initialDelayMs: 1 } }).get(
        '/models/{name}',
        {
          params: { path: { name: 'slow' } },
        },
      ),
    );
    const elapsed = Date.now() - started;
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as TimeoutError).scope).toBe('total');
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(1_000);
  });

  it("raises AbortError at once on the caller's abort and does not retry", async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/slow`, async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        return HttpResponse.json(model);
      }),
    );
    const controller = new AbortController();
    const pending = client({ retry: { maxRetries: 5 } }).get('/models/{name}', {
      params: { path: { name: 'slow' } },
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const aborted = Date.now();
    controller.abort(new Error('user went away'));
    const error = await rejectionOf(pending);
    // "At once": far below the 5 s the server would take, with room for a busy CI machine.
    expect(Date.now() - aborted).toBeLessThan(300);
    expect(AbortError.isInstance(error)).toBe(true);
    expect(TimeoutError.isInstance(error)).toBe(false);
    expect((error as AbortError).reason).toEqual(new Error('user went away'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(1);
  });

  it('raises AbortError without sending anything when the signal is already aborted', async () => {
    const error = await rejectionOf(
      client().get('/models/{name}', { params: { path: { name: 'x' } }, signal: AbortSignal.abort() }),
    );
    expect(AbortError.isInstance(error)).toBe(true);
  });

  it('aborts a retry wait at once', async () => {
    server.use(
      http.get(
        `${BASE}/models/busy`,
        () => new HttpResponse(null, { status: 503, headers: { 'retry-after': '30' } }),
      ),
    );
    const controller = new AbortController();
    const pending = client().get('/models/{name}', {
      params: { path: { name: 'busy' } },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejectionOf(pending);
    expect(AbortError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('bodies', () => {
  it('turns an HTML 502 page into an ApiError carrying its text', async () => {
    const page =
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>nginx/1.25</p></body></html>';
    server.use(
      http.get(
        `${BASE}/models/churn`,
        () => new HttpResponse(page, { status: 502, headers: { 'content-type': 'text/html' } }),
      ),
    );
    const error = await rejectionOf(
      client({ retry: false }).get('/models/{name}', { params: { path: { name: 'churn' } } }),
    );
    expect(ApiError.isInstance(error)).toBe(true);
    expect(InternalServerError.isInstance(error)).toBe(true);
    const e = error as ApiError;
    expect(e.status).toBe(502);
    expect(e.body).toBe(page);
    expect(e.message).toContain('MLflow answered 502 Bad Gateway to GET http://registry.test/models/churn');
    expect(e.message).toContain('502 Bad Gateway nginx/1.25');
  });

  it('raises DecodeError showing the body when a 200 is not the JSON it should be', async () => {
    server.use(
      http.get(
        `${BASE}/models/churn`,
        () =>
          new HttpResponse('{"name": "churn", trunc', { headers: { 'content-type': 'application/json' } }),
      ),
    );
    const error = await rejectionOf(client().get('/models/{name}', { params: { path: { name: 'churn' } } }));
    expect(DecodeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      'with a body that is not JSON: "{\\"name\\": \\"churn\\", trunc"',
    );
  });

  it('resolves an empty 204 to undefined', async () => {
    server.use(http.delete(`${BASE}/models/churn`, () => new HttpResponse(null, { status: 204 })));
    await expect(
      client().delete('/models/{name}', { params: { path: { name: 'churn' } } }),
    ).resolves.toBeUndefined();
  });

  it('serialises path and query parameters and JSON bodies as the spec says', async () => {
    let url = '';
    let body: unknown;
    server.use(
      http.get(`${BASE}/models`, ({ request }) => {
        url = request.url;
        return HttpResponse.json({ models: [model] });
      }),
      http.post(`${BASE}/models`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(model, { status: 201 });
      }),
    );
    const page = await client().get('/models', {
      params: { query: { max_results: 5, page_token: 'a b/c' } },
    });
    expect(page.models[0]?.name).toBe('churn');
    expect(url).toBe(`${BASE}/models?max_results=5&page_token=a%20b%2Fc`);
    await client().post('/models', { body: { name: 'x', description: 'y' } });
    expect(body).toEqual({ name: 'x', description: 'y' });
  });

  it('raw client resolves data and rejects non-2xx with ApiError', async () => {
    server.use(
      http.get(`${BASE}/models/churn`, () => HttpResponse.json(model)),
      http.get(`${BASE}/models/nope`, () => HttpResponse.json({ message: 'no' }, { status: 404 })),
    );
    const { data } = await client().raw.GET('/models/{name}', { params: { path: { name: 'churn' } } });
    expect(data).toEqual(model);
    const error = await rejectionOf(
      client().raw.GET('/models/{name}', { params: { path: { name: 'nope' } } }),
    );
    expect(NotFoundError.isInstance(error)).toBe(true);
  });
});

describe('pipeline', () => {
  it('sends a User-Agent naming the SDK, core and the runtime, plus caller headers', async () => {
    let headers: Headers | undefined;
    server.use(
      http.get(`${BASE}/models/churn`, ({ request }) => {
        headers = request.headers;
        return HttpResponse.json(model);
      }),
    );
    await client({
      sdk: { name: '@mlops/feast', version: '9.9.9' },
      userAgent: 'my-app/1.0',
      headers: { 'x-team': 'ml' },
    }).get('/models/{name}', { params: { path: { name: 'churn' } } });
    expect(headers?.get('user-agent')).toMatch(
      /^@mlops\/feast\/9\.9\.9 @mlops\/core\/\d+\.\d+\.\d+\S* node\/\d+\.\d+\.\d+ my-app\/1\.0$/,
    );
    expect(headers?.get('x-team')).toBe('ml');
  });

  it('looks fetch up at call time, so a fetch installed after the client is made is used', async () => {
    const http1 = client();
    const original = globalThis.fetch;
    const seen: string[] = [];
    globalThis.fetch = async (input: RequestInfo | URL) => {
      seen.push(input instanceof Request ? input.url : String(input));
      return Response.json(model);
    };
    try {
      await http1.get('/models/{name}', { params: { path: { name: 'late' } } });
    } finally {
      globalThis.fetch = original;
    }
    expect(seen).toEqual([`${BASE}/models/late`]);
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const injected = client({
      fetch: async (input: RequestInfo | URL) => {
        seen.push(input instanceof Request ? input.method : 'GET');
        return Response.json(model);
      },
    });
    await injected.get('/models/{name}', { params: { path: { name: 'x' } } });
    expect(seen).toEqual(['GET']);
  });

  it('logs nothing by default and requests, retries and responses when given a logger', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return calls === 1 ? new HttpResponse(null, { status: 503 }) : HttpResponse.json(model);
      }),
    );
    const logger = recordingLogger();
    await client({ logger }).get('/models/{name}', { params: { path: { name: 'churn' } } });
    const messages = logger.lines.map((line) => JSON.parse(line).message);
    expect(messages).toEqual([
      'mlops.http.request',
      'mlops.http.response',
      'mlops.http.retry',
      'mlops.http.request',
      'mlops.http.response',
    ]);
  });
});

describe('secrets', () => {
  const CANARY = 'canary-s3cr3t-7f9a2c';

  it('keeps a canary secret out of every error message, log line and error JSON', async () => {
    server.use(
      // A hostile server echoing the credentials back, in every way it can.
      http.all(`${BASE}/*`, ({ request }) =>
        HttpResponse.json(
          {
            message: `bad auth: ${request.headers.get('authorization')}`,
            echo: request.url,
            password: CANARY,
          },
          {
            status: Number(new URL(request.url).searchParams.get('status') ?? 500),
            headers: { 'x-request-id': 'r1' },
          },
        ),
      ),
    );
    const errors: unknown[] = [];
    const logger = recordingLogger();
    const clients = [
      client({ logger, auth: { type: 'bearer', token: CANARY } }),
      client({ logger, auth: { type: 'bearer', token: async () => CANARY } }),
      client({ logger, auth: { type: 'basic', username: 'admin', password: CANARY } }),
      client({ logger, headers: { authorization: `Bearer ${CANARY}` } }),
      createHttpClient<paths>({
        service: 'mlflow',
        baseUrl: `http://admin:${CANARY}@registry.test`,
        logger,
        retry: { initialDelayMs: 1 },
      }),
    ];
    for (const c of clients) {
      for (const status of [400, 401, 403, 404, 409, 422, 429, 500, 503]) {
        errors.push(
          await rejectionOf(
            c.fetch(`/models/churn?status=${status}&token=${CANARY}&api_key=${CANARY}`, {
              retry: { maxRetries: 1, initialDelayMs: 1 },
            }),
          ),
        );
      }
    }
    // Connection errors and timeouts carry the URL too.
    server.use(http.all(`${BASE}/*`, () => HttpResponse.error()));
    errors.push(await rejectionOf(clients[0]!.fetch(`/x?token=${CANARY}`)));
    server.use(http.all(`${BASE}/*`, () => new Promise<never>(() => {})));
    errors.push(
      await rejectionOf(clients[2]!.fetch(`/x?password=${CANARY}`, { attemptTimeoutMs: 20, retry: false })),
    );
    server.use(http.all(`${BASE}/*`, () => new HttpResponse(`not json ${CANARY}`)));
    errors.push(await rejectionOf(clients[0]!.get('/models/{name}', { params: { path: { name: CANARY } } })));

    expect(errors).toHaveLength(5 * 9 + 3);
    for (const error of errors) {
      expect(MlopsError.isInstance(error)).toBe(true);
      const e = error as MlopsError;
      for (const text of [
        e.message,
        String(e),
        JSON.stringify(e),
        JSON.stringify(e.toJSON()),
        e.stack ?? '',
      ]) {
        expect(text).not.toContain(CANARY);
      }
    }
    expect(logger.lines.length).toBeGreaterThan(50);
    for (const line of logger.lines) expect(line).not.toContain(CANARY);
    expect(JSON.stringify(errors.map((e) => (e as ApiError).url))).toContain('token=[REDACTED]');
  });
});

describe('hostile ids and headers (found by fuzz/hostile-names.test.ts and fuzz/secrets.test.ts)', () => {
  it("refuses a path parameter '.' or '..' before sending: it would address another endpoint", async () => {
    let sent = 0;
    server.use(
      http.get(`${BASE}/*`, () => {
        sent++;
        return HttpResponse.json(model);
      }),
    );
    for (const name of ['.', '..']) {
      const error = await rejectionOf(client().get('/models/{name}', { params: { path: { name } } }));
      expect(MlopsError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('cannot hold as a segment');
    }
    // '...' and '.x' are names like any other.
    await client().get('/models/{name}', { params: { path: { name: '...' } } });
    expect(sent).toBe(1);
  });

  it('a default header a request cannot carry (CR/LF) is a ConfigError naming the header, not its value', () => {
    let error: unknown;
    try {
      client({ headers: { 'x-ok': 'fine', 'x-bad': 'secret-value\r\nX-Injected: 1' } });
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('"x-bad"');
    expect((error as Error).message).not.toContain('secret-value');
  });

  it('scrubs the secrets option from error bodies, like the auth option', async () => {
    server.use(
      http.post(`${BASE}/models`, async ({ request }) =>
        HttpResponse.json({ echo: await request.text() }, { status: 500 }),
      ),
    );
    const error = await rejectionOf(
      client({ secrets: ['posted-pw-1234'], retry: false }).post('/models', {
        body: { name: 'posted-pw-1234' },
      }),
    );
    expect(ApiError.isInstance(error)).toBe(true);
    expect(JSON.stringify(error)).not.toContain('posted-pw-1234');
    expect(JSON.stringify((error as ApiError).body)).toContain('[REDACTED]');
  });
});

describe('oversized responses are bounded', () => {
  const big = JSON.stringify({ name: 'x'.repeat(5_000) });
  const chunked = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        for (let at = 0; at < bytes.length; at += 512) controller.enqueue(bytes.subarray(at, at + 512));
        controller.close();
      },
    });

  it('a body over maxResponseBytes is a DecodeError, with or without a Content-Length', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/declared`, () => {
        calls++;
        return new HttpResponse(big, {
          headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
        });
      }),
      http.get(`${BASE}/models/chunked`, () => {
        calls++;
        return new HttpResponse(chunked(big), { headers: { 'content-type': 'application/json' } });
      }),
    );
    for (const name of ['declared', 'chunked']) {
      const error = await rejectionOf(
        client({ maxResponseBytes: 1_000 }).get('/models/{name}', { params: { path: { name } } }),
      );
      expect(DecodeError.isInstance(error), String(error)).toBe(true);
      expect((error as Error).message).toContain('more than the 1000 bytes');
    }
    // Not retried: the next attempt would be as large.
    expect(calls).toBe(2);
    // Under the bound, the same bodies read as usual.
    const whole = await client({ maxResponseBytes: 10_000 }).get('/models/{name}', {
      params: { path: { name: 'chunked' } },
    });
    expect((whole as { name: string }).name).toHaveLength(5_000);
  });

  it('an error body is kept to its first 64 KiB', async () => {
    const page = `<html>${'y'.repeat(200_000)}</html>`;
    server.use(http.get(`${BASE}/models/huge`, () => new HttpResponse(chunked(page), { status: 404 })));
    const error = await rejectionOf(client().get('/models/{name}', { params: { path: { name: 'huge' } } }));
    expect(NotFoundError.isInstance(error)).toBe(true);
    expect(String((error as NotFoundError).body).length).toBe(64 * 1024);
  });
});
