import { once } from 'node:events';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  MlopsError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
} from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryServer } from '../../src/generated/proto/feast/registry/RegistryServer_pb';
import { registryCallError } from '../../src/registry/grpc-errors';
import { RemoteMaterializationRecorder } from '../../src/registry/materialization-intervals';
import { RemoteRegistrySource } from '../../src/registry/sources';

// A registry server of our own on loopback, over real HTTP/2 gRPC: each test sets the code it answers with.
let answer: Code = Code.Unknown;
let server: Http2Server;
let target: string;

const fail = (): never => {
  throw new ConnectError(`the server says ${Code[answer]}`, answer);
};

beforeAll(async () => {
  server = createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(RegistryServer, {
          listEntities: fail,
          listDataSources: () => ({}),
          listFeatureViews: () => ({}),
          listStreamFeatureViews: () => ({}),
          listOnDemandFeatureViews: () => ({}),
          listFeatureServices: () => ({}),
          getFeatureView: () => ({ spec: { name: 'driver_hourly_stats', project: 'p' } }),
          applyMaterialization: fail,
        }),
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
});

const interval = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-02T00:00:00Z') };

async function failureOf(run: () => Promise<unknown>): Promise<MlopsError> {
  try {
    await run();
  } catch (error) {
    if (MlopsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const cases: Array<[Code, (value: unknown) => boolean, string, number]> = [
  [Code.Unauthenticated, AuthenticationError.isInstance, 'UNAUTHENTICATED', 401],
  [Code.PermissionDenied, PermissionDeniedError.isInstance, 'PERMISSION_DENIED', 403],
  [Code.NotFound, NotFoundError.isInstance, 'NOT_FOUND', 404],
  [Code.InvalidArgument, BadRequestError.isInstance, 'INVALID_ARGUMENT', 400],
  [Code.FailedPrecondition, BadRequestError.isInstance, 'FAILED_PRECONDITION', 400],
  [Code.OutOfRange, BadRequestError.isInstance, 'OUT_OF_RANGE', 400],
  [Code.AlreadyExists, ConflictError.isInstance, 'ALREADY_EXISTS', 409],
  [Code.Aborted, ConflictError.isInstance, 'ABORTED', 409],
  [Code.ResourceExhausted, RateLimitError.isInstance, 'RESOURCE_EXHAUSTED', 429],
  [Code.Internal, InternalServerError.isInstance, 'INTERNAL', 500],
  [Code.Unknown, InternalServerError.isInstance, 'UNKNOWN', 500],
  [Code.DataLoss, InternalServerError.isInstance, 'DATA_LOSS', 500],
  [Code.Unimplemented, InternalServerError.isInstance, 'UNIMPLEMENTED', 501],
];

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

describe('registry server gRPC codes become the matching error classes', () => {
  it.each(cases)('code %i on ListEntities (loading the registry)', async (code, is, name, status) => {
    answer = code;
    const error = await failureOf(() => new RemoteRegistrySource(target, 'p').load());
    expect(is(error)).toBe(true);
    const api = error as ApiError;
    expect(api.status).toBe(status);
    expect(api.grpcCode).toBe(name);
    expect(api.service).toBe('feast-registry');
    expect(api.method).toBe('ListEntities');
    expect(api.url).toBe(`http://${target}`);
    expect(api.message).toBe(
      `the Feast registry server answered ${status} ${STATUS_TEXT[status]} to ListEntities http://${target}: ${name}: the server says ${Code[code]}`,
    );
  });

  it.each(cases)('code %i on ApplyMaterialization (recording a run)', async (code, is, name, status) => {
    answer = code;
    const error = await failureOf(() =>
      new RemoteMaterializationRecorder(target).record('p', 'driver_hourly_stats', interval),
    );
    if (code === Code.NotFound) {
      // A view the server does not have is named as Feast's own "not found", with the view's name.
      expect(error.name).toBe('FeastObjectNotFoundError');
      return;
    }
    expect(is(error)).toBe(true);
    expect((error as ApiError).grpcCode).toBe(name);
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).method).toBe('ApplyMaterialization');
    expect(error.message).toContain(`${name}: the server says ${Code[code]}`);
  });

  it('PERMISSION_DENIED is no longer "check that it is running"', async () => {
    answer = Code.PermissionDenied;
    const error = await failureOf(() => new RemoteRegistrySource(target, 'p').load());
    expect(ConnectionError.isInstance(error)).toBe(false);
    expect(error.message).not.toContain('is running');
  });

  it('DEADLINE_EXCEEDED is a TimeoutError naming the rpc', async () => {
    answer = Code.DeadlineExceeded;
    const error = await failureOf(() => new RemoteRegistrySource(target, 'p').load());
    expect(TimeoutError.isInstance(error)).toBe(true);
    expect((error as TimeoutError).method).toBe('ListEntities');
    expect((error as TimeoutError).timeoutMs).toBe(30_000);
    expect(error.message).toBe(
      `ListEntities http://${target} to the Feast registry server timed out after 30000 ms (DEADLINE_EXCEEDED: the server says DeadlineExceeded).`,
    );
  });

  it('UNAVAILABLE is a ConnectionError with the advice to check the server', async () => {
    answer = Code.Unavailable;
    const error = await failureOf(() =>
      new RemoteMaterializationRecorder(target).record('p', 'driver_hourly_stats', interval),
    );
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect((error as ConnectionError).service).toBe('feast-registry');
    expect((error as ConnectionError).method).toBe('ApplyMaterialization');
    expect(error.message).toContain(
      'Check that the Feast registry server is running and that its URL is right.',
    );
  });

  it('CANCELED by the server (no caller abort) is an ApiError carrying the code', async () => {
    answer = Code.Canceled;
    const error = await failureOf(() => new RemoteRegistrySource(target, 'p').load());
    expect(error.constructor).toBe(ApiError);
    expect((error as ApiError).grpcCode).toBe('CANCELED');
    expect((error as ApiError).status).toBe(499);
  });

  it('a refused connection is a ConnectionError with the advice to check the server', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const error = await failureOf(() => new RemoteRegistrySource(`127.0.0.1:${port}`, 'p').load());
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect((error as ConnectionError).service).toBe('feast-registry');
    expect(error.message).toContain(
      `Could not reach the Feast registry server for ListEntities http://127.0.0.1:${port}`,
    );
    expect(error.message).toContain('Check that the Feast registry server is running');
  });

  it('CANCELED after the caller aborted is an AbortError', () => {
    const controller = new AbortController();
    controller.abort(new Error('user left'));
    const error = registryCallError(new ConnectError('canceled', Code.Canceled), {
      rpc: 'ListEntities',
      url: 'http://127.0.0.1:6570',
      timeoutMs: 1000,
      signal: controller.signal,
    });
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as AbortError).reason).toBe(controller.signal.reason);
    expect(error.message).toBe(
      'ListEntities http://127.0.0.1:6570 to the Feast registry server was aborted by the caller.',
    );
  });
});
