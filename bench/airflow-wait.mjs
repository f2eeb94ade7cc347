// How soon `dagRuns.wait()` returns after a run ends, and what it costs in requests, on the platform's
// Airflow. Reference in the same run: Airflow's own (experimental) server-side wait, GET
// .../dagRuns/{id}/wait?interval=1, one streamed request per run. Runs alternate between the two for
// DURATION_S seconds. Targets: ours ≤ 1 s after the run's end at p50, ≤ 1 request per second on average.
// Usage: pnpm --filter @mlops/bench airflow-wait   (build first: pnpm build)   [DURATION_S=120 TASK_SECONDS=2]
import { AirflowClient } from '@mlops/airflow';
import { baseUrl, deployBenchDag, login, requireAirflow } from './airflow-common.mjs';
import { summarise, writeResults } from './lib.mjs';

const durationS = Number(process.env.DURATION_S ?? 120);
const taskSeconds = Number(process.env.TASK_SECONDS ?? 2);
const dagId = 'mlops_bench_wait';

await requireAirflow();
const setup = new AirflowClient();
const source = `"""@mlops/airflow benchmark: one task that sleeps (bench/airflow-wait.mjs)."""
from datetime import datetime, timezone
import os, time
from airflow.sdk import DAG, task

with DAG(dag_id="${dagId}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-bench"]) as dag:

    @task
    def sleep(**context):
        time.sleep(float(context["params"].get("seconds", 2)))

    sleep()
`;
const dag = await deployBenchDag(setup, dagId, source);

// Our client, counting every request it sends while waiting.
let requests = 0;
const counting = (input, init) => {
  requests++;
  return fetch(input, init);
};
const ours = new AirflowClient({ fetch: counting });
const token = await login();

const samples = { ours: [], airflow: [] };
let oursRequests = 0;
let oursWaitMs = 0;
const started = Date.now();
try {
  for (let i = 0; Date.now() - started < durationS * 1000; i++) {
    const runId = `bench_wait_${Date.now()}_${i}`;
    const run = await setup.dagRuns.trigger(dagId, { runId, conf: { seconds: taskSeconds } });
    if (i % 2 === 0) {
      requests = 0;
      const t0 = Date.now();
      const done = await ours.dagRuns.wait(run, { timeout: 600_000 });
      const returned = Date.now();
      oursRequests += requests;
      oursWaitMs += returned - t0;
      samples.ours.push(returned - Date.parse(done.end_date));
    } else {
      // Airflow's server-side wait: NDJSON lines until the run ends.
      const answer = await fetch(
        `${baseUrl}/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/wait?interval=1`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      if (!answer.ok) throw new Error(`GET .../wait answered ${answer.status}: ${await answer.text()}`);
      await answer.text();
      const returned = Date.now();
      const done = await setup.dagRuns.get(run);
      if (!['success', 'failed'].includes(done.state))
        throw new Error(`/wait returned with the run ${done.state}`);
      samples.airflow.push(returned - Date.parse(done.end_date));
    }
  }
} finally {
  if (!process.env.KEEP_DAG) dag.remove();
}

const stats = { ours: summarise(samples.ours), airflow: summarise(samples.airflow) };
const perSecond = oursRequests / (oursWaitMs / 1000);
const result = {
  benchmark: 'airflow-wait',
  runtime: `node ${process.versions.node}`,
  durationS,
  taskSeconds,
  stats,
  ours: {
    runs: samples.ours.length,
    requests: oursRequests,
    waitSeconds: oursWaitMs / 1000,
    requestsPerSecond: perSecond,
  },
  ratioP50: stats.ours.p50 / stats.airflow.p50,
};
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const markdown = [
  `dagRuns.wait() latency after the run's end, ${durationS} s of runs of a ${taskSeconds} s task, node ${process.versions.node}; shared 2-core machine under load`,
  '',
  '| contender | runs | p50 after end | p99 after end | requests |',
  '|---|---|---|---|---|',
  `| @mlops/airflow dagRuns.wait() (polls 0.5 s → 1.5 s) | ${stats.ours.n} | ${fmt(stats.ours.p50)} | ${fmt(stats.ours.p99)} | ${oursRequests} in ${(oursWaitMs / 1000).toFixed(0)} s = ${perSecond.toFixed(2)}/s |`,
  `| Airflow's GET …/wait?interval=1 (server-side, experimental) | ${stats.airflow.n} | ${fmt(stats.airflow.p50)} | ${fmt(stats.airflow.p99)} | 1 per run (streamed) |`,
].join('\n');
writeResults('airflow-wait', result, markdown);
process.stdout.write(`${markdown}\n`);
