// Tracking against the platform's real MLflow 3.18 server, read back by Python's MlflowClient (and the
// other way round), field by field. Every experiment name is unique to this run.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BadRequestError,
  ConflictError,
  DecodeError,
  type Metric,
  MlflowClient,
  MlflowInputError,
  NotFoundError,
  type Run,
} from '../src/index';
import { asPython, metricAsPython } from './support/compare';
import { type PythonMlflow, startPythonMlflow } from './support/mlflow-python';
import { requireMlflow, trackingUri, unique } from './support/platform';

// The shared server is slow when the machine is loaded: real calls get a minute, not vitest's 5 s.
vi.setConfig({ testTimeout: 60_000 });

const client = new MlflowClient({ trackingUri });
let python: PythonMlflow;
let experimentId: string;
const experimentName = unique('tracking');

beforeAll(async () => {
  await requireMlflow();
  python = await startPythonMlflow(trackingUri);
  experimentId = await client.createExperiment(experimentName, { tags: { suite: 'tracking' } });
}, 60_000);
afterAll(async () => {
  await python?.close();
});
beforeEach(async () => {
  await requireMlflow();
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const dataset = {
  name: 'churn-train',
  digest: 'a1b2c3d4',
  sourceType: 'local',
  source: '{"uri": "/data/churn/train.parquet"}',
  schema: '{"mlflow_colspec": [{"type": "double", "name": "tenure", "required": true}]}',
  profile: '{"num_rows": 1000}',
};

describe('experiments', () => {
  it('creates, gets by id and by name, tags, deletes and restores, as Python sees them', async () => {
    const byId = await client.getExperiment(experimentId);
    expect(byId).toMatchObject({
      experimentId,
      name: experimentName,
      lifecycleStage: 'active',
      tags: { suite: 'tracking' },
    });
    expect(byId.artifactLocation).toMatch(/^mlflow-artifacts:\//);
    expect(Number.isSafeInteger(byId.creationTime)).toBe(true);
    expect(await client.getExperimentByName(experimentName)).toEqual(byId);
    expect(await client.getExperimentByName(unique('missing'))).toBeUndefined();

    await client.setExperimentTag(experimentId, 'owner', 'risk-team');
    expect((await client.getExperiment(experimentId)).tags).toEqual({
      suite: 'tracking',
      owner: 'risk-team',
    });

    const other = await client.createExperiment(unique('tracking-deleted'));
    await client.deleteExperiment(other);
    expect((await client.getExperiment(other)).lifecycleStage).toBe('deleted');
    await client.restoreExperiment(other);
    expect((await client.getExperiment(other)).lifecycleStage).toBe('active');
    await client.deleteExperiment(other);
  });

  it('refuses a name in use with a ConflictError carrying MLflow’s error code (the server says 400)', async () => {
    const error = await client.createExperiment(experimentName).catch((e: unknown) => e);
    expect(ConflictError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, code: 'RESOURCE_ALREADY_EXISTS', service: 'mlflow' });
    expect(String((error as Error).message)).toContain(experimentName);
  });

  it('searches with a filter, order and view type, following page tokens', async () => {
    const prefix = unique('search');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await client.createExperiment(`${prefix}-${i}`));
    await client.deleteExperiment(ids[4]!);
    const filter = `name LIKE '${prefix}-%'`;
    const active = client.searchExperiments({ filter, orderBy: ['name DESC'], pageSize: 2 });
    const pages: string[][] = [];
    for await (const page of active.pages()) pages.push(page.map((e) => e.name));
    expect(pages).toEqual([
      [`${prefix}-3`, `${prefix}-2`],
      [`${prefix}-1`, `${prefix}-0`],
    ]);
    const deleted = await all(client.searchExperiments({ filter, viewType: 'DELETED_ONLY' }));
    expect(deleted.map((e) => e.experimentId)).toEqual([ids[4]]);
    expect(
      (await all(client.searchExperiments({ filter, viewType: 'ALL', maxResults: 3, pageSize: 2 }))).length,
    ).toBe(3);
  });
});

describe('runs', () => {
  it('creates, logs, reads, renames, ends, deletes and restores a run; Python reads the same run', async () => {
    const created = await client.createRun(experimentId, {
      runName: 'ts-train',
      tags: { 'mlflow.user': 'ada', team: 'risk' },
      startTime: 1_760_000_000_123,
    });
    const runId = created.info.runId;
    expect(created.info).toMatchObject({
      runName: 'ts-train',
      userId: 'ada',
      status: 'RUNNING',
      startTime: 1_760_000_000_123,
      endTime: undefined,
    });

    await client.logParam(runId, 'lr', 0.01);
    expect(await client.logParam(runId, 'early_stop', true)).toBe('True');
    await client.logMetric(runId, 'loss', 0.5, { step: 0, timestamp: 1_760_000_000_200 });
    await client.logMetric(runId, 'loss', 0.25, { step: 1, timestamp: 1_760_000_000_300 });
    await client.logMetric(runId, 'loss', 0.75, { step: 1, timestamp: 1_760_000_000_250 });
    await client.setTag(runId, 'stage', 'dev');
    await client.setTag(runId, 'doomed', 'x');
    await client.deleteTag(runId, 'doomed');
    await client.logInputs(runId, { datasets: [{ dataset, tags: { 'mlflow.data.context': 'training' } }] });
    await client.updateRun(runId, { name: 'ts-train-renamed' });
    await client.setTerminated(runId, { endTime: 1_760_000_009_000 });

    const ours = await client.getRun(runId);
    expect(ours.data.metrics).toEqual({ loss: 0.25 });
    expect(ours.data.params).toEqual({ lr: '0.01', early_stop: 'True' });
    expect(ours.data.tags).toMatchObject({
      team: 'risk',
      stage: 'dev',
      'mlflow.runName': 'ts-train-renamed',
      'mlflow.user': 'ada',
    });
    expect(ours.data.tags.doomed).toBeUndefined();
    expect(ours.info).toMatchObject({
      status: 'FINISHED',
      endTime: 1_760_000_009_000,
      runName: 'ts-train-renamed',
    });
    expect(ours.inputs.datasetInputs).toEqual([{ dataset, tags: { 'mlflow.data.context': 'training' } }]);
    expect(asPython(ours)).toEqual(await python.call('get_run', { run_id: runId }));

    const history = await all(client.getMetricHistory(runId, 'loss'));
    expect(history.map(metricAsPython)).toEqual(
      await python.call('metric_history', { run_id: runId, key: 'loss' }),
    );

    await client.deleteRun(runId);
    expect((await client.getRun(runId)).info.lifecycleStage).toBe('deleted');
    await client.restoreRun(runId);
    expect((await client.getRun(runId)).info.lifecycleStage).toBe('active');
  });

  it('reads what Python logged exactly as Python reads it (params, metrics with steps and timestamps, NaN and ±Infinity, tags, datasets)', async () => {
    const metrics = [
      { key: 'acc', value: 0.5, timestamp: 1_700_000_000_001, step: 0 },
      { key: 'acc', value: 0.75, timestamp: 1_700_000_000_002, step: 1 },
      { key: 'nan', value: 'NaN', timestamp: 1_700_000_000_003, step: 2 },
      { key: 'inf', value: 'Infinity', timestamp: 1_700_000_000_004, step: 3 },
      { key: 'ninf', value: '-Infinity', timestamp: 1_700_000_000_005, step: 4 },
      { key: 'tiny', value: 5e-324, timestamp: 1_700_000_000_006, step: -7 },
    ];
    const runId = await python.call<string>('log_run', {
      experiment_id: experimentId,
      run_name: 'py-train',
      tags: { origin: 'python' },
      params: [
        { key: 'depth', value: '6' },
        { key: 'note', value: 'ünïcødé ✓' },
      ],
      metrics,
      set_tags: { 'mlflow.note.content': 'a note' },
      datasets: [{ ...snake(dataset), tags: { 'mlflow.data.context': 'eval' } }],
      terminate: true,
    });
    const ours = await client.getRun(runId);
    expect(asPython(ours)).toEqual(await python.call('get_run', { run_id: runId }));
    expect(ours.data.metrics.nan).toBeNaN();
    // The SQL store keeps ±Infinity as ±the largest double, for Python as for us.
    expect(ours.data.metrics.inf).toBe(Number.MAX_VALUE);
    expect(ours.data.metrics.ninf).toBe(-Number.MAX_VALUE);
    expect(ours.data.metrics.tiny).toBe(5e-324);
    for (const key of ['acc', 'nan', 'inf', 'ninf', 'tiny']) {
      const history = await all(client.getMetricHistory(runId, key));
      expect(history.map(metricAsPython)).toEqual(
        await python.call('metric_history', { run_id: runId, key }),
      );
    }
  });

  it('maps MLflow’s error codes: unknown run → NotFoundError, changing a param → BadRequestError', async () => {
    const missing = await client.getRun('0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(NotFoundError.isInstance(missing)).toBe(true);
    expect(missing).toMatchObject({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });

    const run = await client.createRun(experimentId);
    await client.logParam(run.info.runId, 'k', 'a');
    const changed = await client.logParam(run.info.runId, 'k', 'b').catch((e: unknown) => e);
    expect(BadRequestError.isInstance(changed)).toBe(true);
    expect(changed).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE' });

    const empty = await client.raw
      .GET('/api/2.0/mlflow/runs/get', { params: { query: { run_id: '' } } })
      .catch((e: unknown) => e);
    expect(BadRequestError.isInstance(empty)).toBe(true);
    expect(empty).toMatchObject({ status: 400, code: 'INVALID_PARAMETER_VALUE' });

    // A tracking URI with a wrong path: the server's HTML 404 page, named as Python names it.
    const misplaced = new MlflowClient({ trackingUri: `${trackingUri}/no-such-prefix` });
    const route = await misplaced.getRun('0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(NotFoundError.isInstance(route)).toBe(true);
    expect(route).toMatchObject({ status: 404, code: 'ENDPOINT_NOT_FOUND' });
    expect((route as Error).message).toContain('Not Found');
  });
});

describe('searchRuns', () => {
  it('filters, orders and pages as Python’s search_runs does, field by field; view types select deleted runs', async () => {
    const exp = await client.createExperiment(unique('search-runs'));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const run = await client.createRun(exp, { runName: `r${i}`, startTime: 1_700_000_000_000 + i });
      await client.logBatch(run.info.runId, {
        metrics: [{ key: 'acc', value: i / 12, timestamp: 1_700_000_000_000 + i, step: i }],
        params: { model: i % 2 ? 'tree' : 'linear' },
        tags: { parity: i % 2 ? 'odd' : 'even' },
      });
      ids.push(run.info.runId);
    }
    await client.deleteRun(ids[11]!);
    const filter = "params.model = 'tree' and metrics.acc > 0.2";
    const orderBy = ['metrics.acc DESC'];
    const pages: string[][] = [];
    const ours = [];
    for await (const page of client.searchRuns(exp, { filter, orderBy, pageSize: 2 }).pages()) {
      pages.push(page.map((r) => r.info.runName));
      ours.push(...page);
    }
    expect(pages).toEqual([
      ['r9', 'r7'],
      ['r5', 'r3'],
    ]);
    const theirs = await python.call('search_runs', {
      experiment_ids: [exp],
      filter,
      order_by: orderBy,
      max_results: 2,
    });
    expect(ours.map(asPython)).toEqual(theirs);

    const deleted = [];
    for await (const run of client.searchRuns([exp], { runViewType: 'DELETED_ONLY' }))
      deleted.push(run.info.runId);
    expect(deleted).toEqual([ids[11]]);
    let count = 0;
    for await (const _ of client.searchRuns(exp, { runViewType: 'ALL', maxResults: 7, pageSize: 3 })) count++;
    expect(count).toBe(7);
  }, 60_000);
});

describe('int64 steps and timestamps', () => {
  it('refuses to hand out a step past 2^53 that Python logged, instead of rounding it', async () => {
    const runId = await python.call<string>('log_run', {
      experiment_id: experimentId,
      metrics: [{ key: 'big', value: 1, timestamp: 1_700_000_000_000, step: '9007199254740993' }],
    });
    expect(await python.call('metric_steps_text', { run_id: runId, key: 'big' })).toEqual([
      '9007199254740993',
    ]);
    const error = await all(client.getMetricHistory(runId, 'big')).catch((e: unknown) => e);
    expect(DecodeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('2^53');
    // The latest value per key carries no step, so the run itself still reads.
    expect((await client.getRun(runId)).data.metrics).toEqual({ big: 1 });
  });

  it('refuses to send a step or timestamp a number cannot hold exactly, before any request', async () => {
    const run = await client.createRun(experimentId);
    const step = await client
      .logMetric(run.info.runId, 'm', 1, { step: 2 ** 53 + 2 })
      .catch((e: unknown) => e);
    expect(MlflowInputError.isInstance(step)).toBe(true);
    expect(step).toMatchObject({ field: 'step' });
    const time = await client.logMetric(run.info.runId, 'm', 1, { timestamp: 1.5 }).catch((e: unknown) => e);
    expect(time).toMatchObject({ field: 'timestamp' });
    const batch = await client
      .logBatch(run.info.runId, {
        metrics: [
          { key: 'm', value: 1 },
          { key: 'm', value: 2, step: 2 ** 60 },
        ],
      })
      .catch((e: unknown) => e);
    expect(batch).toMatchObject({ field: 'metrics[1].step' });
    const history: Metric[] = await all(client.getMetricHistory(run.info.runId, 'm'));
    expect(history).toEqual([]);
    const read: Run = await client.getRun(run.info.runId);
    expect(read.data.metrics).toEqual({});
  });
});

function snake(d: typeof dataset) {
  return {
    name: d.name,
    digest: d.digest,
    source_type: d.sourceType,
    source: d.source,
    schema: d.schema,
    profile: d.profile,
  };
}
