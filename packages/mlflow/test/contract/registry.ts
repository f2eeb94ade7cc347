// The model registry, logged models (MLflow 3), their artifacts, and webhooks.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { check, mlflow, newExperiment, newRun, unique } from './support';

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

describe('MLflow 3 links between runs, logged models and model versions', () => {
  it('metrics of a logged model, models as run inputs, a version registered from a logged model', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const model = await mlflow.post('/api/2.0/mlflow/logged-models', {
      body: { experiment_id: experimentId, name: unique('lm'), source_run_id: runId },
    });
    const modelId = model.model!.info!.model_id!;
    await mlflow.post('/api/2.0/mlflow/runs/log-batch', {
      body: {
        run_id: runId,
        metrics: [
          {
            key: 'acc',
            value: 0.8,
            timestamp: 1,
            step: 0,
            model_id: modelId,
            dataset_name: 'train',
            dataset_digest: 'abc123',
          },
        ],
      },
    });
    const inputs = await mlflow.post('/api/2.0/mlflow/runs/log-inputs', {
      body: { run_id: runId, models: [{ model_id: modelId }] },
    });
    expect(check('/api/2.0/mlflow/runs/log-inputs', 'post', inputs)).toEqual([]);
    const run = await mlflow.get('/api/2.0/mlflow/runs/get', { params: { query: { run_id: runId } } });
    expect(check('/api/2.0/mlflow/runs/get', 'get', run)).toEqual([]);
    expect(run.run?.inputs?.model_inputs).toEqual([{ model_id: modelId }]);

    const name = unique('model');
    await mlflow.post('/api/2.0/mlflow/registered-models/create', { body: { name } });
    const version = await mlflow.post('/api/2.0/mlflow/model-versions/create', {
      body: { name, source: `models:/${modelId}`, model_id: modelId, run_id: runId },
    });
    expect(check('/api/2.0/mlflow/model-versions/create', 'post', version)).toEqual([]);
    // The 3.18 server keeps the models:/ source as given and answers no model_id on the version; the link
    // shows on the logged model (a tag) and in the download URI (its artifact location).
    expect(version.model_version).toMatchObject({ source: `models:/${modelId}`, run_id: runId });
    expect(version.model_version?.model_id).toBeUndefined();
    const uri = await mlflow.get('/api/2.0/mlflow/model-versions/get-download-uri', {
      params: { query: { name, version: '1' } },
    });
    expect(uri.artifact_uri).toBe(model.model?.info?.artifact_uri);

    const got = await mlflow.get('/api/2.0/mlflow/logged-models/{model_id}', {
      params: { path: { model_id: modelId } },
    });
    expect(check('/api/2.0/mlflow/logged-models/{model_id}', 'get', got)).toEqual([]);
    expect(got.model?.data?.metrics).toEqual([
      {
        key: 'acc',
        value: 0.8,
        timestamp: 1,
        step: 0,
        dataset_name: 'train',
        dataset_digest: 'abc123',
        model_id: modelId,
        run_id: runId,
      },
    ]);
    const registrations = got.model?.info?.tags?.find((t) => t.key === 'mlflow.modelVersions')?.value;
    expect(JSON.parse(registrations ?? '[]')).toEqual([{ name, version: 1 }]);
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

describe('webhooks', () => {
  it('create, get, list, update, test delivery to a loopback receiver (signed), delete', {
    timeout: 60_000,
  }, async () => {
    // The platform's MLflow lets webhooks reach loopback over http (platform/lib/mlflow.sh); MLflow's
    // defaults (https, public addresses only) would send the delivery off the machine. Created DISABLED,
    // for an event no test fires, so only the explicit test delivery calls it.
    const deliveries: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    const secret = unique('secret');
    try {
      const created = await mlflow.post('/api/2.0/mlflow/webhooks', {
        body: {
          name: unique('hook'),
          url: `http://127.0.0.1:${port}/mlflow-hook`,
          events: [{ entity: 'PROMPT', action: 'CREATED' }],
          status: 'DISABLED',
          secret,
        },
      });
      expect(check('/api/2.0/mlflow/webhooks', 'post', created)).toEqual([]);
      const path = { webhook_id: created.webhook!.webhook_id! };
      expect(created.webhook?.status).toBe('DISABLED');
      const got = await mlflow.get('/api/2.0/mlflow/webhooks/{webhook_id}', { params: { path } });
      expect(check('/api/2.0/mlflow/webhooks/{webhook_id}', 'get', got)).toEqual([]);
      const listed = await mlflow.get('/api/2.0/mlflow/webhooks', {
        params: { query: { max_results: 1000 } },
      });
      expect(check('/api/2.0/mlflow/webhooks', 'get', listed)).toEqual([]);
      expect(listed.webhooks?.some((w) => w.webhook_id === path.webhook_id)).toBe(true);
      const updated = await mlflow.patch('/api/2.0/mlflow/webhooks/{webhook_id}', {
        params: { path },
        body: { description: 'updated' },
      });
      expect(check('/api/2.0/mlflow/webhooks/{webhook_id}', 'patch', updated)).toEqual([]);
      expect(updated.webhook).toMatchObject({ description: 'updated', status: 'DISABLED' });
      const tested = await mlflow.post('/api/2.0/mlflow/webhooks/{webhook_id}/test', {
        params: { path },
        body: { event: { entity: 'PROMPT', action: 'CREATED' } },
      });
      expect(check('/api/2.0/mlflow/webhooks/{webhook_id}/test', 'post', tested)).toEqual([]);
      expect(tested.result).toMatchObject({ success: true, response_status: 200 });
      // One signed delivery: v1,base64(HMAC-SHA256(secret, "<delivery id>.<unix seconds>.<body>")).
      expect(deliveries).toHaveLength(1);
      const [delivery] = deliveries;
      const id = String(delivery?.headers['x-mlflow-delivery-id']);
      const timestamp = String(delivery?.headers['x-mlflow-timestamp']);
      const expected = createHmac('sha256', secret)
        .update(`${id}.${timestamp}.${delivery?.body}`)
        .digest('base64');
      expect(delivery?.headers['x-mlflow-signature']).toBe(`v1,${expected}`);
      expect(JSON.parse(delivery?.body ?? 'null')).toMatchObject({ entity: 'prompt', action: 'created' });
      const deleted = await mlflow.delete('/api/2.0/mlflow/webhooks/{webhook_id}', { params: { path } });
      expect(check('/api/2.0/mlflow/webhooks/{webhook_id}', 'delete', deleted)).toEqual([]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
