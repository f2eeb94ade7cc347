import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  type ApiError,
  BadRequestError,
  ConflictError,
  createHttpClient,
  InternalServerError,
} from '../src/index';
import type { paths } from './generated/model-registry';
import { rejectionOf, useMswServer } from './helpers';

const BASE = 'http://registry.test';
const server = useMswServer();

function client(classifyError: Parameters<typeof createHttpClient>[0]['classifyError']) {
  return createHttpClient<paths>({
    service: 'mlflow',
    baseUrl: BASE,
    retry: { initialDelayMs: 1, maxDelayMs: 5 },
    classifyError,
  });
}

describe('classifyError', () => {
  it('lets a package pick the class and keep its own error code', async () => {
    server.use(
      http.get(`${BASE}/models/churn`, () =>
        HttpResponse.json({ error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' }, { status: 400 }),
      ),
    );
    const error = await rejectionOf(
      client((init) => new ConflictError({ ...init, code: 'RESOURCE_ALREADY_EXISTS' })).get(
        '/models/{name}',
        {
          params: { path: { name: 'churn' } },
        },
      ),
    );
    expect(ConflictError.isInstance(error)).toBe(true);
    expect(BadRequestError.isInstance(error)).toBe(false);
    const api = error as ConflictError;
    expect(api.status).toBe(400);
    expect(api.code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(api.toJSON()).toMatchObject({ status: 400, code: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('falls back to the status when the classifier answers undefined or throws; retries follow the status', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/models/churn`, () => {
        calls++;
        return new HttpResponse('busy', { status: 503 });
      }),
    );
    const undecided = await rejectionOf(
      client(() => undefined).get('/models/{name}', { params: { path: { name: 'churn' } } }),
    );
    expect(InternalServerError.isInstance(undecided)).toBe(true);
    expect((undecided as ApiError).attempts).toBe(3);
    expect(calls).toBe(3);
    const broken = await rejectionOf(
      client(() => {
        throw new Error('classifier bug');
      }).get('/models/{name}', { params: { path: { name: 'churn' } } }),
    );
    expect(InternalServerError.isInstance(broken)).toBe(true);
    expect((broken as ApiError).code).toBeUndefined();
  });
});
