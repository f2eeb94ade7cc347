// The GenAI evaluation surface: evaluation datasets, scorers, label schemas, review queues, issues and
// prompt optimization jobs.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NO_JOB, refusals } from './not-served';
import { check, expectRefusal, mlflow, newExperiment, unique } from './support';

/** A built-in scorer as Python's Scorer.model_dump() serializes it (custom @scorer code is refused). */
export const SAFETY_SCORER = JSON.stringify({
  name: 'safety',
  aggregations: null,
  description: null,
  mlflow_version: '3.18.0',
  serialization_version: 1,
  builtin_scorer_class: 'Safety',
  builtin_scorer_pydantic_data: { name: 'safety', required_columns: ['outputs', 'inputs'] },
  call_source: null,
  call_signature: null,
  original_func_name: null,
  instructions_judge_pydantic_data: null,
});

/** A trace id the server knows: StartTraceV3 with the trace info only. */
async function newTrace(experimentId: string): Promise<string> {
  const traceId = `tr-${randomBytes(16).toString('hex')}`;
  await mlflow.post('/api/3.0/mlflow/traces', {
    body: {
      trace: {
        trace_info: {
          trace_id: traceId,
          trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
          request_time: new Date().toISOString(),
          execution_duration: '0.1s',
          state: 'OK',
        },
      },
    },
  });
  return traceId;
}

