// The contract of openapi/mlflow.json: calls its operations on the real, pinned MLflow server of the
// platform and validates every answer against the spec's response schema (ajv). The spec's message
// schemas are closed (additionalProperties: false), so a field the server sends and the spec lacks fails.
import { readFileSync } from 'node:fs';
import { createHttpClient } from '@mlops/core';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { readPins } from '../../../scripts/pins.mjs';
import type { paths } from '../src/generated/mlflow';

type Operation = {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
const spec = JSON.parse(readFileSync(new URL('../../../openapi/mlflow.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: unknown;
};
const pins = readPins();
const baseUrl = `http://127.0.0.1:${pins.MLFLOW_PORT}`;
const mlflow = createHttpClient<paths>({ service: 'mlflow', baseUrl, retry: false });

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'mlflow', components: spec.components });
const validators = new Map<string, ValidateFunction>();
const called = new Set<string>();

function operation(path: string, method: string): Operation {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`openapi/mlflow.json has no ${method.toUpperCase()} ${path}`);
  return op;
}

/** Records the operation as called; for a JSON answer, the spec's complaints about it (none when valid). */
function check(path: string, method: string, body?: unknown): string[] {
  const op = operation(path, method);
  called.add(op.operationId);
  const schema = op.responses['200']?.content?.['application/json']?.schema;
  if (schema === undefined) return [];
  let validate = validators.get(op.operationId);
  if (!validate) {
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"mlflow#/components/');
    validate = ajv.compile(JSON.parse(text));
    validators.set(op.operationId, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The media type of a non-JSON answer is one the spec declares for it (or the spec says any). */
function mediaOf(path: string, method: string, response: Response): boolean {
  const declared = Object.keys(operation(path, method).responses['200']?.content ?? {});
  const media = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  return declared.includes(media) || declared.includes('*/*');
}

const unique = (what: string) => `contract-${what}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

// Checked before every test (once, memoized), so each one fails, not skips, without a server.
let reachable: Promise<void> | undefined;
beforeEach(async () => {
  reachable ??= fetch(`${baseUrl}/health`).then(
    () => undefined,
    (error: unknown) => {
      throw new Error(
        `MLflow is not running at ${baseUrl}: start it with \`pnpm platform up mlflow\` (${String(error)})`,
      );
    },
  );
  await reachable;
});

describe('hand-added routes', () => {
  it('/health answers OK and /version the pinned version, as text', async () => {
    const health = await mlflow.fetch('/health');
    expect(check('/health', 'get')).toEqual([]);
    expect(mediaOf('/health', 'get', health)).toBe(true);
    expect(await health.text()).toBe('OK');
    const version = await mlflow.fetch('/version');
    expect(check('/version', 'get')).toEqual([]);
    expect(mediaOf('/version', 'get', version)).toBe(true);
    expect(await version.text()).toBe(pins.MLFLOW_VERSION);
  });

  it('/api/3.0/mlflow/server-info answers a JSON object', async () => {
    const info = await mlflow.get('/api/3.0/mlflow/server-info');
    expect(check('/api/3.0/mlflow/server-info', 'get', info)).toEqual([]);
  });
});

