import { describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConflictError,
  ConnectionError,
  DecodeError,
  InternalServerError,
  MlopsError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  type ServiceId,
  TimeoutError,
  UnprocessableEntityError,
} from '../src/index';
import { hasErrorMarker, serviceLabel } from '../src/sdk';

const init = {
  service: 'mlflow' as const,
  method: 'GET',
  url: 'http://127.0.0.1:5000/api/2.0/x',
  body: { message: 'nope' },
};

describe('error hierarchy', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [502, InternalServerError],
    [503, InternalServerError],
    [504, InternalServerError],
    [599, InternalServerError],
  ] as const)('maps status %i to %o', (status, Class) => {
    const error = ApiError.from({ ...init, status });
    expect(error).toBeInstanceOf(Class);
    expect(Class.isInstance(error)).toBe(true);
    expect(ApiError.isInstance(error)).toBe(true);
    expect(MlopsError.isInstance(error)).toBe(true);
    expect(error.name).toBe(Class.name);
    expect(error.status).toBe(status);
  });

  it('keeps statuses without a subclass as a plain ApiError', () => {
    const error = ApiError.from({ ...init, status: 418 });
    expect(error.constructor).toBe(ApiError);
    expect(NotFoundError.isInstance(error)).toBe(false);
    expect(InternalServerError.isInstance(error)).toBe(false);
  });

  it('tells classes apart with isInstance', () => {
    const all = [
      new AbortError(),
      new ConnectionError({ service: 'mlflow', method: 'GET', url: 'u' }),
      new TimeoutError({ service: 'mlflow', method: 'GET', url: 'u', scope: 'attempt', timeoutMs: 1 }),
      new DecodeError({ what: 'ValueProto' }),
      new ConfigError('bad', { option: 'x' }),
      ApiError.from({ ...init, status: 404 }),
    ];
    const classes = [AbortError, ConnectionError, TimeoutError, DecodeError, ConfigError, ApiError];
    for (const [i, error] of all.entries()) {
      for (const [j, Class] of classes.entries()) expect(Class.isInstance(error)).toBe(i === j);
      expect(MlopsError.isInstance(error)).toBe(true);
      expect(error).toBeInstanceOf(Error);
    }
    for (const value of [null, undefined, 'x', 1, {}, new Error('x'), { name: 'ApiError', status: 404 }]) {
      expect(MlopsError.isInstance(value)).toBe(false);
    }
  });

  it('recognises errors made by another copy of the module, where instanceof fails', async () => {
    vi.resetModules();
    const copy = await import('../src/errors');
    expect(copy.NotFoundError).not.toBe(NotFoundError);
    const foreign = copy.ApiError.from({ ...init, status: 404 });
    expect(foreign instanceof NotFoundError).toBe(false);
    expect(NotFoundError.isInstance(foreign)).toBe(true);
    expect(ApiError.isInstance(foreign)).toBe(true);
    expect(MlopsError.isInstance(foreign)).toBe(true);
    expect(RateLimitError.isInstance(foreign)).toBe(false);
    expect(copy.MlopsError.isInstance(ApiError.from({ ...init, status: 500 }))).toBe(true);
  });

  it("gives packages the marker check for their own classes' isInstance", async () => {
    const define = () => {
      class PackageError extends MlopsError {
        static override readonly marker: symbol = Symbol.for('@mlops/test.PackageError');
        static override isInstance(value: unknown): value is PackageError {
          return hasErrorMarker(value, PackageError.marker);
        }
      }
      return PackageError;
    };
    // Two copies of the class, as two installs of a package would make.
    const [First, Second] = [define(), define()];
    const error = new Second('boom');
    expect(error instanceof First).toBe(false);
    expect(First.isInstance(error)).toBe(true);
    expect(MlopsError.isInstance(error)).toBe(true);
    expect(First.isInstance(new MlopsError('other'))).toBe(false);
    expect(NotFoundError.isInstance(error)).toBe(false);
    expect(hasErrorMarker(error, NotFoundError.marker)).toBe(false);
    expect(hasErrorMarker(ApiError.from({ ...init, status: 404 }), NotFoundError.marker)).toBe(true);
    for (const value of [null, undefined, 'x', 42, { [First.marker]: 'yes' }])
      expect(hasErrorMarker(value, First.marker)).toBe(false);
  });

  it('describes itself: service, status, method, url, request id and the body message', () => {
    const error = ApiError.from({
      status: 409,
      service: 'mlflow',
      method: 'POST',
      url: 'http://127.0.0.1:5000/api/2.0/mlflow/registered-models/create',
      body: {
        error_code: 'RESOURCE_ALREADY_EXISTS',
        message: 'Registered Model (name=churn) already exists.',
      },
      requestId: 'abc',
    });
    expect(error.message).toBe(
      'MLflow answered 409 Conflict to POST http://127.0.0.1:5000/api/2.0/mlflow/registered-models/create (request id abc): RESOURCE_ALREADY_EXISTS: Registered Model (name=churn) already exists.',
    );
    expect(error.toJSON()).toMatchObject({
      name: 'ConflictError',
      status: 409,
      requestId: 'abc',
      service: 'mlflow',
    });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ name: 'ConflictError', status: 409 });
  });

  it('summarises FastAPI validation details and long text bodies', () => {
    const detail = [{ loc: ['body', 'features'], msg: 'field required', type: 'value_error.missing' }];
    expect(ApiError.from({ ...init, status: 422, body: { detail } }).message).toContain(
      '"msg":"field required"',
    );
    const long = 'x'.repeat(2_000);
    const message = ApiError.from({ ...init, status: 500, body: long }).message;
    expect(message.length).toBeLessThan(700);
    expect(message.endsWith('…')).toBe(true);
  });

  it('says what to do in connection, timeout and config errors', () => {
    const cause = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6566'), { code: 'ECONNREFUSED' }),
    });
    const connection = new ConnectionError({
      service: 'feast-server',
      method: 'POST',
      url: 'http://127.0.0.1:6566/push',
      cause,
    });
    expect(connection.message).toBe(
      'Could not reach the Feast feature server for POST http://127.0.0.1:6566/push (connect ECONNREFUSED 127.0.0.1:6566). Check that the Feast feature server is running and that its URL is right.',
    );
    const timeout = new TimeoutError({
      service: 'airflow',
      method: 'GET',
      url: 'u',
      scope: 'total',
      timeoutMs: 5000,
      attempts: 3,
    });
    expect(timeout.message).toContain(
      'timed out after 5000 ms (the whole call, retries included, 3 attempts)',
    );
    expect(timeout.message).toContain('Raise the timeoutMs option');
    const decode = new DecodeError({
      what: 'ValueProto',
      source: 'redis key 0x01ab',
      field: '_ts:driver_hourly',
    });
    expect(decode.message).toBe(
      'Could not decode ValueProto from redis key 0x01ab (field _ts:driver_hourly).',
    );
    expect(decode.toJSON()).toMatchObject({
      what: 'ValueProto',
      source: 'redis key 0x01ab',
      field: '_ts:driver_hourly',
    });
  });
});

