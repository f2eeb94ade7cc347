// Listing 10k task instances through @mlops/airflow's iterator vs the Python apache-airflow-client, on the
// platform's Airflow (same server, same data, interleaved rounds). Target: ours ≥ 1.5× faster.
// Usage: pnpm --filter @mlops/bench airflow-list   (build first: pnpm build)
//   TIS=10000 (task instances to list)  TASKS_PER_RUN=1000  ROUNDS=3  KEEP_DAG=1 (leave the DAG file in place)
import { AirflowClient } from '@mlops/airflow';
import { deployBenchDag, login, requireAirflow, runPython } from './airflow-common.mjs';
import { summarise, writeResults } from './lib.mjs';

const tis = Number(process.env.TIS ?? 10_000);
const perRun = Number(process.env.TASKS_PER_RUN ?? 1000);
const rounds = Number(process.env.ROUNDS ?? 3);
const runs = Math.ceil(tis / perRun);
const dagId = `mlops_bench_tasks_${perRun}`;

await requireAirflow();
const client = new AirflowClient();
// EmptyOperators with no callbacks and no outlets are marked success by the scheduler without running:
// thousands of real task instances in a few seconds, no worker load.
const source = `"""@mlops/airflow benchmark: ${perRun} EmptyOperator tasks per run (bench/airflow-list.mjs)."""
from datetime import datetime, timezone
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="${dagId}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, max_active_runs=4, tags=["mlops-bench"]) as dag:
    for i in range(${perRun}):
        EmptyOperator(task_id=f"t{i:05d}")
`;
const started = Date.now();
const dag = await deployBenchDag(client, dagId, source);
try {
  const existing = await client.dagRuns.list(dagId, { state: ['success'] }).toArray();
  const missing = runs - existing.length;
  if (missing > 0) {
    process.stderr.write(`creating ${missing} runs of ${dagId} (${perRun} task instances each)…\n`);
    const triggered = [];
    for (let i = 0; i < missing; i++)
      triggered.push(await client.dagRuns.trigger(dagId, { runId: `bench_${Date.now()}_${i}` }));
    for (const run of triggered) await client.dagRuns.wait(run, { timeout: 1_800_000 });
  }
  // Every task instance of the DAG is listed ('~' runs): at least `tis`, the same count for every contender.
  const token = await login();
  const listClient = new AirflowClient({ token });
  let expected = 0;
  for await (const _ti of listClient.taskInstances.list(dagId, '~')) expected++; // also the warm-up
  process.stderr.write(
    `setup ${((Date.now() - started) / 1000).toFixed(0)} s; listing ${expected} task instances × ${rounds} rounds\n`,
  );
  const contenders = {
    '@mlops/airflow for await': async () => {
      let count = 0;
      const t0 = performance.now();
      for await (const _ti of listClient.taskInstances.list(dagId, '~')) count++;
      return { ms: performance.now() - t0, count };
    },
    'apache-airflow-client get_task_instances (pages of 100)': async () =>
      runPython(['list', listClient.config.baseUrl, token, dagId, 'offset']),
    'apache-airflow-client (batch endpoint, pages of 1000)': async () =>
      runPython(['list', listClient.config.baseUrl, token, dagId, 'batch']),
  };
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const names = Object.keys(contenders);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const { ms, count } = await contenders[name]();
      if (count !== expected) throw new Error(`${name} listed ${count} task instances, expected ${expected}`);
      samples[name].push(ms);
    }
  }
  const stats = Object.fromEntries(
    Object.entries(samples).map(([n, s]) => [n, { ...summarise(s), min: Math.min(...s) }]),
  );
  const ours = stats[names[0]];
  const result = {
    benchmark: 'airflow-list',
    runtime: `node ${process.versions.node}`,
    taskInstances: expected,
    rounds,
    stats,
    speedup: { vsGetPages: stats[names[1]].p50 / ours.p50, vsBatch: stats[names[2]].p50 / ours.p50 },
  };
  const markdown = [
    `Listing ${expected} task instances of ${dagId} (Airflow 3.3.2), node ${process.versions.node}, ${rounds} interleaved rounds; shared 2-core machine under load`,
    '',
    '| contender | p50 | min | speed-up of @mlops/airflow (p50) |',
    '|---|---|---|---|',
    ...names.map(
      (n) =>
        `| ${n} | ${(stats[n].p50 / 1000).toFixed(2)} s | ${(stats[n].min / 1000).toFixed(2)} s | ${n === names[0] ? '—' : `${(stats[n].p50 / ours.p50).toFixed(2)}×`} |`,
    ),
  ].join('\n');
  writeResults('airflow-list', result, markdown);
  process.stdout.write(`${markdown}\n`);
} finally {
  if (!process.env.KEEP_DAG) dag.remove();
}