describe('experiments', () => {
  it('create, get, get-by-name, search (GET and POST), tags, update, delete, restore', async () => {
    const name = unique('exp');
    const created = await mlflow.post('/api/2.0/mlflow/experiments/create', {
      body: { name, tags: [{ key: 'team', value: 'mlops' }] },
    });
    expect(check('/api/2.0/mlflow/experiments/create', 'post', created)).toEqual([]);
    const id = created.experiment_id!;

    const got = await mlflow.get('/api/2.0/mlflow/experiments/get', {
      params: { query: { experiment_id: id } },
    });
    expect(check('/api/2.0/mlflow/experiments/get', 'get', got)).toEqual([]);
    expect(got.experiment).toMatchObject({ name, lifecycle_stage: 'active' });
    // int64 timestamps arrive as JSON numbers.
    expect(typeof got.experiment?.creation_time).toBe('number');

    const byName = await mlflow.get('/api/2.0/mlflow/experiments/get-by-name', {
      params: { query: { experiment_name: name } },
    });
    expect(check('/api/2.0/mlflow/experiments/get-by-name', 'get', byName)).toEqual([]);
    expect(byName.experiment?.experiment_id).toBe(id);

    const searchedGet = await mlflow.get('/api/2.0/mlflow/experiments/search', {
      params: {
        query: { filter: `name = '${name}'`, max_results: 10, order_by: ['name ASC', 'creation_time DESC'] },
      },
    });
    expect(check('/api/2.0/mlflow/experiments/search', 'get', searchedGet)).toEqual([]);
    expect(searchedGet.experiments?.map((e) => e.experiment_id)).toEqual([id]);

    const tagged = await mlflow.post('/api/2.0/mlflow/experiments/set-experiment-tag', {
      body: { experiment_id: id, key: 'stage', value: 'contract' },
    });
    expect(check('/api/2.0/mlflow/experiments/set-experiment-tag', 'post', tagged)).toEqual([]);
    const untagged = await mlflow.post('/api/2.0/mlflow/experiments/delete-experiment-tag', {
      body: { experiment_id: id, key: 'team' },
    });
    expect(check('/api/2.0/mlflow/experiments/delete-experiment-tag', 'post', untagged)).toEqual([]);

    const renamed = `${name}-renamed`;
    const updated = await mlflow.post('/api/2.0/mlflow/experiments/update', {
      body: { experiment_id: id, new_name: renamed },
    });
    expect(check('/api/2.0/mlflow/experiments/update', 'post', updated)).toEqual([]);

    const searchedPost = await mlflow.post('/api/2.0/mlflow/experiments/search', {
      body: { filter: `name = '${renamed}'`, max_results: 10 },
    });
    expect(check('/api/2.0/mlflow/experiments/search', 'post', searchedPost)).toEqual([]);
    expect(searchedPost.experiments?.[0]?.tags).toEqual([{ key: 'stage', value: 'contract' }]);

    const deleted = await mlflow.post('/api/2.0/mlflow/experiments/delete', { body: { experiment_id: id } });
    expect(check('/api/2.0/mlflow/experiments/delete', 'post', deleted)).toEqual([]);
    const restored = await mlflow.post('/api/2.0/mlflow/experiments/restore', {
      body: { experiment_id: id },
    });
    expect(check('/api/2.0/mlflow/experiments/restore', 'post', restored)).toEqual([]);
    const again = await mlflow.get('/api/2.0/mlflow/experiments/get', {
      params: { query: { experiment_id: id } },
    });
    expect(again.experiment?.lifecycle_stage).toBe('active');
  });

  it('an empty search answers {}, and an unknown experiment the error body with 404', async () => {
    const empty = await mlflow.post('/api/2.0/mlflow/experiments/search', {
      body: { filter: `name = '${unique('none')}'`, max_results: 1 },
    });
    expect(empty).toEqual({});
    // max_results has no default here (the spec makes it required): without it the server reads 0.
    const noLimit = await fetch(`${baseUrl}/api/2.0/mlflow/experiments/search`);
    expect(noLimit.status).toBe(400);
    expect(await noLimit.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    const error = await mlflow
      .get('/api/2.0/mlflow/experiments/get', { params: { query: { experiment_id: '987654321' } } })
      .then(
        () => undefined,
        (e: unknown) => e as { status?: number; body?: unknown },
      );
    expect(error?.status).toBe(404);
    expect(error?.body).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    // The error body is the spec's default response.
    const errorSchema = ajv.getSchema('mlflow#/components/schemas/ErrorResponse')!;
    expect(errorSchema(error?.body), JSON.stringify(errorSchema.errors)).toBe(true);
  });
});

async function newExperiment(): Promise<string> {
  const created = await mlflow.post('/api/2.0/mlflow/experiments/create', { body: { name: unique('exp') } });
  return created.experiment_id!;
}

async function newRun(experimentId: string): Promise<string> {
  const created = await mlflow.post('/api/2.0/mlflow/runs/create', {
    body: { experiment_id: experimentId, start_time: Date.now(), run_name: unique('run') },
  });
  expect(check('/api/2.0/mlflow/runs/create', 'post', created)).toEqual([]);
  return created.run!.info!.run_id!;
}

describe('runs', () => {
  it('create, log (metric with NaN and ±Infinity, param, tag, batch, inputs), get, search, update, delete, restore', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const t = Date.now();

    for (const [step, value] of [
      [0, 0.5],
      [1, 'NaN'],
      [2, 'Infinity'],
      [3, '-Infinity'],
    ] as const) {
      const logged = await mlflow.post('/api/2.0/mlflow/runs/log-metric', {
        body: { run_id: runId, key: 'loss', value, timestamp: t + step, step },
      });
      expect(check('/api/2.0/mlflow/runs/log-metric', 'post', logged)).toEqual([]);
    }
    const param = await mlflow.post('/api/2.0/mlflow/runs/log-parameter', {
      body: { run_id: runId, key: 'lr', value: '0.01' },
    });
    expect(check('/api/2.0/mlflow/runs/log-parameter', 'post', param)).toEqual([]);
    const tag = await mlflow.post('/api/2.0/mlflow/runs/set-tag', {
      body: { run_id: runId, key: 'k', value: 'v' },
    });
    expect(check('/api/2.0/mlflow/runs/set-tag', 'post', tag)).toEqual([]);
    const untag = await mlflow.post('/api/2.0/mlflow/runs/delete-tag', { body: { run_id: runId, key: 'k' } });
    expect(check('/api/2.0/mlflow/runs/delete-tag', 'post', untag)).toEqual([]);
    const batch = await mlflow.post('/api/2.0/mlflow/runs/log-batch', {
      body: {
        run_id: runId,
        // int64 as a decimal string is accepted in requests.
        metrics: [{ key: 'acc', value: 0.9, timestamp: String(t), step: '7' }],
        params: [{ key: 'depth', value: '3' }],
        tags: [{ key: 'team', value: 'mlops' }],
      },
    });
    expect(check('/api/2.0/mlflow/runs/log-batch', 'post', batch)).toEqual([]);
    const inputs = await mlflow.post('/api/2.0/mlflow/runs/log-inputs', {
      body: {
        run_id: runId,
        datasets: [
          {
            dataset: { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri":"data.csv"}' },
            tags: [{ key: 'mlflow.data.context', value: 'training' }],
          },
        ],
      },
    });
    expect(check('/api/2.0/mlflow/runs/log-inputs', 'post', inputs)).toEqual([]);

    const got = await mlflow.get('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } });
    expect(check('/api/2.0/mlflow/runs/get', 'get', got)).toEqual([]);
    expect(got.run?.data?.params?.toSorted((a, b) => a.key!.localeCompare(b.key!))).toEqual([
      { key: 'depth', value: '3' },
      { key: 'lr', value: '0.01' },
    ]);
    expect(got.run?.inputs?.dataset_inputs?.[0]?.dataset?.name).toBe('train');

    const history = await mlflow.get('/api/2.0/mlflow/metrics/get-history', {
      params: { query: { run_id: runId, metric_key: 'loss' } },
    });
    expect(check('/api/2.0/mlflow/metrics/get-history', 'get', history)).toEqual([]);
    // The SQL store keeps NaN but stores ±Infinity as ±the largest double.
    expect(history.metrics?.map((m) => m.value)).toEqual([0.5, 'NaN', Number.MAX_VALUE, -Number.MAX_VALUE]);
    expect(history.metrics?.map((m) => m.step)).toEqual([0, 1, 2, 3]);

    // The bulk route (ajax-only) is Flask's jsonify: a NaN would come out as a bare NaN token, which is not
    // JSON. Only a finite metric is read through it here.
    const bulk = await mlflow.get('/ajax-api/2.0/mlflow/metrics/get-history-bulk', {
      params: { query: { run_id: [runId], metric_key: 'acc' } },
    });
    expect(check('/ajax-api/2.0/mlflow/metrics/get-history-bulk', 'get', bulk)).toEqual([]);
    expect(bulk.metrics).toEqual([{ key: 'acc', value: 0.9, timestamp: t, step: 7, run_id: runId }]);

    const updated = await mlflow.post('/api/2.0/mlflow/runs/update', {
      body: { run_id: runId, status: 'FINISHED', end_time: Date.now() },
    });
    expect(check('/api/2.0/mlflow/runs/update', 'post', updated)).toEqual([]);
    expect(updated.run_info?.status).toBe('FINISHED');

    const searched = await mlflow.post('/api/2.0/mlflow/runs/search', {
      body: { experiment_ids: [experimentId], filter: "params.lr = '0.01'", max_results: 10 },
    });
    expect(check('/api/2.0/mlflow/runs/search', 'post', searched)).toEqual([]);
    expect(searched.runs?.map((r) => r.info?.run_id)).toEqual([runId]);

    const datasets = await mlflow.post('/ajax-api/2.0/mlflow/experiments/search-datasets', {
      body: { experiment_ids: [experimentId] },
    });
    expect(check('/ajax-api/2.0/mlflow/experiments/search-datasets', 'post', datasets)).toEqual([]);
    expect(datasets.dataset_summaries?.[0]).toMatchObject({ experiment_id: experimentId, name: 'train' });

    const deleted = await mlflow.post('/api/2.0/mlflow/runs/delete', { body: { run_id: runId } });
    expect(check('/api/2.0/mlflow/runs/delete', 'post', deleted)).toEqual([]);
    const restored = await mlflow.post('/api/2.0/mlflow/runs/restore', { body: { run_id: runId } });
    expect(check('/api/2.0/mlflow/runs/restore', 'post', restored)).toEqual([]);
  });

  it('artifacts through the proxy: upload (PUT, raw bytes), list, download, /get-artifact, delete', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const run = await mlflow.get('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } });
    // mlflow-artifacts:/<experiment>/<run>/artifacts → the proxy's path.
    const root = run.run!.info!.artifact_uri!.replace(/^mlflow-artifacts:\//, '');
    const bytes = new Uint8Array([0, 1, 2, 255, 10, 13]);
    const proxy = '/api/2.0/mlflow-artifacts/artifacts/{artifact_path}';

    const put = await mlflow.fetch(`/api/2.0/mlflow-artifacts/artifacts/${root}/dir/data.bin`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(check(proxy, 'put')).toEqual([]);
    expect(await put.text()).toBe('');

    const listed = await mlflow.get('/api/2.0/mlflow/artifacts/list', {
      params: { query: { run_id: runId, path: 'dir' } },
    });
    expect(check('/api/2.0/mlflow/artifacts/list', 'get', listed)).toEqual([]);
    expect(listed.files).toEqual([{ path: 'dir/data.bin', is_dir: false, file_size: bytes.length }]);

    const proxyListed = await mlflow.get('/api/2.0/mlflow-artifacts/artifacts', {
      params: { query: { path: `${root}/dir` } },
    });
    expect(check('/api/2.0/mlflow-artifacts/artifacts', 'get', proxyListed)).toEqual([]);
    expect(proxyListed.files?.map((f) => f.path)).toEqual(['data.bin']);

    const downloaded = await mlflow.fetch(`/api/2.0/mlflow-artifacts/artifacts/${root}/dir/data.bin`);
    check(proxy, 'get');
    expect(new Uint8Array(await downloaded.arrayBuffer())).toEqual(bytes);

    const viaRun = await mlflow.fetch(`/get-artifact?run_id=${runId}&path=dir/data.bin`);
    check('/get-artifact', 'get');
    expect(new Uint8Array(await viaRun.arrayBuffer())).toEqual(bytes);

    const removed = await mlflow.fetch(`/api/2.0/mlflow-artifacts/artifacts/${root}/dir/data.bin`, {
      method: 'DELETE',
    });
    expect(check(proxy, 'delete', await removed.json())).toEqual([]);
    const after = await mlflow.get('/api/2.0/mlflow/artifacts/list', {
      params: { query: { run_id: runId, path: 'dir' } },
    });
    expect(after.files ?? []).toEqual([]);
  });
});

describe('model registry', () => {
  it('registered models and versions: create, get, update, rename, search, tags, aliases, stages, download URI', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const name = unique('model');

    const created = await mlflow.post('/api/2.0/mlflow/registered-models/create', {
      body: { name, description: 'first', tags: [{ key: 'owner', value: 'contract' }] },
    });
    expect(check('/api/2.0/mlflow/registered-models/create', 'post', created)).toEqual([]);

    const version = await mlflow.post('/api/2.0/mlflow/model-versions/create', {
      body: { name, source: `runs:/${runId}/model`, run_id: runId },
    });
    expect(check('/api/2.0/mlflow/model-versions/create', 'post', version)).toEqual([]);
    expect(version.model_version?.version).toBe('1');

    const got = await mlflow.get('/api/2.0/mlflow/registered-models/get', { params: { query: { name } } });
    expect(check('/api/2.0/mlflow/registered-models/get', 'get', got)).toEqual([]);
    const updated = await mlflow.patch('/api/2.0/mlflow/registered-models/update', {
      body: { name, description: 'second' },
    });
    expect(check('/api/2.0/mlflow/registered-models/update', 'patch', updated)).toEqual([]);
    expect(updated.registered_model?.description).toBe('second');

    const mvGot = await mlflow.get('/api/2.0/mlflow/model-versions/get', {
      params: { query: { name, version: '1' } },
    });
    expect(check('/api/2.0/mlflow/model-versions/get', 'get', mvGot)).toEqual([]);
    const mvUpdated = await mlflow.patch('/api/2.0/mlflow/model-versions/update', {
      body: { name, version: '1', description: 'v1' },
    });
    expect(check('/api/2.0/mlflow/model-versions/update', 'patch', mvUpdated)).toEqual([]);

    const setTag = await mlflow.post('/api/2.0/mlflow/registered-models/set-tag', {
      body: { name, key: 'k', value: 'v' },
    });
    expect(check('/api/2.0/mlflow/registered-models/set-tag', 'post', setTag)).toEqual([]);
    const delTag = await mlflow.delete('/api/2.0/mlflow/registered-models/delete-tag', {
      body: { name, key: 'k' },
    });
    expect(check('/api/2.0/mlflow/registered-models/delete-tag', 'delete', delTag)).toEqual([]);
    const mvSetTag = await mlflow.post('/api/2.0/mlflow/model-versions/set-tag', {
      body: { name, version: '1', key: 'k', value: 'v' },
    });
    expect(check('/api/2.0/mlflow/model-versions/set-tag', 'post', mvSetTag)).toEqual([]);
    const mvDelTag = await mlflow.delete('/api/2.0/mlflow/model-versions/delete-tag', {
      body: { name, version: '1', key: 'k' },
    });
    expect(check('/api/2.0/mlflow/model-versions/delete-tag', 'delete', mvDelTag)).toEqual([]);

    const alias = await mlflow.post('/api/2.0/mlflow/registered-models/alias', {
      body: { name, alias: 'champion', version: '1' },
    });
    expect(check('/api/2.0/mlflow/registered-models/alias', 'post', alias)).toEqual([]);
    const byAlias = await mlflow.get('/api/2.0/mlflow/registered-models/alias', {
      params: { query: { name, alias: 'champion' } },
    });
    expect(check('/api/2.0/mlflow/registered-models/alias', 'get', byAlias)).toEqual([]);
    expect(byAlias.model_version).toMatchObject({ version: '1', aliases: ['champion'] });

    const uri = await mlflow.get('/api/2.0/mlflow/model-versions/get-download-uri', {
      params: { query: { name, version: '1' } },
    });
    expect(check('/api/2.0/mlflow/model-versions/get-download-uri', 'get', uri)).toEqual([]);
    expect(uri.artifact_uri).toMatch(/\/model$/);

    const staged = await mlflow.post('/api/2.0/mlflow/model-versions/transition-stage', {
      body: { name, version: '1', stage: 'Staging', archive_existing_versions: false },
    });
    expect(check('/api/2.0/mlflow/model-versions/transition-stage', 'post', staged)).toEqual([]);
    expect(staged.model_version?.current_stage).toBe('Staging');
    const latestGet = await mlflow.get('/api/2.0/mlflow/registered-models/get-latest-versions', {
      params: { query: { name, stages: ['Staging', 'Production'] } },
    });
    expect(check('/api/2.0/mlflow/registered-models/get-latest-versions', 'get', latestGet)).toEqual([]);
    expect(latestGet.model_versions?.map((v) => v.version)).toEqual(['1']);
    const latestPost = await mlflow.post('/api/2.0/mlflow/registered-models/get-latest-versions', {
      body: { name, stages: ['None'] },
    });
    expect(check('/api/2.0/mlflow/registered-models/get-latest-versions', 'post', latestPost)).toEqual([]);

    const searched = await mlflow.get('/api/2.0/mlflow/registered-models/search', {
      params: { query: { filter: `name = '${name}'`, max_results: 10 } },
    });
    expect(check('/api/2.0/mlflow/registered-models/search', 'get', searched)).toEqual([]);
    expect(searched.registered_models?.[0]?.aliases).toEqual([{ alias: 'champion', version: '1' }]);
    const mvSearched = await mlflow.get('/api/2.0/mlflow/model-versions/search', {
      params: { query: { filter: `name = '${name}'`, max_results: 10 } },
    });
    expect(check('/api/2.0/mlflow/model-versions/search', 'get', mvSearched)).toEqual([]);
    expect(mvSearched.model_versions?.length).toBe(1);

    const unalias = await mlflow.delete('/api/2.0/mlflow/registered-models/alias', {
      body: { name, alias: 'champion' },
    });
    expect(check('/api/2.0/mlflow/registered-models/alias', 'delete', unalias)).toEqual([]);

    const renamed = await mlflow.post('/api/2.0/mlflow/registered-models/rename', {
      body: { name, new_name: `${name}-renamed` },
    });
    expect(check('/api/2.0/mlflow/registered-models/rename', 'post', renamed)).toEqual([]);
    const mvDeleted = await mlflow.delete('/api/2.0/mlflow/model-versions/delete', {
      body: { name: `${name}-renamed`, version: '1' },
    });
    expect(check('/api/2.0/mlflow/model-versions/delete', 'delete', mvDeleted)).toEqual([]);
    const deleted = await mlflow.delete('/api/2.0/mlflow/registered-models/delete', {
      body: { name: `${name}-renamed` },
    });
    expect(check('/api/2.0/mlflow/registered-models/delete', 'delete', deleted)).toEqual([]);
  });
});

describe('logged models', () => {
  it('create, get, log params, set tags, search, finalize, delete', async () => {
    const experimentId = await newExperiment();
    const name = unique('lm');
    const created = await mlflow.post('/api/2.0/mlflow/logged-models', {
      body: {
        experiment_id: experimentId,
        name,
        model_type: 'sklearn',
        params: [{ key: 'alpha', value: '1' }],
      },
    });
    expect(check('/api/2.0/mlflow/logged-models', 'post', created)).toEqual([]);
    const modelId = created.model!.info!.model_id!;
    expect(created.model?.info?.status).toBe('LOGGED_MODEL_PENDING');
    const path = { model_id: modelId };

    const got = await mlflow.get('/api/2.0/mlflow/logged-models/{model_id}', { params: { path } });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}', 'get', got)).toEqual([]);
    // model_id in the path and, as the handler requires, in the body too.
    const params = await mlflow.post('/api/2.0/mlflow/logged-models/{model_id}/params', {
      params: { path },
      body: { model_id: modelId, params: [{ key: 'beta', value: '2' }] },
    });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}/params', 'post', params)).toEqual([]);
    const tags = await mlflow.patch('/api/2.0/mlflow/logged-models/{model_id}/tags', {
      params: { path },
      body: { tags: [{ key: 'k', value: 'v' }] },
    });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}/tags', 'patch', tags)).toEqual([]);
    const untag = await mlflow.delete('/api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}', {
      params: { path: { model_id: modelId, tag_key: 'k' } },
    });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}', 'delete', untag)).toEqual([]);

    const finalized = await mlflow.patch('/api/2.0/mlflow/logged-models/{model_id}', {
      params: { path },
      body: { model_id: modelId, status: 'LOGGED_MODEL_READY' },
    });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}', 'patch', finalized)).toEqual([]);
    expect(finalized.model?.info?.status).toBe('LOGGED_MODEL_READY');

    const searched = await mlflow.post('/api/2.0/mlflow/logged-models/search', {
      body: { experiment_ids: [experimentId], filter: `name = '${name}'`, max_results: 10 },
    });
    expect(check('/api/2.0/mlflow/logged-models/search', 'post', searched)).toEqual([]);
    expect(searched.models?.map((m) => m.info?.model_id)).toEqual([modelId]);
    expect(searched.models?.[0]?.data?.params).toEqual([
      { key: 'alpha', value: '1' },
      { key: 'beta', value: '2' },
    ]);

    const deleted = await mlflow.delete('/api/2.0/mlflow/logged-models/{model_id}', { params: { path } });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}', 'delete', deleted)).toEqual([]);
  });
});

