// Failure paths of streamed transfers, against a local server that fails on purpose (the real MLflow cannot
// be made to): 5xx retried for sources that can be read again and never for a one-shot stream; downloads
// retried on 5xx; a body shorter than announced is an error that keeps the partial file, never a success.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, InternalServerError } from '@mlops/core';
import { MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let plan: Array<(request: IncomingMessage, response: ServerResponse, body: number) => void> = [];
const calls: string[] = [];
const server = createServer(async (request, response) => {
  let body = 0;
  for await (const chunk of request) body += (chunk as Buffer).byteLength;
  calls.push(`${request.method} ${request.url} ${body}`);
  if (request.url?.includes('/artifacts?path=')) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
    return;
  }
  const next = plan.shift();
  if (next) next(request, response, body);
  else {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '5' });
    response.end('hello');
  }
});
const fail503 = (_q: IncomingMessage, response: ServerResponse) => {
  response.writeHead(503, { 'content-type': 'text/plain' });
  response.end('busy');
};
let client: MlflowClient;
const target = { artifactUri: 'mlflow-artifacts:/9/r/artifacts' };
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  client = new MlflowClient({
    trackingUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxRetries: 2,
  });
});
afterAll(() => server.close());
beforeEach(() => {
  plan = [];
  calls.length = 0;
});
const tmp = () => mkdtemp(join(tmpdir(), 'mm-fail-'));

describe('uploads', () => {
  it('a 503 is retried for bytes, and progress is not counted twice', async () => {
    plan = [fail503];
    const progress: number[] = [];
    await client.logArtifact(target, new Uint8Array(10), {
      fileName: 'x.bin',
      onProgress: (p) => progress.push(p.bytesDone),
    });
    expect(calls).toEqual([
      'PUT /api/2.0/mlflow-artifacts/artifacts/9/r/artifacts/x.bin 10',
      'PUT /api/2.0/mlflow-artifacts/artifacts/9/r/artifacts/x.bin 10',
    ]);
    expect(progress.at(-1)).toBe(10);
  });

  it('a one-shot stream is never retried: the 503 is the answer', async () => {
    plan = [fail503];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(3));
        c.close();
      },
    });
    const error = await client.logArtifact(target, stream, { fileName: 's.bin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(503);
    expect(calls).toHaveLength(1);
  });

  it('retries stop after maxRetries', async () => {
    plan = [fail503, fail503, fail503, fail503];
    await expect(client.logText(target, 'x', 'y.txt')).rejects.toBeInstanceOf(InternalServerError);
    expect(calls).toHaveLength(3);
  });
});

describe('downloads', () => {
  it('a 503 is retried', async () => {
    plan = [fail503];
    const path = await client.downloadArtifacts(target, 'f.txt', { dstPath: await tmp() });
    expect(await readFile(path, 'utf8')).toBe('hello');
    expect(calls.filter((c) => c.startsWith('GET /api/2.0/mlflow-artifacts/artifacts/'))).toHaveLength(2);
  });

  it('a body shorter than its Content-Length is an error, never a file', async () => {
    const short = (_q: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100' });
      response.end('only ten b');
    };
    // No ETag: nothing to resume from safely, so the cut body fails the call.
    plan = [short, short, short, short];
    const dst = await tmp();
    // The server stalls after ten bytes: the idle deadline (attemptTimeoutMs) ends it, it does not hang.
    const impatient = new MlflowClient({
      trackingUri: client.config.trackingUri,
      maxRetries: 1,
      attemptTimeoutMs: 300,
    });
    const error = await impatient
      .downloadArtifacts(target, 'g.bin', { dstPath: dst })
      .catch((e: unknown) => e);
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect(String((error as ConnectionError).cause)).toContain('no data from');
    expect(existsSync(join(dst, 'g.bin'))).toBe(false);
  });
});
