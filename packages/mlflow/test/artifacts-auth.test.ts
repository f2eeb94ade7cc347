// Streamed transfers leave the core pipeline (it buffers request bodies), so they carry the client's
// credentials themselves: checked here against a local server that wants basic auth, as MLflow's basic-auth
// app does, and that the credentials never reach an error message.
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationError } from '@mlops/core';
import { MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const seen: Array<{ method: string; url: string; authorization: string | undefined; body: number }> = [];
const expected = `Basic ${Buffer.from('ada:s3cret-pw').toString('base64')}`;
const server = createServer(async (request: IncomingMessage, response) => {
  let body = 0;
  for await (const chunk of request) body += (chunk as Buffer).byteLength;
  seen.push({
    method: request.method ?? '',
    url: request.url ?? '',
    authorization: request.headers.authorization,
    body,
  });
  if (request.headers.authorization !== expected) {
    response.writeHead(401, { 'www-authenticate': 'Basic realm="mlflow"', 'content-type': 'text/plain' });
    response.end('You are not authenticated. Please see the documentation for details.');
    return;
  }
  if (request.method === 'PUT' || request.url?.includes('/artifacts?path=')) {
    // An upload's answer, or a listing (of a file: nothing, as MLflow answers).
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
    return;
  }
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '5' });
  response.end('hello');
});
let base = '';
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const uri = 'mlflow-artifacts:/1/run/artifacts';

describe('credentials on streamed transfers', () => {
  it('options.username/password go on uploads and downloads', async () => {
    const client = new MlflowClient({
      trackingUri: `http://${base}`,
      username: 'ada',
      password: 's3cret-pw',
    });
    await client.logText({ artifactUri: uri }, 'hello', 'a/b.txt');
    const path = await client.downloadArtifacts({ artifactUri: uri }, 'a/b.txt', {
      dstPath: await mkdtemp(join(tmpdir(), 'mm-auth-')),
    });
    expect(await readFile(path, 'utf8')).toBe('hello');
    expect(seen.slice(-3).map((s) => [s.method, s.url, s.authorization])).toEqual([
      ['PUT', '/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/a/b.txt', expected],
      ['GET', '/api/2.0/mlflow-artifacts/artifacts?path=1%2Frun%2Fartifacts%2Fa%2Fb.txt', expected],
      ['GET', '/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/a/b.txt', expected],
    ]);
    expect(seen.at(-3)?.body).toBe(5);
  });

  it('credentials written into the tracking URI are used, and never shown in errors', async () => {
    const client = new MlflowClient({ trackingUri: `http://ada:s3cret-pw@${base}` });
    await client.logText({ artifactUri: uri }, 'hello', 'c.txt');
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', authorization: expected });

    const wrong = new MlflowClient({ trackingUri: `http://ada:wrong-pw@${base}` });
    const error = await wrong.logText({ artifactUri: uri }, 'hello', 'c.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(JSON.stringify(error)).not.toContain('wrong-pw');
    expect((error as AuthenticationError).message).not.toContain('wrong-pw');
    const download = await wrong
      .downloadArtifacts({ artifactUri: uri }, 'c.txt', {
        dstPath: await mkdtemp(join(tmpdir(), 'mm-auth-')),
      })
      .catch((e: unknown) => e);
    expect(download).toBeInstanceOf(AuthenticationError);
    expect((download as AuthenticationError).message).not.toContain('wrong-pw');
  });
});
