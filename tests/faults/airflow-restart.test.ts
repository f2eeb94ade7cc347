import { AirflowClient } from '@mlops/airflow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployTempDag, tickingDagSource } from '../../packages/airflow/test/support/dags';
import { platformClient, requireAirflow, unique } from '../../packages/airflow/test/support/platform';
import { privateAirflowApi } from './support/airflow';
import { report } from './support/load';
import type { ServerProcess } from './support/processes';
import { type FaultProxy, faultProxy } from './support/toxiproxy';

// Issue 15: the Airflow API server restarted during triggerAndWait (the wait survives and returns the right
// final state), and a trigger whose answer was lost (the server committed the run, the response never came
// back) retried into exactly one run. A second API server of the platform's Airflow is the one faulted, behind
// Toxiproxy; the platform's scheduler runs the DAG meanwhile.
let api: ServerProcess & { port: number; url: string };
let proxy: FaultProxy;
let client: AirflowClient;
let ticking: Awaited<ReturnType<typeof deployTempDag>>;

beforeAll(async () => {
  await requireAirflow();
  const shared = platformClient();
  [api, ticking] = await Promise.all([
    privateAirflowApi(),
    deployTempDag(shared, 'faults_ticking', (dagId) => tickingDagSource(dagId, 20)),
  ]);
  proxy = await faultProxy('airflow-api', api.port);
  client = new AirflowClient({
    baseUrl: `http://127.0.0.1:${proxy.port}`,
    username: 'admin',
    password: 'admin',
    attemptTimeoutMs: 5_000,
  });
}, 300_000);

afterAll(async () => {
  ticking?.remove();
  await proxy?.remove();
  await api?.stop();
});

it('the API server killed and restarted during triggerAndWait: the wait goes on and returns success', async () => {
  const run = await client.dagRuns.trigger(ticking.dagId, { runId: unique('faults_restart') });
  const waiting = client.dagRuns.wait(run, { timeout: 240_000 });
  waiting.catch(() => {}); // awaited below; a rejection while the server restarts must not go unhandled meanwhile
  await new Promise((r) => setTimeout(r, 3000));
  await api.kill();
  await new Promise((r) => setTimeout(r, 2000));
  await api.start(180_000);
  const final = await waiting;
  report('airflow-api-restart-during-wait', { finalState: final.state });
  expect(final.state).toBe('success');
  expect(final.dag_run_id).toBe(run.dag_run_id);
}, 400_000);

it('a trigger whose response was lost is retried into exactly one run', async () => {
  const runId = unique('faults_lost_answer');
  const lossy = new AirflowClient({
    baseUrl: `http://127.0.0.1:${proxy.port}`,
    username: 'admin',
    password: 'admin',
    attemptTimeoutMs: 2_000,
    maxRetries: 5,
  });
  // A token first, so the answer lost is the trigger's own.
  await lossy.dags.get(ticking.dagId);
  // Requests reach the server; for 3 s no byte comes back (the first attempt times out after it was committed).
  const blackhole = await proxy.toxic('timeout', { timeout: 0 }, 'downstream');
  setTimeout(() => void blackhole(), 3000);
  const run = await lossy.dagRuns.trigger(ticking.dagId, { runId, conf: { attempt: 'lossy' } });
  expect(run.dag_run_id).toBe(runId);
  const runs: string[] = [];
  for await (const r of platformClient().dagRuns.list(ticking.dagId)) runs.push(r.dag_run_id);
  report('airflow-trigger-answer-lost', { runsCreated: runs.filter((id) => id === runId).length });
  expect(runs.filter((id) => id === runId)).toHaveLength(1);
  await client.dagRuns.wait(run, { timeout: 240_000 });
}, 400_000);