describe('evaluation datasets', () => {
  it('create, records (upsert, read, delete), get, experiments (list, add, remove), tags, search, delete', async () => {
    const experimentId = await newExperiment();
    const other = await newExperiment();
    const name = unique('eval');
    const created = await mlflow.post('/api/3.0/mlflow/datasets/create', {
      body: {
        name,
        experiment_ids: [experimentId],
        source_type: 'HUMAN',
        source: '{}',
        tags: JSON.stringify({ team: 'mlops' }),
        created_by: 'contract',
      },
    });
    expect(check('/api/3.0/mlflow/datasets/create', 'post', created)).toEqual([]);
    const path = { dataset_id: created.dataset!.dataset_id! };

    // Records, tags and schemas travel as JSON text inside the JSON.
    const upserted = await mlflow.post('/api/3.0/mlflow/datasets/{dataset_id}/records', {
      params: { path },
      body: {
        records: JSON.stringify([
          { inputs: { question: '2+2?' }, expectations: { answer: '4' }, tags: { split: 'test' } },
          { inputs: { question: '3+3?' }, expectations: { answer: '6' } },
        ]),
        updated_by: 'contract',
      },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/records', 'post', upserted)).toEqual([]);
    expect(upserted).toEqual({ inserted_count: 2, updated_count: 0 });
    const records = await mlflow.get('/api/3.0/mlflow/datasets/{dataset_id}/records', {
      params: { path, query: { max_results: 10 } },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/records', 'get', records)).toEqual([]);
    const rows = JSON.parse(records.records ?? '[]') as Array<{ dataset_record_id: string; inputs: unknown }>;
    expect(rows.map((r) => JSON.stringify(r.inputs)).toSorted()).toEqual([
      '{"question":"2+2?"}',
      '{"question":"3+3?"}',
    ]);

    const got = await mlflow.get('/api/3.0/mlflow/datasets/{dataset_id}', { params: { path } });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}', 'get', got)).toEqual([]);
    expect(JSON.parse(got.dataset?.profile ?? '{}')).toEqual({ num_records: 2 });

    const added = await mlflow.post('/api/3.0/mlflow/datasets/{dataset_id}/add-experiments', {
      params: { path },
      body: { experiment_ids: [other] },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/add-experiments', 'post', added)).toEqual([]);
    const ids = await mlflow.get('/api/3.0/mlflow/datasets/{dataset_id}/experiment-ids', {
      params: { path },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/experiment-ids', 'get', ids)).toEqual([]);
    expect(ids.experiment_ids?.toSorted()).toEqual([experimentId, other].toSorted());
    const removed = await mlflow.post('/api/3.0/mlflow/datasets/{dataset_id}/remove-experiments', {
      params: { path },
      body: { experiment_ids: [other] },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/remove-experiments', 'post', removed)).toEqual([]);

    const tagged = await mlflow.patch('/api/3.0/mlflow/datasets/{dataset_id}/tags', {
      params: { path },
      body: { tags: JSON.stringify({ stage: 'draft' }) },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/tags', 'patch', tagged)).toEqual([]);
    const untagged = await mlflow.delete('/api/3.0/mlflow/datasets/{dataset_id}/tags/{key}', {
      params: { path: { ...path, key: 'stage' } },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/tags/{key}', 'delete', untagged)).toEqual([]);

    const searchedGet = await mlflow.get('/api/3.0/mlflow/datasets/search', {
      params: { query: { experiment_ids: [experimentId], max_results: 10, order_by: ['name ASC'] } },
    });
    expect(check('/api/3.0/mlflow/datasets/search', 'get', searchedGet)).toEqual([]);
    expect(searchedGet.datasets?.map((d) => d.dataset_id)).toEqual([path.dataset_id]);
    const searchedPost = await mlflow.post('/api/3.0/mlflow/datasets/search', {
      body: { experiment_ids: [experimentId], filter_string: `name = '${name}'`, max_results: 10 },
    });
    expect(check('/api/3.0/mlflow/datasets/search', 'post', searchedPost)).toEqual([]);
    expect(searchedPost.datasets?.map((d) => d.name)).toEqual([name]);

    const deletedRecords = await mlflow.delete('/api/3.0/mlflow/datasets/{dataset_id}/records', {
      params: { path },
      body: { dataset_record_ids: [rows[0]!.dataset_record_id] },
    });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}/records', 'delete', deletedRecords)).toEqual([]);
    expect(deletedRecords.deleted_count).toBe(1);
    const deleted = await mlflow.delete('/api/3.0/mlflow/datasets/{dataset_id}', { params: { path } });
    expect(check('/api/3.0/mlflow/datasets/{dataset_id}', 'delete', deleted)).toEqual([]);
  });
});

describe('scorers', () => {
  it('register (two versions), list, versions, get, delete', async () => {
    const experimentId = await newExperiment();
    const name = 'safety';
    for (const version of [1, 2]) {
      const registered = await mlflow.post('/api/3.0/mlflow/scorers/register', {
        body: { experiment_id: experimentId, name, serialized_scorer: SAFETY_SCORER },
      });
      expect(check('/api/3.0/mlflow/scorers/register', 'post', registered)).toEqual([]);
      expect(registered.version).toBe(version);
    }
    const listed = await mlflow.get('/api/3.0/mlflow/scorers/list', {
      params: { query: { experiment_id: experimentId } },
    });
    expect(check('/api/3.0/mlflow/scorers/list', 'get', listed)).toEqual([]);
    // The Scorer message's experiment_id is an int32: a number here, a string everywhere else.
    expect(listed.scorers?.map((s) => [s.experiment_id, s.scorer_name, s.scorer_version])).toEqual([
      [Number(experimentId), name, 2],
    ]);
    const versions = await mlflow.get('/api/3.0/mlflow/scorers/versions', {
      params: { query: { experiment_id: experimentId, name } },
    });
    expect(check('/api/3.0/mlflow/scorers/versions', 'get', versions)).toEqual([]);
    expect(versions.scorers?.map((s) => s.scorer_version).toSorted()).toEqual([1, 2]);
    const got = await mlflow.get('/api/3.0/mlflow/scorers/get', {
      params: { query: { experiment_id: experimentId, name, version: 1 } },
    });
    expect(check('/api/3.0/mlflow/scorers/get', 'get', got)).toEqual([]);
    expect(JSON.parse(got.scorer?.serialized_scorer ?? '{}')).toMatchObject({
      builtin_scorer_class: 'Safety',
    });
    const deleted = await mlflow.delete('/api/3.0/mlflow/scorers/delete', {
      body: { experiment_id: experimentId, name },
    });
    expect(check('/api/3.0/mlflow/scorers/delete', 'delete', deleted)).toEqual([]);
  });
});

describe('label schemas and review queues', () => {
  it('label schemas: create, get, get by name, list, update, delete', async () => {
    const experimentId = await newExperiment();
    const name = unique('label');
    const created = await mlflow.post('/api/3.0/mlflow/label-schemas/create', {
      body: {
        experiment_id: experimentId,
        name,
        type: 'FEEDBACK',
        input: { categorical: { options: ['good', 'bad'] } },
        instruction: 'Is the answer right?',
        enable_comment: true,
      },
    });
    expect(check('/api/3.0/mlflow/label-schemas/create', 'post', created)).toEqual([]);
    const schemaId = created.label_schema!.schema_id!;
    const got = await mlflow.get('/api/3.0/mlflow/label-schemas/get', {
      params: { query: { schema_id: schemaId } },
    });
    expect(check('/api/3.0/mlflow/label-schemas/get', 'get', got)).toEqual([]);
    const byName = await mlflow.get('/api/3.0/mlflow/label-schemas/get-by-name', {
      params: { query: { experiment_id: experimentId, name } },
    });
    expect(check('/api/3.0/mlflow/label-schemas/get-by-name', 'get', byName)).toEqual([]);
    expect(byName.label_schema?.schema_id).toBe(schemaId);
    const listed = await mlflow.get('/api/3.0/mlflow/label-schemas/list', {
      params: { query: { experiment_id: experimentId, max_results: 100 } },
    });
    expect(check('/api/3.0/mlflow/label-schemas/list', 'get', listed)).toEqual([]);
    expect(listed.label_schemas?.map((s) => s.name)).toContain(name);
    const updated = await mlflow.patch('/api/3.0/mlflow/label-schemas/update', {
      body: {
        schema_id: schemaId,
        // The input's kind and multi_select are fixed at creation (400 otherwise); its options may change.
        input: { categorical: { options: ['good', 'bad', 'unsure'] } },
        instruction: 'Is the answer right?',
      },
    });
    expect(check('/api/3.0/mlflow/label-schemas/update', 'patch', updated)).toEqual([]);
    expect(updated.label_schema?.input).toEqual({
      categorical: { options: ['good', 'bad', 'unsure'], multi_select: false },
    });
    const deleted = await mlflow.delete('/api/3.0/mlflow/label-schemas/delete', {
      body: { schema_id: schemaId },
    });
    expect(check('/api/3.0/mlflow/label-schemas/delete', 'delete', deleted)).toEqual([]);
  });

  it('review queues: create, get, get by name, per-user queue, items (add, list, set status, remove), list, update, delete', async () => {
    const experimentId = await newExperiment();
    const traceId = await newTrace(experimentId);
    const name = unique('queue');
    const created = await mlflow.post('/api/3.0/mlflow/review-queues/create', {
      body: {
        experiment_id: experimentId,
        name,
        queue_type: 'CUSTOM',
        users: ['alice'],
        created_by: 'contract',
      },
    });
    expect(check('/api/3.0/mlflow/review-queues/create', 'post', created)).toEqual([]);
    const queueId = created.review_queue!.queue_id!;
    const got = await mlflow.get('/api/3.0/mlflow/review-queues/get', {
      params: { query: { queue_id: queueId } },
    });
    expect(check('/api/3.0/mlflow/review-queues/get', 'get', got)).toEqual([]);
    const byName = await mlflow.get('/api/3.0/mlflow/review-queues/get-by-name', {
      params: { query: { experiment_id: experimentId, name } },
    });
    expect(check('/api/3.0/mlflow/review-queues/get-by-name', 'get', byName)).toEqual([]);
    expect(byName.review_queue?.queue_id).toBe(queueId);
    const userQueue = await mlflow.post('/api/3.0/mlflow/review-queues/get-or-create-user', {
      body: { experiment_id: experimentId, user: 'bob', created_by: 'contract' },
    });
    expect(check('/api/3.0/mlflow/review-queues/get-or-create-user', 'post', userQueue)).toEqual([]);
    expect(userQueue.review_queue?.queue_type).toBe('USER');

    const added = await mlflow.post('/api/3.0/mlflow/review-queues/items/add', {
      body: { queue_id: queueId, item_type: 'TRACE', item_ids: [traceId] },
    });
    expect(check('/api/3.0/mlflow/review-queues/items/add', 'post', added)).toEqual([]);
    const items = await mlflow.get('/api/3.0/mlflow/review-queues/items/list', {
      params: { query: { queue_id: queueId, max_results: 10 } },
    });
    expect(check('/api/3.0/mlflow/review-queues/items/list', 'get', items)).toEqual([]);
    expect(items.items?.map((i) => [i.item_id, i.status])).toEqual([[traceId, 'PENDING']]);
    const status = await mlflow.post('/api/3.0/mlflow/review-queues/items/set-status', {
      body: { queue_id: queueId, item_id: traceId, status: 'COMPLETE', completed_by: 'alice' },
    });
    expect(check('/api/3.0/mlflow/review-queues/items/set-status', 'post', status)).toEqual([]);
    const queues = await mlflow.get('/api/3.0/mlflow/review-queues/list', {
      params: { query: { experiment_id: experimentId, item_id: traceId, max_results: 10 } },
    });
    expect(check('/api/3.0/mlflow/review-queues/list', 'get', queues)).toEqual([]);
    expect(queues.review_queues?.map((q) => q.queue_id)).toEqual([queueId]);
    const removed = await mlflow.post('/api/3.0/mlflow/review-queues/items/remove', {
      body: { queue_id: queueId, item_ids: [traceId] },
    });
    expect(check('/api/3.0/mlflow/review-queues/items/remove', 'post', removed)).toEqual([]);

    const updated = await mlflow.post('/api/3.0/mlflow/review-queues/update', {
      body: { queue_id: queueId, name: `${name}-renamed`, users: ['alice', 'carol'], update_users: true },
    });
    expect(check('/api/3.0/mlflow/review-queues/update', 'post', updated)).toEqual([]);
    expect(updated.review_queue?.users?.toSorted()).toEqual(['alice', 'carol']);
    const deleted = await mlflow.post('/api/3.0/mlflow/review-queues/delete', {
      body: { queue_id: queueId },
    });
    expect(check('/api/3.0/mlflow/review-queues/delete', 'post', deleted)).toEqual([]);
  });
});

describe('issues', () => {
  it('create, get, update, search', async () => {
    const experimentId = await newExperiment();
    const created = await mlflow.post('/api/3.0/mlflow/issues', {
      body: {
        experiment_id: experimentId,
        name: unique('issue'),
        description: 'answers drift',
        severity: 'high',
        status: 'pending',
        categories: ['quality'],
        metadata: { source: 'contract' },
      },
    });
    expect(check('/api/3.0/mlflow/issues', 'post', created)).toEqual([]);
    const path = { issue_id: created.issue!.issue_id! };
    const got = await mlflow.get('/api/3.0/mlflow/issues/{issue_id}', { params: { path } });
    expect(check('/api/3.0/mlflow/issues/{issue_id}', 'get', got)).toEqual([]);
    const updated = await mlflow.patch('/api/3.0/mlflow/issues/{issue_id}', {
      params: { path },
      body: { issue_id: path.issue_id, status: 'resolved', metadata: { fixed_in: 'v2' } },
    });
    expect(check('/api/3.0/mlflow/issues/{issue_id}', 'patch', updated)).toEqual([]);
    expect(updated.issue).toMatchObject({
      status: 'resolved',
      metadata: { source: 'contract', fixed_in: 'v2' },
    });
    const searched = await mlflow.post('/api/3.0/mlflow/issues/search', {
      body: {
        experiment_id: experimentId,
        max_results: 10,
        include_total_count: true,
        include_trace_count: true,
      },
    });
    expect(check('/api/3.0/mlflow/issues/search', 'post', searched)).toEqual([]);
    expect(searched).toMatchObject({ total_count: 1, issues: [{ issue_id: path.issue_id, trace_count: 0 }] });
  });
});

describe('prompt optimization jobs', () => {
  it('search (GET and POST) answers; a job cannot be created, so get, cancel and delete find none', async () => {
    const experimentId = await newExperiment();
    const searchedGet = await mlflow.get('/api/3.0/mlflow/prompt-optimization/jobs/search', {
      params: { query: { experiment_id: experimentId } },
    });
    expect(check('/api/3.0/mlflow/prompt-optimization/jobs/search', 'get', searchedGet)).toEqual([]);
    const searchedPost = await mlflow.post('/api/3.0/mlflow/prompt-optimization/jobs/search', {
      body: { experiment_id: experimentId },
    });
    expect(check('/api/3.0/mlflow/prompt-optimization/jobs/search', 'post', searchedPost)).toEqual([]);
    expect(searchedPost).toEqual({});

    // A valid job: a registered prompt version, an evaluation dataset and a registered scorer.
    const prompt = unique('prompt');
    await mlflow.post('/api/2.0/mlflow/registered-models/create', {
      body: { name: prompt, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] },
    });
    await mlflow.post('/api/2.0/mlflow/model-versions/create', {
      body: {
        name: prompt,
        source: 'dummy-source',
        tags: [
          { key: 'mlflow.prompt.is_prompt', value: 'true' },
          { key: 'mlflow.prompt.text', value: 'Answer: {{question}}' },
        ],
      },
    });
    const dataset = await mlflow.post('/api/3.0/mlflow/datasets/create', {
      body: { name: unique('eval'), experiment_ids: [experimentId] },
    });
    await mlflow.post('/api/3.0/mlflow/scorers/register', {
      body: { experiment_id: experimentId, name: 'safety', serialized_scorer: SAFETY_SCORER },
    });
    const jobs = '/api/3.0/mlflow/prompt-optimization/jobs';
    await expectRefusal(refusals, jobs, 'post', jobs, {
      experiment_id: experimentId,
      source_prompt_uri: `prompts:/${prompt}/1`,
      config: {
        optimizer_type: 'OPTIMIZER_TYPE_GEPA',
        dataset_id: dataset.dataset!.dataset_id!,
        scorers: ['safety'],
      },
    });
    const job = `${jobs}/${NO_JOB}`;
    await expectRefusal(refusals, `${jobs}/{job_id}`, 'get', job);
    await expectRefusal(refusals, `${jobs}/{job_id}/cancel`, 'post', `${job}/cancel`, {});
    await expectRefusal(refusals, `${jobs}/{job_id}`, 'delete', job);
  });
});