describe('artifacts of model versions and logged models', () => {
  const upload = async (proxyPath: string, text: string) => {
    await mlflow.fetch(`/api/2.0/mlflow-artifacts/artifacts/${proxyPath}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: text,
    });
  };

  it('/model-versions/get-artifact serves a file of the version source', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const run = await mlflow.get('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } });
    const root = run.run!.info!.artifact_uri!.replace(/^mlflow-artifacts:\//, '');
    await upload(`${root}/model/MLmodel`, 'flavors: {}\n');
    const name = unique('mv-art');
    await mlflow.post('/api/2.0/mlflow/registered-models/create', { body: { name } });
    // A runs:/ source makes this route answer 500 on the 3.18 server (it resolves the run's
    // mlflow-artifacts: URI client-side against its own sqlite tracking URI); the artifact URI itself works.
    await mlflow.post('/api/2.0/mlflow/model-versions/create', {
      body: { name, source: `${run.run!.info!.artifact_uri}/model`, run_id: runId },
    });
    const file = await mlflow.fetch(`/model-versions/get-artifact?name=${name}&version=1&path=MLmodel`);
    check('/model-versions/get-artifact', 'get');
    expect(await file.text()).toBe('flavors: {}\n');
  });

  it('a logged model lists its artifacts and serves one through the ajax route', async () => {
    const experimentId = await newExperiment();
    const created = await mlflow.post('/api/2.0/mlflow/logged-models', {
      body: { experiment_id: experimentId, name: unique('lm-art') },
    });
    const info = created.model!.info!;
    await upload(`${info.artifact_uri!.replace(/^mlflow-artifacts:\//, '')}/MLmodel`, 'model_uuid: x\n');
    const path = { model_id: info.model_id! };
    const listed = await mlflow.get('/api/2.0/mlflow/logged-models/{model_id}/artifacts/directories', {
      params: { path },
    });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}/artifacts/directories', 'get', listed)).toEqual(
      [],
    );
    expect(listed.files?.map((f) => f.path)).toEqual(['MLmodel']);
    const file = await mlflow.fetch(
      `/ajax-api/2.0/mlflow/logged-models/${info.model_id}/artifacts/files?artifact_file_path=MLmodel`,
    );
    check('/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files', 'get');
    expect(await file.text()).toBe('model_uuid: x\n');
  });
});

