// Answers of another shape than MLflow's (found by fuzz/clients.test.ts): a DecodeError naming what was read,
// never a TypeError from deep inside the reading, nor a page token that is not text sent back as one.
import { DecodeError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { ArtifactPathError, MlflowClient, parseMLmodel } from '../src/index';

function answering(body: string): MlflowClient {
  return new MlflowClient({
    trackingUri: 'http://mlflow.test',
    maxRetries: 0,
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('hostile MLflow answers', () => {
  it.each([
    ['metrics that are not a list', '{"run":{"info":{"run_id":"r"},"data":{"metrics":5}}}', 'MLflow run'],
    [
      'aliases that are an object',
      '{"model_version":{"name":"m","version":"1","aliases":{}}}',
      'MLflow model version',
    ],
  ])('%s is a DecodeError', async (_what, body, what) => {
    const client = answering(body);
    const error = await rejection(
      what === 'MLflow run' ? client.getRun('r') : client.getModelVersion('m', 1),
    );
    expect(DecodeError.isInstance(error) && error.what).toBe(what);
    expect(error.message).toContain('unexpected shape');
  });

  it('a next_page_token that is not text is a DecodeError, not a token sent back', async () => {
    const error = await rejection(
      answering('{"metrics":[],"next_page_token":{"page":2}}').getMetricHistory('r', 'loss').toArray(),
    );
    expect(DecodeError.isInstance(error)).toBe(true);
    expect(error.message).toContain('next_page_token');
  });

  it('signature params that are not JSON, or not objects, are a DecodeError', () => {
    const mlmodel = (params: string) => `flavors: {}\nsignature:\n  inputs: '[]'\n  params: '${params}'\n`;
    for (const params of ['{[', '[null]', '[3]']) {
      let error: unknown;
      try {
        parseMLmodel(mlmodel(params));
      } catch (e) {
        error = e;
      }
      expect(DecodeError.isInstance(error)).toBe(true);
    }
    expect(parseMLmodel(mlmodel('[{"name": "k", "type": "long", "default": 3}]')).signature?.params).toEqual([
      { name: 'k', type: 'long', default: 3, shape: null },
    ]);
  });
});

describe('MLmodel YAML warnings', () => {
  it('a hostile MLmodel raises no process warnings (unresolved tags, unknown directives)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 3; i++) {
        parseMLmodel('%FOO bar\n---\nartifact_path: !evil model\nflavors: !other {}\n');
      }
      // process warnings are emitted on the next tick
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});

describe('artifact URIs the server names', () => {
  /** A tracking server whose run lives at `artifactUri`, recording every URL asked for. */
  function serving(artifactUri: string, options: { allowedArtifactHosts?: string[] } = {}) {
    const urls: string[] = [];
    const client = new MlflowClient({
      trackingUri: 'http://mlflow.test:5000',
      username: 'u',
      password: 'artifact-host-test-pw',
      maxRetries: 0,
      ...options,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        urls.push(request.url);
        const body = request.url.includes('/runs/get')
          ? { run: { info: { run_id: 'r', artifact_uri: artifactUri } } }
          : { files: [{ path: 'model', is_dir: true }] };
        return Response.json(body);
      },
    });
    return { client, urls };
  }

  it.each([
    'mlflow-artifacts://evil.example:5000/1/r/artifacts',
    'mlflow-artifacts://mlflow.test:5001/1/r/artifacts',
    'mlflow-artifacts://user@evil.example/1/r/artifacts',
    's3://bucket/1/r/artifacts',
    'file:///etc',
    'http://evil.example/artifacts',
  ])('%s is refused, and nothing is asked of another host', async (uri) => {
    const { client, urls } = serving(uri);
    const error = await rejection(client.listArtifacts('r'));
    expect(ArtifactPathError.isInstance(error)).toBe(true);
    expect(urls.every((u) => u.startsWith('http://mlflow.test:5000/'))).toBe(true);
  });

  it('the tracking server itself, or a host the caller allowed, is followed', async () => {
    const own = serving('mlflow-artifacts://mlflow.test:5000/1/r/artifacts');
    expect((await own.client.listArtifacts('r')).map((f) => f.path)).toEqual(['model']);
    const allowed = serving('mlflow-artifacts://store.example:5000/1/r/artifacts', {
      allowedArtifactHosts: ['store.example:5000'],
    });
    await allowed.client.listArtifacts('r');
    expect(allowed.urls.at(-1)).toMatch(
      /^http:\/\/store\.example:5000\/api\/2\.0\/mlflow-artifacts\/artifacts\?path=1%2Fr%2Fartifacts/,
    );
  });
});

describe('an artifact tree without end', () => {
  it('a server listing a directory inside itself is refused after 64 levels, not walked forever', async () => {
    let listings = 0;
    const client = new MlflowClient({
      trackingUri: 'http://mlflow.test',
      maxRetries: 0,
      fetch: async (input, init) => {
        const url = new URL(new Request(input, init).url);
        if (url.pathname.endsWith('/runs/get'))
          return Response.json({
            run: { info: { run_id: 'r', artifact_uri: 'mlflow-artifacts:/1/r/artifacts' } },
          });
        listings++;
        return Response.json({ files: [{ path: 'again', is_dir: true }] });
      },
    });
    const error = await rejection(client.listArtifacts('r', '', { recursive: true }));
    expect(ArtifactPathError.isInstance(error)).toBe(true);
    expect(error.message).toContain('deeper than 64 levels');
    expect(listings).toBe(65);
  });
});

describe('a listing naming one file twice', () => {
  it('is an ArtifactPathError, not two downloads racing into the same file', async () => {
    const client = new MlflowClient({
      trackingUri: 'http://mlflow.test',
      maxRetries: 0,
      fetch: async (input, init) => {
        const url = new URL(new Request(input, init).url);
        if (url.pathname.endsWith('/runs/get'))
          return Response.json({
            run: { info: { run_id: 'r', artifact_uri: 'mlflow-artifacts:/1/r/artifacts' } },
          });
        return Response.json({
          files: [
            { path: 'model.pkl', file_size: 3 },
            { path: './model.pkl', file_size: 3 },
          ],
        });
      },
    });
    const error = await rejection(client.listArtifacts('r'));
    expect(ArtifactPathError.isInstance(error)).toBe(true);
    expect(error.message).toContain('twice');
  });
});
