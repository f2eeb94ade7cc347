// @mlops/mlflow tracking against the platform's real MLflow (:5000), as ratios in one interleaved run:
//  1. logBatch of METRICS (100k) metrics into one run: ours vs Python's MlflowClient.log_batch vs raw fetch
//     of the same requests (1,000 metrics each, one after the other). Targets: ≤ 1.1× raw fetch, ≥ 1.5×
//     faster than Python.
//  2. searchRuns of RUNS (10k) runs through the iterator (1,000 per page): ours vs Python's search_runs
//     following page tokens vs raw fetch of the same pages. Target: ≥ 1.5× faster than Python.
// Usage: pnpm build && pnpm --filter @mlops/bench mlflow-tracking
//        [METRICS=100000] [RUNS=10000] [ROUNDS=3] [SEARCH_ROUNDS=5] [CONCURRENCY=2] [PARTS=log,search]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MlflowClient } from '@mlops/mlflow';
import { interleave, summarise, writeResults } from './lib.mjs';

const trackingUri = process.env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:5000';
const METRICS = Number(process.env.METRICS ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SEARCH_ROUNDS = Number(process.env.SEARCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 2);
const PARTS = new Set((process.env.PARTS ?? 'log,search').split(','));
const root = fileURLToPath(new URL('..', import.meta.url));
const stateDir = fileURLToPath(new URL('./.state/', import.meta.url));
const python = `${root}platform/.state/venvs/mlflow/bin/python`;

if ((await fetch(`${trackingUri}/health`).catch(() => undefined))?.ok !== true)
  throw new Error(`MLflow is not running at ${trackingUri}: bash platform/bin/platform up mlflow`);
if (!existsSync(python)) throw new Error(`No MLflow venv at ${python}: bash platform/bin/platform up mlflow`);

const client = new MlflowClient({ trackingUri });

/** Python's MlflowClient in one long-lived process (mlflow_tracking_python.py). */
async function startPython() {
  const child = spawn(
    python,
    [fileURLToPath(new URL('./mlflow_tracking_python.py', import.meta.url)), trackingUri],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (!JSON.parse(first.value).ready) throw new Error('Python did not start');
  return {
    async call(op, args) {
      child.stdin.write(`${JSON.stringify({ op, args })}\n`);
      const answer = JSON.parse((await lines.next()).value);
      if (answer.error) throw new Error(answer.error);
      return answer;
    },
    close: () => child.stdin.end(),
  };
}
const py = await startPython();

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const results = { benchmark: 'mlflow-tracking', runtime: `node ${process.versions.node}`, trackingUri };
const tables = [];

if (PARTS.has('log')) {
  const experimentId = await client.createExperiment(`bench-log-batch-${Date.now().toString(36)}`);
  const base = Date.now();
  // The same metrics for every contender: 10 keys, steps 0..n-1.
  const metrics = Array.from({ length: METRICS }, (_, i) => ({
    key: `m${i % 10}`,
    value: i * 0.5,
    timestamp: base + i,
    step: i,
  }));
  const freshRun = async () => (await client.createRun(experimentId)).info.runId;
  // Raw fetch: the very requests @mlops/mlflow sends (1,000 metrics each), one after the other.
  const rawChunks = [];
  for (let i = 0; i < metrics.length; i += 1000) rawChunks.push(metrics.slice(i, i + 1000));
  const pythonMs = [];
  const timed = { ours: [], raw: [] };
  const contenders = {
    '@mlops/mlflow logBatch': async () => {
      const runId = await freshRun();
      const started = performance.now();
      await client.logBatch(runId, { metrics }, { concurrency: CONCURRENCY });
      timed.ours.push(performance.now() - started);
    },
    'raw fetch (same requests, sequential)': async () => {
      const runId = await freshRun();
      const started = performance.now();
      for (const chunk of rawChunks) {
        const response = await fetch(`${trackingUri}/api/2.0/mlflow/runs/log-batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ run_id: runId, metrics: chunk }),
        });
        if (!response.ok) throw new Error(`log-batch answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
      timed.raw.push(performance.now() - started);
    },
    'Python MlflowClient.log_batch': async () => {
      const { ms } = await py.call('log_batch', { experiment_id: experimentId, n: METRICS, timestamp: base });
      pythonMs.push(ms);
    },
  };
  await interleave(contenders, { rounds: ROUNDS, warmup: 0 });
  const stats = {
    '@mlops/mlflow logBatch': summarise(timed.ours),
    'raw fetch (same requests, sequential)': summarise(timed.raw),
    'Python MlflowClient.log_batch': summarise(pythonMs),
  };
  const ours = stats['@mlops/mlflow logBatch'].p50;
  const raw = stats['raw fetch (same requests, sequential)'].p50;
  const pyP50 = stats['Python MlflowClient.log_batch'].p50;
  results.logBatch = {
    metrics: METRICS,
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    stats,
    oursOverRaw: ours / raw,
    pythonOverOurs: pyP50 / ours,
  };
  tables.push(
    [
      `logBatch of ${METRICS} metrics into one run (${ROUNDS} interleaved rounds, median; @mlops/mlflow concurrency ${CONCURRENCY})`,
      '',
      '| contender | median | ratio to raw fetch |',
      '|---|---|---|',
      ...Object.entries(stats).map(
        ([name, s]) => `| ${name} | ${fmt(s.p50)} | ${(s.p50 / raw).toFixed(2)}× |`,
      ),
      '',
      `ours / raw fetch = ${(ours / raw).toFixed(2)}× (target ≤ 1.1×); Python / ours = ${(pyP50 / ours).toFixed(2)}× (target ≥ 1.5×)`,
    ].join('\n'),
  );
}

if (PARTS.has('search')) {
  // One experiment of RUNS runs, made once and reused (bench/.state/mlflow-tracking.json).
  mkdirSync(stateDir, { recursive: true });
  const statePath = `${stateDir}mlflow-tracking.json`;
  let experimentId;
  const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
  if (state.runs === RUNS && state.trackingUri === trackingUri) {
    const found = await client.getExperiment(state.experimentId).catch(() => undefined);
    if (found?.lifecycleStage === 'active') experimentId = state.experimentId;
  }
  if (!experimentId) {
    experimentId = await client.createExperiment(`bench-search-runs-${RUNS}-${Date.now().toString(36)}`);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < RUNS) {
          const i = next++;
          await client.createRun(experimentId, {
            runName: `run-${i}`,
            tags: { i: String(i), parity: i % 2 ? 'odd' : 'even', team: 'bench' },
          });
        }
      }),
    );
    process.stderr.write(`made ${RUNS} runs in ${fmt(performance.now() - started)}\n`);
    writeFileSync(statePath, JSON.stringify({ experimentId, runs: RUNS, trackingUri }));
  }
  const counts = {};
  const timed = { ours: [], raw: [], python: [] };
  const contenders = {
    '@mlops/mlflow searchRuns (for await)': async () => {
      const started = performance.now();
      let n = 0;
      for await (const _ of client.searchRuns(experimentId, { pageSize: 1000 })) n++;
      timed.ours.push(performance.now() - started);
      counts.ours = n;
    },
    'raw fetch + JSON.parse (same pages)': async () => {
      const started = performance.now();
      let n = 0;
      let token;
      do {
        const response = await fetch(`${trackingUri}/api/2.0/mlflow/runs/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            experiment_ids: [experimentId],
            max_results: 1000,
            ...(token ? { page_token: token } : {}),
          }),
        });
        const body = JSON.parse(await response.text());
        n += body.runs?.length ?? 0;
        token = body.next_page_token;
      } while (token);
      timed.raw.push(performance.now() - started);
      counts.raw = n;
    },
    'Python MlflowClient.search_runs (page tokens)': async () => {
      const { ms, count } = await py.call('search_runs', { experiment_id: experimentId, page_size: 1000 });
      timed.python.push(ms);
      counts.python = count;
    },
  };
  await interleave(contenders, { rounds: SEARCH_ROUNDS, warmup: 1 });
  if (counts.ours !== RUNS || counts.raw !== RUNS || counts.python !== RUNS)
    throw new Error(`search counts differ from ${RUNS}: ${JSON.stringify(counts)}`);
  const stats = {
    '@mlops/mlflow searchRuns (for await)': summarise(timed.ours),
    'raw fetch + JSON.parse (same pages)': summarise(timed.raw),
    'Python MlflowClient.search_runs (page tokens)': summarise(timed.python),
  };
  const ours = stats['@mlops/mlflow searchRuns (for await)'].p50;
  const raw = stats['raw fetch + JSON.parse (same pages)'].p50;
  const pyP50 = stats['Python MlflowClient.search_runs (page tokens)'].p50;
  results.searchRuns = {
    runs: RUNS,
    rounds: SEARCH_ROUNDS,
    stats,
    oursOverRaw: ours / raw,
    pythonOverOurs: pyP50 / ours,
  };
  tables.push(
    [
      `searchRuns of ${RUNS} runs, 1,000 per page (${SEARCH_ROUNDS} interleaved rounds, median)`,
      '',
      '| contender | median | ratio to raw fetch |',
      '|---|---|---|',
      ...Object.entries(stats).map(
        ([name, s]) => `| ${name} | ${fmt(s.p50)} | ${(s.p50 / raw).toFixed(2)}× |`,
      ),
      '',
      `ours / raw fetch = ${(ours / raw).toFixed(2)}×; Python / ours = ${(pyP50 / ours).toFixed(2)}× (target ≥ 1.5×)`,
    ].join('\n'),
  );
}
py.close();

const markdown = [
  `MLflow tracking, node ${process.versions.node}, against ${trackingUri}`,
  '',
  ...tables.flatMap((t) => [t, '']),
].join('\n');
writeResults('mlflow-tracking', results, markdown);
process.stdout.write(`${markdown}\n`);