describe('service', () => {
  it('is an identifier on the error; messages use its label', () => {
    const api = ApiError.from({ status: 503, service: 'feast-server', method: 'POST', url: 'u', body: '' });
    const connection = new ConnectionError({ service: 'postgres', method: 'CONNECT', url: 'u' });
    const timeout = new TimeoutError({
      service: 'feast-registry',
      method: 'ListEntities',
      url: 'u',
      scope: 'attempt',
      timeoutMs: 5,
    });
    expect([api.service, connection.service, timeout.service]).toEqual([
      'feast-server',
      'postgres',
      'feast-registry',
    ]);
    expect(api.message).toBe('the Feast feature server answered 503 Service Unavailable to POST u');
    expect(connection.message).toBe(
      'Could not reach PostgreSQL for CONNECT u. Check that PostgreSQL is running and that its URL is right.',
    );
    expect(timeout.message).toContain('ListEntities u to the Feast registry server timed out after 5 ms');
    expect(api.toJSON()).toMatchObject({ service: 'feast-server' });
  });

  it('has a label for every identifier, and a caller can switch on it', () => {
    const ids: ServiceId[] = [
      'mlflow',
      'airflow',
      'prometheus',
      'pushgateway',
      'elasticsearch',
      'redis',
      'postgres',
      'feast-server',
      'feast-registry',
    ];
    expect(ids.map(serviceLabel)).toEqual([
      'MLflow',
      'Airflow',
      'Prometheus',
      'the Prometheus Pushgateway',
      'Elasticsearch',
      'Redis',
      'PostgreSQL',
      'the Feast feature server',
      'the Feast registry server',
    ]);
    const kind = (error: ConnectionError): string => {
      switch (error.service) {
        case 'redis':
          return 'online store';
        case 'postgres':
          return 'offline store';
        default:
          return 'other';
      }
    };
    expect(kind(new ConnectionError({ service: 'redis', method: 'CONNECT', url: 'u' }))).toBe('online store');
  });

  it('keeps the gRPC code next to its HTTP status', () => {
    const error = ApiError.from({
      status: 403,
      grpcCode: 'PERMISSION_DENIED',
      service: 'feast-registry',
      method: 'ListEntities',
      url: 'http://127.0.0.1:6570',
      body: 'no',
    });
    expect(PermissionDeniedError.isInstance(error)).toBe(true);
    expect(error.grpcCode).toBe('PERMISSION_DENIED');
    expect(error.toJSON()).toMatchObject({ grpcCode: 'PERMISSION_DENIED', status: 403 });
    expect(ApiError.from({ ...error, status: 404, grpcCode: undefined }).toJSON()).not.toHaveProperty(
      'grpcCode',
    );
  });
});
