import { MlflowBufferFullError, MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { report } from './support/load';
import { privateMlflow } from './support/mlflow';
import type { ServerProcess } from './support/processes';

// Issue 15: MLflow killed (SIGKILL, its whole process group) for several seconds and restarted while a withRun
// logs metrics, with the client's default retries (2, about 1.5 s: far shorter than the outage). withRun keeps
// what it logged across the outage and sends it when the server is back; a batch whose answer was lost is read
// back before it is sent again, so none is stored twice. After the run, the server holds every metric exactly
// once (counted back) and the run ended FINISHED. Short form: 20k metrics; FAULTS_PROFILE=long
// (bench/faults.mjs): 100k.
const METRICS = process.env.FAULTS_PROFILE === 'long' ? 100_000 : 20_000;
/** How long MLflow stays dead before it is started again (its start takes several seconds more). */
const DOWN_MS = 3000;

let mlflow: ServerProcess & { port: number; url: string };

beforeAll(async () => {
  mlflow = await privateMlflow();
}, 180_000);

afterAll(async () => {
  await mlflow?.stop();
});

it(`MLflow killed and restarted during a withRun logging ${METRICS} metrics: each stored exactly once, run FINISHED`, async () => {
  // The client's default retry budget: the outage (down DOWN_MS, then MLflow's start, several seconds more) is
  // ridden out by withRun itself (outageTimeoutMs, default 5 minutes).
  const client = new MlflowClient({ trackingUri: mlflow.url });
  let killedAt = -1;
  let killedTime = 0;
  let backpressured = 0;
  let restarted: Promise<number> | undefined;
  const runId = await client.withRun(
    {
      experimentName: `faults-${process.pid}`,
      runName: 'restart-mid-run',
      batchSize: 1000,
      flushIntervalMs: 50,
    },
    async (run) => {
      for (let step = 0; step < METRICS; step++) {
        const point = { step, timestamp: 1_700_000_000_000 + step };
        try {
          run.logMetric('loss', 1 / (step + 1), point);
        } catch (error) {
          // The documented backpressure: a full buffer (maxBufferedMetrics) refuses the call; wait for room.
          if (!MlflowBufferFullError.isInstance(error)) throw error;
          backpressured++;
          await run.flush();
          run.logMetric('loss', 1 / (step + 1), point);
        }
        if (step === Math.floor(METRICS / 3)) {
          killedAt = step;
          await mlflow.kill();
          killedTime = Date.now();
          // Logging goes on while the server is down: the values wait in the run's buffer.
          restarted = new Promise<void>((r) => setTimeout(r, DOWN_MS))
            .then(() => mlflow.start(120_000))
            .then(() => Date.now());
        }
        if (step % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      return run.runId;
    },
  );
  expect(killedAt).toBeGreaterThan(0);
  // The outage was far longer than the client's own retries (about 1.5 s).
  const outageMs = (await restarted!) - killedTime;
  expect(outageMs).toBeGreaterThan(DOWN_MS);
  const steps: number[] = [];
  for await (const point of client.getMetricHistory(runId, 'loss')) steps.push(point.step);
  steps.sort((a, b) => a - b);
  const duplicates = steps.filter((step, i) => i > 0 && steps[i - 1] === step).length;
  report('mlflow-restart-during-withRun', {
    logged: METRICS,
    stored: steps.length,
    duplicates,
    killedAtStep: killedAt,
    outageMs,
    backpressured,
  });
  expect({ stored: steps.length, duplicates }).toEqual({ stored: METRICS, duplicates: 0 });
  expect(steps[0]).toBe(0);
  expect(steps.at(-1)).toBe(METRICS - 1);
  expect((await client.getRun(runId)).info.status).toBe('FINISHED');
}, 300_000);