describe('RPCs the open-source server does not implement', () => {
  it('answer 404 with an empty body, as the spec marks them', async () => {
    for (const path of ['/api/2.0/mlflow/unified-traces', '/api/2.0/mlflow/get-online-trace-details']) {
      const op = operation(path, 'get') as Operation & { 'x-mlflow-not-implemented'?: boolean };
      expect(op['x-mlflow-not-implemented']).toBe(true);
      const answer = await fetch(`${baseUrl}${path}`);
      check(path, 'get');
      expect(answer.status).toBe(404);
      expect(await answer.text()).toBe('');
    }
  });
});

describe('webhooks', () => {
  it('create, get, list, update, delete', async () => {
    // The server takes only https URLs of public addresses. Created DISABLED, for an event no test
    // fires, so it is never called.
    const created = await mlflow.post('/api/2.0/mlflow/webhooks', {
      body: {
        name: unique('hook'),
        url: 'https://1.1.1.1/mlops-contract-test',
        events: [{ entity: 'PROMPT', action: 'CREATED' }],
        status: 'DISABLED',
      },
    });
    expect(check('/api/2.0/mlflow/webhooks', 'post', created)).toEqual([]);
    const path = { webhook_id: created.webhook!.webhook_id! };
    expect(created.webhook?.status).toBe('DISABLED');
    const got = await mlflow.get('/api/2.0/mlflow/webhooks/{webhook_id}', { params: { path } });
    expect(check('/api/2.0/mlflow/webhooks/{webhook_id}', 'get', got)).toEqual([]);
    const listed = await mlflow.get('/api/2.0/mlflow/webhooks', { params: { query: { max_results: 1000 } } });
    expect(check('/api/2.0/mlflow/webhooks', 'get', listed)).toEqual([]);
    expect(listed.webhooks?.some((w) => w.webhook_id === path.webhook_id)).toBe(true);
    const updated = await mlflow.patch('/api/2.0/mlflow/webhooks/{webhook_id}', {
      params: { path },
      body: { description: 'updated' },
    });
    expect(check('/api/2.0/mlflow/webhooks/{webhook_id}', 'patch', updated)).toEqual([]);
    expect(updated.webhook).toMatchObject({ description: 'updated', status: 'DISABLED' });
    const deleted = await mlflow.delete('/api/2.0/mlflow/webhooks/{webhook_id}', { params: { path } });
    expect(check('/api/2.0/mlflow/webhooks/{webhook_id}', 'delete', deleted)).toEqual([]);
  });
});

