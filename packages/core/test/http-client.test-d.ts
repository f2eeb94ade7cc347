import { describe, expectTypeOf, it } from 'vitest';
import { createHttpClient, type ResponseData, type ServiceId } from '../src/index';
import type { components, paths } from './generated/model-registry';

type Model = components['schemas']['Model'];
const api = createHttpClient<paths>({ service: 'mlflow', baseUrl: 'http://registry.test' });

describe('createHttpClient takes a service identifier', () => {
  it('refuses a sentence for service', () => {
    // @ts-expect-error service is an identifier ('feast-server'), never a sentence
    createHttpClient<paths>({ service: 'feast feature server', baseUrl: 'http://registry.test' });
    expectTypeOf(api.service).toEqualTypeOf<ServiceId>();
  });
});

describe('createHttpClient types come from the generated paths', () => {
  it('types response bodies per path and method', () => {
    expectTypeOf(
      api.get('/models/{name}', { params: { path: { name: 'x' } } }),
    ).resolves.toEqualTypeOf<Model>();
    expectTypeOf(api.get('/models')).resolves.toEqualTypeOf<components['schemas']['ModelPage']>();
    expectTypeOf(api.post('/models', { body: { name: 'x' } })).resolves.toEqualTypeOf<Model>();
    expectTypeOf(api.get('/runs')).resolves.toHaveProperty('total_entries').toEqualTypeOf<number>();
    expectTypeOf(
      api.delete('/models/{name}', { params: { path: { name: 'x' } } }),
    ).resolves.toEqualTypeOf<undefined>();
    expectTypeOf<ResponseData<paths, '/models/{name}', 'get'>>().toEqualTypeOf<Model>();
  });

  it('types enums in response bodies', () => {
    expectTypeOf(api.get('/runs'))
      .resolves.toHaveProperty('runs')
      .items.toHaveProperty('status')
      .toEqualTypeOf<'RUNNING' | 'FINISHED' | 'FAILED'>();
  });

  it('rejects unknown paths, wrong methods, missing and mistyped parameters and bodies', () => {
    // @ts-expect-error: not a path of the API
    api.get('/nope');
    // @ts-expect-error: /runs has no POST
    api.post('/runs', {});
    // @ts-expect-error: the path parameter is required
    api.get('/models/{name}');
    // @ts-expect-error: the path parameter is a string
    api.get('/models/{name}', { params: { path: { name: 1 } } });
    // @ts-expect-error: the body is required
    api.post('/models');
    // @ts-expect-error: name is required in the body
    api.post('/models', { body: { description: 'x' } });
    // @ts-expect-error: max_results is an integer
    api.get('/models', { params: { query: { max_results: 'ten' } } });
  });

  it('accepts call options next to the request options', () => {
    expectTypeOf(api.post).toBeCallableWith('/models', {
      body: { name: 'x' },
      idempotent: true,
      retry: { maxRetries: 1 },
      timeoutMs: 1000,
      attemptTimeoutMs: 100,
      signal: new AbortController().signal,
    });
    // @ts-expect-error: retry is an object or false
    api.get('/models', { retry: 'yes' });
  });

  it('keeps the raw openapi-fetch client typed too', () => {
    expectTypeOf(api.raw.GET('/models/{name}', { params: { path: { name: 'x' } } }))
      .resolves.toHaveProperty('data')
      .toEqualTypeOf<Model | undefined>();
  });
});
