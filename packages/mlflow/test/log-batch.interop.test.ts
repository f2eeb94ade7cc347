// logBatch against the real server: big batches split and read back in order, by us and by Python; the
// POSTs we retry are shown to leave the same state when repeated.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Metric, MlflowClient, MlflowInputError } from '../src/index';
import { asPython, metricAsPython } from './support/compare';
import { type PythonMlflow, startPythonMlflow } from './support/mlflow-python';
import { requireMlflow, trackingUri, unique } from './support/platform';

// The shared server is slow when the machine is loaded: real calls get a minute, not vitest's 5 s.
vi.setConfig({ testTimeout: 60_000 });

const client = new MlflowClient({ trackingUri });
let python: PythonMlflow;
let experimentId: string;

beforeAll(async () => {
  await requireMlflow();
  python = await startPythonMlflow(trackingUri);
  experimentId = await client.createExperiment(unique('log-batch'));
}, 60_000);
afterAll(async () => {
  await python?.close();
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('logBatch', () => {
  it('logs 3,210 metrics, 150 params and 120 tags in order; history pages read back as Python reads them', async () => {
    const runId = (await client.createRun(experimentId)).info.runId;
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.0, 1e-300];
    const metrics = Array.from({ length: 3_210 }, (_, i) => ({
      key: i % 2 ? 'loss' : 'acc',
      value: i < specials.length ? specials[i]! : i / 7,
      timestamp: 1_700_000_000_000 + i,
      step: i,
    }));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: i === 119 ? 't0' : `t${i}`, value: `v${i}` }));
    await client.logBatch(runId, { metrics, params, tags }, { concurrency: 3 });

    const run = await client.getRun(runId);
    expect(Object.keys(run.data.params)).toHaveLength(150);
    // Tags are set in order across requests: the later t0 wins.
    expect(run.data.tags.t0).toBe('v119');
    expect(asPython(run)).toEqual(await python.call('get_run', { run_id: runId }));

    const loss: Metric[] = [];
    let pages = 0;
    for await (const page of client.getMetricHistory(runId, 'loss', { pageSize: 400 }).pages()) {
      pages++;
      loss.push(...page);
    }
    expect(pages).toBe(5);
    expect(loss.map((m) => m.step)).toEqual(metrics.filter((m) => m.key === 'loss').map((m) => m.step));
    expect(loss.map(metricAsPython)).toEqual(
      await python.call('metric_history', { run_id: runId, key: 'loss' }),
    );
    const acc = await all(client.getMetricHistory(runId, 'acc'));
    expect(acc.map(metricAsPython)).toEqual(
      await python.call('metric_history', { run_id: runId, key: 'acc' }),
    );
    expect(acc[0]!.value).toBeNaN();
    expect(acc[1]!.value).toBe(-Number.MAX_VALUE);
    expect(loss[0]!.value).toBe(Number.MAX_VALUE);
  }, 60_000);

  it('refuses a too-long param before sending anything, so nothing of the batch is stored', async () => {
    const runId = (await client.createRun(experimentId)).info.runId;
    const error = await client
      .logBatch(runId, { metrics: [{ key: 'm', value: 1 }], params: { ok: 'x', long: 'y'.repeat(6001) } })
      .catch((e: unknown) => e);
    expect(MlflowInputError.isInstance(error)).toBe(true);
    const run = await client.getRun(runId);
    expect(run.data).toEqual({ metrics: {}, params: {}, tags: expect.any(Object) });
  });
});

describe('POSTs retried because a repeat leaves the same state (proved here on the real store)', () => {
  it('logBatch, logMetric, logParam, setTag, updateRun, logInputs and setExperimentTag, twice, store what once does', async () => {
    const once = (await client.createRun(experimentId)).info.runId;
    const twice = (await client.createRun(experimentId)).info.runId;
    const batch = {
      metrics: [
        { key: 'a', value: 1, timestamp: 10, step: 1 },
        { key: 'a', value: Number.NaN, timestamp: 11, step: 2 },
        { key: 'b', value: Infinity, timestamp: 12, step: 3 },
      ],
      params: { p: 'v' },
      tags: { t: 'v' },
    };
    const datasets = [
      {
        dataset: { name: 'd', digest: 'abc', sourceType: 'local', source: '{}' },
        tags: { 'mlflow.data.context': 'train' },
      },
    ];
    for (const [runId, times] of [
      [once, 1],
      [twice, 2],
    ] as const) {
      for (let i = 0; i < times; i++) {
        await client.logBatch(runId, batch);
        await client.logMetric(runId, 'c', 0.5, { timestamp: 20, step: 4 });
        await client.logParam(runId, 'q', 'w');
        await client.setTag(runId, 'u', 'x');
        await client.updateRun(runId, { name: 'same-name' });
        await client.logInputs(runId, { datasets });
      }
    }
    const strip = (run: Awaited<ReturnType<typeof client.getRun>>) => ({
      ...asPython(run),
      info: { ...asPython(run).info, run_id: '', start_time: 0, artifact_uri: '' },
    });
    expect(strip(await client.getRun(twice))).toEqual(strip(await client.getRun(once)));
    for (const key of ['a', 'b', 'c']) {
      const a = (await all(client.getMetricHistory(once, key))).map(metricAsPython);
      const b = (await all(client.getMetricHistory(twice, key))).map(metricAsPython);
      expect(b).toEqual(a);
    }
    expect((await all(client.getMetricHistory(twice, 'a'))).length).toBe(2);

    const experiment = await client.createExperiment(unique('tag-twice'));
    await client.setExperimentTag(experiment, 'k', 'v');
    const first = (await client.getExperiment(experiment)).tags;
    await client.setExperimentTag(experiment, 'k', 'v');
    expect((await client.getExperiment(experiment)).tags).toEqual(first);
  }, 60_000);
});
