// The tracking service: experiments, runs, metrics, run artifacts, and the routes mlflow/server adds by hand.
import { describe, expect, it } from 'vitest';
import {
  ajv,
  baseUrl,
  check,
  mediaOf,
  mlflow,
  newExperiment,
  newRun,
  operation,
  pins,
  unique,
} from './support';

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

describe('runs: MLflow 2 model logging, outputs, sampled metric history', () => {
  it('log-model records the mlflow.log-model.history tag, outputs link a logged model, bulk-interval samples', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const modelJson = JSON.stringify({
      artifact_path: 'model',
      run_id: runId,
      utc_time_created: '2026-01-01 00:00:00.000000',
      flavors: { python_function: { loader_module: 'mlflow.sklearn' } },
    });
    const logged = await mlflow.post('/api/2.0/mlflow/runs/log-model', {
      body: { run_id: runId, model_json: modelJson },
    });
    expect(check('/api/2.0/mlflow/runs/log-model', 'post', logged)).toEqual([]);

    const model = await mlflow.post('/api/2.0/mlflow/logged-models', {
      body: { experiment_id: experimentId, name: unique('lm'), source_run_id: runId },
    });
    const modelId = model.model!.info!.model_id!;
    const outputs = await mlflow.post('/api/2.0/mlflow/runs/outputs', {
      body: { run_id: runId, models: [{ model_id: modelId, step: 3 }] },
    });
    expect(check('/api/2.0/mlflow/runs/outputs', 'post', outputs)).toEqual([]);

    const t = Date.now();
    for (let step = 0; step < 5; step++) {
      await mlflow.post('/api/2.0/mlflow/runs/log-metric', {
        body: { run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: t + step, step },
      });
    }
    const sampled = await mlflow.get('/api/2.0/mlflow/metrics/get-history-bulk-interval', {
      params: {
        query: { run_ids: [runId], metric_key: 'loss', start_step: 1, end_step: 3, max_results: 10 },
      },
    });
    expect(check('/api/2.0/mlflow/metrics/get-history-bulk-interval', 'get', sampled)).toEqual([]);
    expect(sampled.metrics?.map((m) => [m.step, m.run_id])).toEqual([
      [1, runId],
      [2, runId],
      [3, runId],
    ]);

    const run = await mlflow.get('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } });
    expect(check('/api/2.0/mlflow/runs/get', 'get', run)).toEqual([]);
    expect(run.run?.outputs?.model_outputs).toEqual([{ model_id: modelId, step: 3 }]);
    const history = run.run?.data?.tags?.find((tag) => tag.key === 'mlflow.log-model.history')?.value;
    expect(JSON.parse(history ?? '[]')).toMatchObject([{ artifact_path: 'model', run_id: runId }]);
  });
});

describe('RPCs the open-source server does not implement', () => {
  it('answer 404 with an empty body, as the spec marks them', async () => {
    for (const path of ['/api/2.0/mlflow/unified-traces', '/api/2.0/mlflow/get-online-trace-details']) {
      const op = operation(path, 'get');
      expect(op['x-mlflow-not-implemented']).toBe(true);
      const answer = await fetch(`${baseUrl}${path}`);
      check(path, 'get');
      expect(answer.status).toBe(404);
      expect(await answer.text()).toBe('');
    }
  });
});