describe('coverage', () => {
  it('calls every operation of the spec, or lists it with a reason as not yet covered', () => {
    const all = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const missing = all.filter((id) => !called.has(id) && !(id in notYetCovered));
    expect(missing, 'operations neither called nor listed in notYetCovered').toEqual([]);
    // The list stays honest: nothing listed is called, and nothing listed is absent from the spec.
    expect(Object.keys(notYetCovered).filter((id) => called.has(id))).toEqual([]);
    expect(Object.keys(notYetCovered).filter((id) => !all.includes(id))).toEqual([]);
  });
});

// Why an operation is not called yet. Where the platform's server cannot serve it, its actual answer.
const WORKSPACES =
  'the server runs without workspaces: 503 text/html "Endpoint: /api/3.0/mlflow/workspaces disabled because the server is running without workspaces support"';
const MULTIPART =
  'the local artifact store has no multipart upload: 501 NOT_IMPLEMENTED "Multipart upload is not supported for the current artifact repository"';
const PRESIGNED_PROXY =
  'the local artifact store has no presigned URLs: 501 NOT_IMPLEMENTED "Multipart download is not supported for the current artifact repository"';
const PRESIGNED_RUN =
  'runs store artifacts through the proxy: 400 INVALID_PARAMETER_VALUE "Presigned ... is not supported for proxied artifact storage (artifact URI scheme: mlflow-artifacts)"';
