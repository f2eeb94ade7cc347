// client.withRun on the real server: the run always ends, with everything logged flushed first.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbortError, MlflowClient, MlflowInputError } from '../src/index';
import { type PythonMlflow, startPythonMlflow } from './support/mlflow-python';
import { requireMlflow, trackingUri, unique } from './support/platform';

// The shared server is slow when the machine is loaded: real calls get a minute, not vitest's 5 s.
vi.setConfig({ testTimeout: 60_000 });

const client = new MlflowClient({ trackingUri });
let python: PythonMlflow;

beforeAll(async () => {
  await requireMlflow();
  python = await startPythonMlflow(trackingUri);
}, 60_000);
afterAll(async () => {
  await python?.close();
});

async function history(runId: string, key: string) {
  const out = [];
  for await (const m of client.getMetricHistory(runId, key)) out.push(m);
  return out;
}

describe('withRun', () => {
  it('creates the missing experiment, flushes buffered metrics in batches, and ends FINISHED', async () => {
    const experimentName = unique('with-run');
    expect(await client.getExperimentByName(experimentName)).toBeUndefined();
    let runId = '';
    const result = await client.withRun(
      { experimentName, runName: 'train', tags: { team: 'risk' }, flushIntervalMs: 50, batchSize: 500 },
      async (run) => {
        runId = run.runId;
        run.logParams({ lr: 0.1, epochs: 3 });
        run.setTag('phase', 'fit');
        for (let step = 0; step < 1_200; step++)
          run.logMetrics({ loss: 1 / (step + 1), acc: step / 1200 }, { step });
        // Sent in the background while the body still runs (no flush asked for).
        let midway = 0;
        for (let tries = 0; tries < 100 && midway === 0; tries++) {
          await new Promise((r) => setTimeout(r, 100));
          midway = (await history(runId, 'loss')).length;
        }
        expect(midway).toBeGreaterThanOrEqual(250);
        run.logMetric('final', 0.9);
        return 'trained';
      },
    );
    expect(result).toBe('trained');
    const experiment = await client.getExperimentByName(experimentName);
    const run = await client.getRun(runId);
    expect(run.info).toMatchObject({
      status: 'FINISHED',
      runName: 'train',
      experimentId: experiment?.experimentId,
    });
    expect(run.data.params).toEqual({ lr: '0.1', epochs: '3' });
    expect(run.data.tags).toMatchObject({ team: 'risk', phase: 'fit' });
    expect(run.data.metrics).toEqual({ loss: 1 / 1200, acc: 1199 / 1200, final: 0.9 });
    expect((await history(runId, 'loss')).map((m) => m.step)).toEqual(
      Array.from({ length: 1200 }, (_, i) => i),
    );
    const py = await python.call<{ info: { status: string }; data: { metrics: Record<string, number> } }>(
      'get_run',
      { run_id: runId },
    );
    expect(py.info.status).toBe('FINISHED');
    expect(py.data.metrics).toEqual(run.data.metrics);
  }, 60_000);

  it('ends FAILED when the body throws, rethrowing its error after flushing what it logged', async () => {
    const experimentName = unique('with-run-fail');
    let runId = '';
    const boom = new Error('diverged');
    const thrown = await client
      .withRun({ experimentName, flushIntervalMs: 60_000 }, (run) => {
        runId = run.runId;
        run.logMetric('loss', Number.NaN, { step: 7 });
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(thrown).toBe(boom);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FAILED');
    expect(run.data.metrics.loss).toBeNaN();
  }, 30_000);

  it('ends KILLED when aborted, flushing first, and rejects with an AbortError', async () => {
    const controller = new AbortController();
    let runId = '';
    const pending = client.withRun(
      { experimentName: unique('with-run-kill'), signal: controller.signal, flushIntervalMs: 60_000 },
      async (run) => {
        runId = run.runId;
        run.logMetrics({ seen: 1 }, { step: 1 });
        await new Promise((resolve) => run.signal.addEventListener('abort', resolve));
        return 'never';
      },
    );
    setTimeout(() => controller.abort(new Error('user pressed stop')), 200);
    const error = await pending.catch((e: unknown) => e);
    expect(AbortError.isInstance(error)).toBe(true);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('KILLED');
    expect(run.data.metrics).toEqual({ seen: 1 });
  }, 30_000);

  it('refuses bad input at the call that logs it, and a param logged twice with two values', async () => {
    const thrown = await client
      .withRun({ experimentName: unique('with-run-bad') }, (run) => {
        run.logParam('p', 'a');
        expect(() => run.logMetric('m', 1, { step: 0.5 })).toThrow(MlflowInputError);
        run.logParam('p', 'b');
      })
      .catch((e: unknown) => e);
    expect(MlflowInputError.isInstance(thrown)).toBe(true);
    expect((thrown as MlflowInputError).field).toBe('params.p');
  }, 30_000);

  it('logs artifacts of the run, and does not end it before an upload the body did not wait for', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'with-run-artifacts-'));
    try {
      const model = join(dir, 'model.bin');
      await writeFile(model, Buffer.alloc(3 * 1024 * 1024, 7));
      let runId = '';
      await client.withRun({ experimentName: unique('with-run-artifacts') }, async (run) => {
        runId = run.runId;
        void run.logArtifact(model, { artifactPath: 'model' }); // not awaited: the run waits for it
        await run.logText('hello', 'notes/readme.txt');
        await run.logDict({ lr: 0.1, layers: [4, 2] }, 'config.json');
      });
      expect((await client.getRun(runId)).info.status).toBe('FINISHED');
      const listed = await client.listArtifacts({ runId }, undefined, { recursive: true });
      expect(listed.filter((a) => !a.isDir).map((a) => [a.path, a.fileSize])).toEqual(
        expect.arrayContaining([
          ['model/model.bin', 3 * 1024 * 1024],
          ['notes/readme.txt', 5],
          ['config.json', expect.any(Number)],
        ]),
      );
      const local = await client.downloadArtifacts({ runId }, 'notes/readme.txt', { dstPath: dir });
      expect(await readFile(local, 'utf8')).toBe('hello');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("ends FAILED when an upload it started fails, and rethrows that upload's error", async () => {
    let runId = '';
    const missing = join(tmpdir(), `${unique('no-such-file')}.bin`);
    await expect(
      client.withRun({ experimentName: unique('with-run-upload-fails') }, async (run) => {
        runId = run.runId;
        run.logArtifact(missing).catch(() => {}); // the body ignores it; withRun does not
      }),
    ).rejects.toThrow(missing);
    expect((await client.getRun(runId)).info.status).toBe('FAILED');
  });
});