const GENAI =
  "not called yet: the GenAI surface (traces, assessments, evaluation datasets, scorers, gateway, issues, label schemas, review queues, prompt optimization) is outside the SDK's first scope";

/** Operations no test calls yet, each with the reason (the issue wants every one covered eventually). */
const notYetCovered: Record<string, string> = {
  MlflowArtifactsService_abortMultipartUpload: MULTIPART, // POST /api/2.0/mlflow-artifacts/mpu/abort/{artifact_path}
  MlflowArtifactsService_completeMultipartUpload: MULTIPART, // POST /api/2.0/mlflow-artifacts/mpu/complete/{artifact_path}
  MlflowArtifactsService_createMultipartUpload: MULTIPART, // POST /api/2.0/mlflow-artifacts/mpu/create/{artifact_path}
  MlflowArtifactsService_getPresignedDownloadUrl: PRESIGNED_PROXY, // GET /api/2.0/mlflow-artifacts/presigned/{artifact_path}
  MlflowService_createPresignedDownloadUrl: PRESIGNED_RUN, // POST /api/2.0/mlflow/artifacts/presigned-download-url
  MlflowService_createPresignedUploadUrl: PRESIGNED_RUN, // POST /api/2.0/mlflow/artifacts/presigned-upload-url
  MlflowService_getMetricHistoryBulkInterval:
    'not called yet: sampled metric history (UI charts); the SDK reads full histories', // GET /api/2.0/mlflow/metrics/get-history-bulk-interval
  MlflowService_logModel:
    'not called yet: MLflow 2 model logging (the mlflow.log-model run tag); MLflow 3 logs models as logged models', // POST /api/2.0/mlflow/runs/log-model
  MlflowService_logOutputs: 'not called yet: run outputs (logged models as run outputs)', // POST /api/2.0/mlflow/runs/outputs
  MlflowService_searchTraces: GENAI, // GET /api/2.0/mlflow/traces
  MlflowService_startTrace: GENAI, // POST /api/2.0/mlflow/traces
  MlflowService_deleteTraces: GENAI, // POST /api/2.0/mlflow/traces/delete-traces
  MlflowService_linkPromptsToTrace: GENAI, // POST /api/2.0/mlflow/traces/link-prompts
  MlflowService_linkTracesToRun: GENAI, // POST /api/2.0/mlflow/traces/link-to-run
  MlflowService_endTrace: GENAI, // PATCH /api/2.0/mlflow/traces/{request_id}
  MlflowService_getTraceInfo: GENAI, // GET /api/2.0/mlflow/traces/{request_id}/info
  MlflowService_deleteTraceTag: GENAI, // DELETE /api/2.0/mlflow/traces/{request_id}/tags
  MlflowService_setTraceTag: GENAI, // PATCH /api/2.0/mlflow/traces/{request_id}/tags
  WebhookService_testWebhook:
    'not called: the server would POST to the webhook URL, which must be a public https address', // POST /api/2.0/mlflow/webhooks/{webhook_id}/test
  MlflowService_createDataset: GENAI, // POST /api/3.0/mlflow/datasets/create
  MlflowService_searchEvaluationDatasets_get: GENAI, // GET /api/3.0/mlflow/datasets/search
  MlflowService_searchEvaluationDatasets_post: GENAI, // POST /api/3.0/mlflow/datasets/search
  MlflowService_deleteDataset: GENAI, // DELETE /api/3.0/mlflow/datasets/{dataset_id}
  MlflowService_getDataset: GENAI, // GET /api/3.0/mlflow/datasets/{dataset_id}
  MlflowService_addDatasetToExperiments: GENAI, // POST /api/3.0/mlflow/datasets/{dataset_id}/add-experiments
  MlflowService_getDatasetExperimentIds: GENAI, // GET /api/3.0/mlflow/datasets/{dataset_id}/experiment-ids
  MlflowService_deleteDatasetRecords: GENAI, // DELETE /api/3.0/mlflow/datasets/{dataset_id}/records
  MlflowService_getDatasetRecords: GENAI, // GET /api/3.0/mlflow/datasets/{dataset_id}/records
  MlflowService_upsertDatasetRecords: GENAI, // POST /api/3.0/mlflow/datasets/{dataset_id}/records
  MlflowService_removeDatasetFromExperiments: GENAI, // POST /api/3.0/mlflow/datasets/{dataset_id}/remove-experiments
  MlflowService_setDatasetTags: GENAI, // PATCH /api/3.0/mlflow/datasets/{dataset_id}/tags
  MlflowService_deleteDatasetTag: GENAI, // DELETE /api/3.0/mlflow/datasets/{dataset_id}/tags/{key}
  MlflowService_createBudgetPolicy: GENAI, // POST /api/3.0/mlflow/gateway/budgets/create
  MlflowService_deleteBudgetPolicy: GENAI, // DELETE /api/3.0/mlflow/gateway/budgets/delete
  MlflowService_getBudgetPolicy: GENAI, // GET /api/3.0/mlflow/gateway/budgets/get
  MlflowService_listBudgetPolicies: GENAI, // GET /api/3.0/mlflow/gateway/budgets/list
  MlflowService_updateBudgetPolicy: GENAI, // POST /api/3.0/mlflow/gateway/budgets/update
  MlflowService_listBudgetWindows: GENAI, // GET /api/3.0/mlflow/gateway/budgets/windows
  MlflowService_createEndpointBinding: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/bindings/create
  MlflowService_deleteEndpointBinding: GENAI, // DELETE /api/3.0/mlflow/gateway/endpoints/bindings/delete
  MlflowService_listEndpointBindings: GENAI, // GET /api/3.0/mlflow/gateway/endpoints/bindings/list
  MlflowService_createGatewayEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/create
  MlflowService_deleteGatewayEndpoint: GENAI, // DELETE /api/3.0/mlflow/gateway/endpoints/delete
  MlflowService_deleteGatewayEndpointTag: GENAI, // DELETE /api/3.0/mlflow/gateway/endpoints/delete-tag
  MlflowService_getGatewayEndpoint: GENAI, // GET /api/3.0/mlflow/gateway/endpoints/get
  MlflowService_listGatewayEndpoints: GENAI, // GET /api/3.0/mlflow/gateway/endpoints/list
  MlflowService_attachModelToEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/models/attach
  MlflowService_detachModelFromEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/models/detach
  MlflowService_setGatewayEndpointTag: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/set-tag
  MlflowService_updateGatewayEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/update
  MlflowService_addGuardrailToEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/guardrails/add-to-endpoint
  MlflowService_createGatewayGuardrail: GENAI, // POST /api/3.0/mlflow/gateway/guardrails/create
  MlflowService_deleteGatewayGuardrail: GENAI, // DELETE /api/3.0/mlflow/gateway/guardrails/delete
  MlflowService_getGatewayGuardrail: GENAI, // GET /api/3.0/mlflow/gateway/guardrails/get
  MlflowService_listGatewayGuardrails: GENAI, // GET /api/3.0/mlflow/gateway/guardrails/list
  MlflowService_listEndpointGuardrailConfigs: GENAI, // GET /api/3.0/mlflow/gateway/guardrails/list-for-endpoint
  MlflowService_removeGuardrailFromEndpoint: GENAI, // DELETE /api/3.0/mlflow/gateway/guardrails/remove-from-endpoint
  MlflowService_updateEndpointGuardrailConfig: GENAI, // PATCH /api/3.0/mlflow/gateway/guardrails/update-config
  MlflowService_createGatewayModelDefinition: GENAI, // POST /api/3.0/mlflow/gateway/model-definitions/create
  MlflowService_deleteGatewayModelDefinition: GENAI, // DELETE /api/3.0/mlflow/gateway/model-definitions/delete
  MlflowService_getGatewayModelDefinition: GENAI, // GET /api/3.0/mlflow/gateway/model-definitions/get
  MlflowService_listGatewayModelDefinitions: GENAI, // GET /api/3.0/mlflow/gateway/model-definitions/list
  MlflowService_updateGatewayModelDefinition: GENAI, // POST /api/3.0/mlflow/gateway/model-definitions/update
  MlflowService_createGatewaySecret: GENAI, // POST /api/3.0/mlflow/gateway/secrets/create
  MlflowService_deleteGatewaySecret: GENAI, // DELETE /api/3.0/mlflow/gateway/secrets/delete
  MlflowService_getGatewaySecretInfo: GENAI, // GET /api/3.0/mlflow/gateway/secrets/get
  MlflowService_listGatewaySecretInfos: GENAI, // GET /api/3.0/mlflow/gateway/secrets/list
  MlflowService_updateGatewaySecret: GENAI, // POST /api/3.0/mlflow/gateway/secrets/update
  MlflowService_createIssue: GENAI, // POST /api/3.0/mlflow/issues
  MlflowService_searchIssues: GENAI, // POST /api/3.0/mlflow/issues/search
  MlflowService_getIssue: GENAI, // GET /api/3.0/mlflow/issues/{issue_id}
  MlflowService_updateIssue: GENAI, // PATCH /api/3.0/mlflow/issues/{issue_id}
  MlflowService_createLabelSchema: GENAI, // POST /api/3.0/mlflow/label-schemas/create
  MlflowService_deleteLabelSchema: GENAI, // DELETE /api/3.0/mlflow/label-schemas/delete
  MlflowService_getLabelSchema: GENAI, // GET /api/3.0/mlflow/label-schemas/get
  MlflowService_getLabelSchemaByName: GENAI, // GET /api/3.0/mlflow/label-schemas/get-by-name
  MlflowService_listLabelSchemas: GENAI, // GET /api/3.0/mlflow/label-schemas/list
  MlflowService_updateLabelSchema: GENAI, // PATCH /api/3.0/mlflow/label-schemas/update
  MlflowService_createPromptOptimizationJob: GENAI, // POST /api/3.0/mlflow/prompt-optimization/jobs
  MlflowService_searchPromptOptimizationJobs_get: GENAI, // GET /api/3.0/mlflow/prompt-optimization/jobs/search
  MlflowService_searchPromptOptimizationJobs_post: GENAI, // POST /api/3.0/mlflow/prompt-optimization/jobs/search
  MlflowService_deletePromptOptimizationJob: GENAI, // DELETE /api/3.0/mlflow/prompt-optimization/jobs/{job_id}
  MlflowService_getPromptOptimizationJob: GENAI, // GET /api/3.0/mlflow/prompt-optimization/jobs/{job_id}
  MlflowService_cancelPromptOptimizationJob: GENAI, // POST /api/3.0/mlflow/prompt-optimization/jobs/{job_id}/cancel
  MlflowService_createReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/create
  MlflowService_deleteReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/delete
  MlflowService_getReviewQueue: GENAI, // GET /api/3.0/mlflow/review-queues/get
  MlflowService_getReviewQueueByName: GENAI, // GET /api/3.0/mlflow/review-queues/get-by-name
  MlflowService_getOrCreateUserQueue: GENAI, // POST /api/3.0/mlflow/review-queues/get-or-create-user
  MlflowService_addItemsToReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/items/add
  MlflowService_listReviewQueueItems: GENAI, // GET /api/3.0/mlflow/review-queues/items/list
  MlflowService_removeItemsFromReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/items/remove
  MlflowService_setReviewQueueItemStatus: GENAI, // POST /api/3.0/mlflow/review-queues/items/set-status
  MlflowService_listReviewQueues: GENAI, // GET /api/3.0/mlflow/review-queues/list
  MlflowService_updateReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/update
  MlflowService_deleteScorer: GENAI, // DELETE /api/3.0/mlflow/scorers/delete
  MlflowService_getScorer: GENAI, // GET /api/3.0/mlflow/scorers/get
  MlflowService_listScorers: GENAI, // GET /api/3.0/mlflow/scorers/list
  MlflowService_registerScorer: GENAI, // POST /api/3.0/mlflow/scorers/register
  MlflowService_listScorerVersions: GENAI, // GET /api/3.0/mlflow/scorers/versions
  MlflowService_startTraceV3: GENAI, // POST /api/3.0/mlflow/traces
  MlflowService_batchGetTraces: GENAI, // GET /api/3.0/mlflow/traces/batchGet
  MlflowService_batchGetTraceInfos: GENAI, // POST /api/3.0/mlflow/traces/batchGetInfos
  MlflowService_calculateTraceFilterCorrelation: GENAI, // POST /api/3.0/mlflow/traces/calculate-filter-correlation
  MlflowService_deleteTracesV3: GENAI, // POST /api/3.0/mlflow/traces/delete-traces
  MlflowService_getTrace: GENAI, // GET /api/3.0/mlflow/traces/get
  MlflowService_queryTraceMetrics: GENAI, // POST /api/3.0/mlflow/traces/metrics
  MlflowService_searchTracesV3: GENAI, // POST /api/3.0/mlflow/traces/search
  MlflowService_getTraceInfoV3: GENAI, // GET /api/3.0/mlflow/traces/{trace_id}
  MlflowService_createAssessment: GENAI, // POST /api/3.0/mlflow/traces/{trace_id}/assessments
  MlflowService_deleteAssessment: GENAI, // DELETE /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}
  MlflowService_GetAssessment: GENAI, // GET /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}
  MlflowService_updateAssessment: GENAI, // PATCH /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}
  MlflowService_deleteTraceTagV3: GENAI, // DELETE /api/3.0/mlflow/traces/{trace_id}/tags
  MlflowService_setTraceTagV3: GENAI, // PATCH /api/3.0/mlflow/traces/{trace_id}/tags
  MlflowService_listWorkspaces: WORKSPACES, // GET /api/3.0/mlflow/workspaces
  MlflowService_createWorkspace: WORKSPACES, // POST /api/3.0/mlflow/workspaces
  MlflowService_deleteWorkspace: WORKSPACES, // DELETE /api/3.0/mlflow/workspaces/{workspace_name}
  MlflowService_getWorkspace: WORKSPACES, // GET /api/3.0/mlflow/workspaces/{workspace_name}
  MlflowService_updateWorkspace: WORKSPACES, // PATCH /api/3.0/mlflow/workspaces/{workspace_name}
};
