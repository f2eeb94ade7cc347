// `mlops demo`: the whole platform end to end on the running local platform, each step printed as it goes — the
// Airflow feature pipeline fills the offline store and materializes (1); a point-in-time training set (17, 2);
// a real model trained by scikit-learn in the platform's Python and exported to ONNX, logged with its params,
// metrics, dataset and signature (3, 14); registered with alias `champion`; served from TypeScript, resolving the
// alias (15) and reading features from Redis (16); scraped by Prometheus (9); its logs in Elasticsearch (10–13).
// A failed step fails the command (exit 1); the steps that needed it are reported as skipped.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, ConnectionError, MlopsError } from '@mlops/core';
import { createEcsLogger } from '@mlops/metrics';
import { tableToIPC } from 'apache-arrow';
import type { Command } from 'commander';
import { createPlatform, type Platform, type PlatformOptions } from '../platform';
import { createPredictor, createServingApp, type ServingApp, type ServingListener } from '../serving';
import { buildTrainingSet, REFERENCE_PROFILE_ARTIFACT, registerModel, runPipeline } from '../workflows';
import type { CliContext } from './context';
import { EXIT } from './exit-codes';
import { toJson } from './json';
import { findPlatformScript } from './platform-scripts';

/** What the demo reads of the CLI's IO (a `CliIo` fits). */
export interface DemoIo {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  platformOptions?: PlatformOptions;
}

export const DEMO_STEPS = [
  'pipeline',
  'training-set',
  'train',
  'register',
  'serve',
  'prometheus',
  'logs',
] as const;
export type DemoStep = (typeof DEMO_STEPS)[number];

export interface DemoStepReport {
  step: DemoStep;
  title: string;
  status: 'ok' | 'failed' | 'skipped';
  seconds: number;
  /** One line: what the step did, or why it failed or was skipped. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
  data?: Record<string, unknown>;
}

export interface DemoReport {
  ok: boolean;
  name: string;
  demoRun: string;
  seconds: number;
  steps: DemoStepReport[];
  urls: Record<string, string>;
}

const SEED_ANCHOR = Date.parse('2026-01-01T00:00:00Z');
const DEMO_FEATURES = [
  'driver_hourly_stats:conv_rate',
  'driver_hourly_stats:acc_rate',
  'driver_hourly_stats:avg_daily_trips',
] as const;
const SEED_DRIVERS = Array.from({ length: 10 }, (_, i) => 1001 + i);
const PIPELINE_DRIVERS = [2001, 2002, 2003];
const LOG_DATA_STREAM = 'logs-mlops_demo-default';
/** What each step talks to: the components to start when it cannot reach one. */
const STEP_COMPONENTS: Record<DemoStep, string> = {
  pipeline: 'airflow',
  'training-set': 'feast mlflow',
  train: 'mlflow',
  register: 'mlflow',
  serve: 'redis mlflow',
  prometheus: 'prometheus',
  logs: 'elasticsearch',
};

class StepFailed extends MlopsError {
  readonly fix: string | undefined;
  constructor(message: string, fix?: string) {
    super(message);
    this.fix = fix;
  }
}

interface DemoOptions {
  name: string;
  json?: boolean;
  metricsPort: string;
  timeout: string;
  requests: string;
}

function positive(value: string, option: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new ConfigError(`--${option} takes a positive number; got '${value}'`, { option });
  }
  return n;
}

/** Runs a process; resolves to its stdout, rejects with its stderr's tail when it fails or outlives `timeoutMs`. */
function run(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    const abort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      if (code === 0) resolve(stdout);
      else {
        const tail = stderr.trim().split('\n').slice(-12).join('\n');
        reject(
          new StepFailed(
            `${command} ${args[0] ?? ''} ${sig ? `was killed (${sig}${sig === 'SIGKILL' ? `, after ${options.timeoutMs} ms` : ''})` : `exited with ${code}`}:\n${tail}`,
          ),
        );
      }
    });
  });
}

export function addDemoCommand(program: Command, ctx: CliContext, io: DemoIo = {}): void {
  program
    .command('demo')
    .description(
      'Run the whole local platform end to end: feature pipeline, training set, training, registry, serving, Prometheus, logs',
    )
    .option('--name <name>', 'the experiment, model and serving job name', 'mlops-demo')
    .option(
      '--metrics-port <port>',
      "where the serving app's /metrics listens: the port Prometheus scrapes",
      '9464',
    )
    .option('--requests <n>', 'most prediction requests sent (10 a second) while Prometheus scrapes', '300')
    .option('--timeout <seconds>', 'deadline of each step', '600')
    .option('--json', 'progress on stderr, then the report as JSON on stdout')
    .addHelpText(
      'after',
      `
Needs the local platform with Elasticsearch (pnpm platform up --and elasticsearch), run from a clone of @mlops
(or MLOPS_PLATFORM_DIR set): it uses platform/training/train.py and the platform's training venv. Steps: pipeline,
training-set, train, register, serve, prometheus, logs; a step whose input failed is skipped. About 2-3 minutes.

Exit codes: 0 every step passed; 1 a step failed (each failure says what to start or fix); 2 bad usage.

Examples:
  mlops demo
  mlops demo --name churn-demo --json > demo-report.json`,
    )
    .action(async (opts: DemoOptions) => {
      if (!/^[a-z][a-z0-9_-]{0,40}$/.test(opts.name)) {
        throw new ConfigError(
          `--name takes lowercase letters, digits, '-' and '_' (at most 41, starting with a letter); got '${opts.name}'`,
          { option: 'name' },
        );
      }
      const report = await runDemo(ctx, io, {
        name: opts.name,
        metricsPort: positive(opts.metricsPort, 'metrics-port'),
        requests: positive(opts.requests, 'requests'),
        timeoutMs: positive(opts.timeout, 'timeout') * 1000,
        json: opts.json ?? false,
      });
      if (opts.json) ctx.out(toJson(report));
      if (!report.ok) ctx.setExitCode(EXIT.failed);
    });
}

interface RunOptions {
  name: string;
  metricsPort: number;
  requests: number;
  timeoutMs: number;
  json: boolean;
}

async function runDemo(ctx: CliContext, io: DemoIo, options: RunOptions): Promise<DemoReport> {
  const started = performance.now();
  const env = io.env ?? process.env;
  const demoRun = `${options.name.replaceAll('-', '_')}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  // Progress goes to stdout, or to stderr under --json (stdout then carries only the report).
  const print = options.json ? ctx.err : ctx.out;
  const platformDir = dirname(dirname(findPlatformScript(io.cwd ?? process.cwd(), env)));
  const platform = createPlatform({
    ...io.platformOptions,
    feast: { repoPath: join(platformDir, 'feast'), ...io.platformOptions?.feast },
    logs: { dataStream: LOG_DATA_STREAM, flushTimeoutMs: 15_000, ...io.platformOptions?.logs },
  });
  const urls: Record<string, string> = {};
  const steps: DemoStepReport[] = [];
  const resources: Array<() => Promise<void>> = [];
  const work = await mkdtemp(join(tmpdir(), 'mlops-demo-'));

  // Every line printed is also an ECS log line shipped to Elasticsearch, labelled with this run's id.
  const shipper = platform.logs;
  const elasticsearch = platform.config.logs.elasticsearchUrl.replace(/\/$/, '');
  const logger = createEcsLogger({
    service: { name: 'mlops-demo', environment: 'local' },
    destination: shipper,
  });
  let logsReady: Promise<void> | undefined = shipper.ensureIndexTemplate().catch((error: unknown) => {
    logsReady = undefined;
    throw error;
  });
  logsReady.catch(() => {});
  const say = (step: DemoStep | 'demo', line: string) => {
    print(line);
    logger.info({ labels: { demo_run: demoRun, step } }, line.trim());
  };

  const state: {
    pipeline?: { runId: string; eventTimestamp: string };
    trainingSet?: { file: string; rows: number; runId: string; experimentId: string };
    trained?: { runId: string; modelUri: string; artifactPath: string; metrics: Record<string, number> };
    model?: { name: string; version: string };
  } = {};

  const total = DEMO_STEPS.length;
  async function step(
    name: DemoStep,
    title: string,
    needs: readonly DemoStep[],
    body: (
      line: (text: string) => void,
      signal: AbortSignal,
    ) => Promise<{ detail: string; data?: Record<string, unknown> }>,
  ): Promise<void> {
    const index = DEMO_STEPS.indexOf(name) + 1;
    say(name, `[${index}/${total}] ${title}`);
    const t0 = performance.now();
    const missing = needs.filter((n) => steps.find((s) => s.step === n)?.status !== 'ok');
    if (missing.length > 0) {
      const detail = `skipped: needs ${missing.join(', ')}`;
      say(name, `  - ${detail}`);
      steps.push({ step: name, title, status: 'skipped', seconds: 0, detail });
      return;
    }
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const { detail, data } = await body((text) => say(name, `      ${text}`), signal);
      const seconds = round((performance.now() - t0) / 1000);
      say(name, `  ✓ ${detail} (${seconds} s)`);
      steps.push({ step: name, title, status: 'ok', seconds, detail, ...(data ? { data } : {}) });
    } catch (error) {
      const seconds = round((performance.now() - t0) / 1000);
      const detail = error instanceof Error ? error.message : String(error);
      const fix =
        error instanceof StepFailed
          ? error.fix
          : ConnectionError.isInstance(error)
            ? `is the platform up? pnpm platform up ${STEP_COMPONENTS[name]}`
            : undefined;
      say(name, `  ✗ ${detail}${fix ? `\n    fix: ${fix}` : ''}`);
      steps.push({ step: name, title, status: 'failed', seconds, detail, ...(fix ? { fix } : {}) });
    }
  }

  try {
    say('demo', `mlops demo: the local platform end to end (run ${demoRun})`);

    await step(
      'pipeline',
      'Airflow runs the feature pipeline: offline store, then materialize into Redis',
      [],
      async (line, signal) => {
        const runId = `${demoRun}__feature_pipeline`;
        urls.airflow = `${platform.config.airflow.baseUrl}/dags/feature_pipeline/runs/${runId}`;
        const result = await runPipeline(platform, 'feature_pipeline', {
          runId,
          conf: { triggered_by: 'mlops demo', demo_run: demoRun },
          timeoutMs: options.timeoutMs,
          signal,
          onProgress: (event) => {
            if (event.phase !== 'tasks') return;
            for (const c of event.changes) {
              const from = c.from ?? 'none';
              const to = c.to ?? 'none';
              if (from !== to) line(`${c.taskId}: ${from} -> ${to}`);
            }
          },
        });
        // The leaf task (materialize) returns nothing: what write_offline_features returned is read by task id.
        const { value } = await platform.airflow.xcoms.get<{ rows: number; event_timestamp: string }>(
          'feature_pipeline',
          result.run.dag_run_id,
          'write_offline_features',
          { signal },
        );
        state.pipeline = { runId: result.run.dag_run_id, eventTimestamp: value.event_timestamp };
        return {
          detail: `feature_pipeline/${result.run.dag_run_id} ${result.run.state}: ${value.rows} rows written to PostgreSQL at ${value.event_timestamp}, materialized into Redis`,
          data: { runId: result.run.dag_run_id, rows: value.rows, eventTimestamp: value.event_timestamp },
        };
      },
    );

    await step(
      'training-set',
      'A point-in-time training set from the offline store, logged to MLflow',
      ['pipeline'],
      async (line, signal) => {
        const experimentId = await experimentFor(platform, options.name, signal);
        const mlrun = await platform.mlflow.createRun(experimentId, {
          runName: demoRun,
          tags: { 'mlops.demo_run': demoRun },
          signal,
        });
        const runId = mlrun.info.runId;
        urls.mlflowRun = `${platform.config.mlflow.trackingUri}/#/experiments/${experimentId}/runs/${runId}`;
        // Ten seed drivers every 2 hours over the seed's last 6 days, and the pipeline's drivers just after its write.
        const hour = 3_600_000;
        const moments = Array.from({ length: 72 }, (_, k) => new Date(SEED_ANCHOR - k * 2 * hour));
        const fresh = new Date(Date.parse(state.pipeline!.eventTimestamp) + 1000);
        const built = await buildTrainingSet(platform, {
          features: DEMO_FEATURES,
          entityDf: {
            driver_id: [...SEED_DRIVERS.flatMap((d) => moments.map(() => d)), ...PIPELINE_DRIVERS],
            event_timestamp: [...SEED_DRIVERS.flatMap(() => moments), ...PIPELINE_DRIVERS.map(() => fresh)],
          },
          run: runId,
          datasetName: `${options.name}-drivers`,
          signal,
        });
        const file = join(work, 'training-set.arrow');
        await writeFile(file, tableToIPC(built.table, 'file'));
        line(`${built.table.numRows} rows × ${built.table.numCols} columns → ${file}`);
        line(
          `dataset ${built.dataset.name} (digest ${built.dataset.digest}) and ${REFERENCE_PROFILE_ARTIFACT} logged`,
        );
        state.trainingSet = { file, rows: built.table.numRows, runId, experimentId };
        return {
          detail: `${built.table.numRows} rows (features as of each row's time) in MLflow run ${runId}`,
          data: {
            rows: built.table.numRows,
            runId,
            experimentId,
            dataset: built.dataset.name,
            digest: built.dataset.digest,
          },
        };
      },
    );

    await step(
      'train',
      'Train a scikit-learn classifier in the platform Python, export it to ONNX, log it',
      ['training-set'],
      async (line, signal) => {
        const python = join(platformDir, '.state/venvs/training/bin/python');
        if (!existsSync(python)) {
          throw new StepFailed(
            `no training venv at ${python}`,
            'pnpm platform up mlflow (it builds the training venv)',
          );
        }
        const stdout = await run(
          python,
          [
            join(platformDir, 'training/train.py'),
            '--input',
            state.trainingSet!.file,
            '--run-id',
            state.trainingSet!.runId,
            '--derive-label',
            '--tracking-uri',
            platform.config.mlflow.trackingUri,
          ],
          { env: { ...process.env, ...env }, timeoutMs: options.timeoutMs, signal },
        );
        const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
          run_id: string;
          model_uri: string;
          artifact_path: string;
          rows: number;
          metrics: Record<string, number>;
        };
        for (const [k, v] of Object.entries(result.metrics)) line(`${k} = ${round(v, 4)}`);
        state.trained = {
          runId: result.run_id,
          modelUri: result.model_uri,
          artifactPath: result.artifact_path,
          metrics: result.metrics,
        };
        return {
          detail: `logistic regression on ${result.rows} rows, test accuracy ${round(result.metrics.test_accuracy ?? Number.NaN, 3)}; ONNX model ${result.model_uri} with its signature`,
          data: { modelUri: result.model_uri, metrics: result.metrics },
        };
      },
    );

    await step(
      'register',
      `Register the model as '${options.name}', validate it, point 'champion' at it`,
      ['train'],
      async (line, signal) => {
        const name = options.name;
        const minAccuracy = 0.7;
        const registered = await registerModel(platform, {
          runId: state.trained!.runId,
          artifactPath: state.trained!.artifactPath,
          name,
          alias: 'champion',
          tags: { 'mlops.demo_run': demoRun },
          // The holdout score train.py logged must clear the bar, or the alias stays where it was.
          validate: async () => {
            const accuracy = state.trained!.metrics.test_accuracy ?? 0;
            return { ok: accuracy >= minAccuracy, details: { test_accuracy: accuracy, min: minAccuracy } };
          },
          timeoutMs: options.timeoutMs,
          signal,
          onProgress: (event) => {
            if (event.phase === 'created') line(`version ${event.version} created from ${event.source}`);
            else if (event.phase === 'ready') line(`version ${event.version} READY`);
            else if (event.phase === 'validated')
              line(`validation (test accuracy >= ${minAccuracy}): ${event.ok ? 'passed' : 'failed'}`);
            else if (event.phase === 'alias-moved') line(`champion: ${event.from ?? 'none'} -> ${event.to}`);
          },
        });
        const version = registered.version.version;
        state.model = { name, version };
        urls.mlflowModel = `${platform.config.mlflow.trackingUri}/#/models/${encodeURIComponent(name)}/versions/${version}`;
        return {
          detail: `models:/${name}@champion -> version ${version}`,
          data: { name, version, previous: registered.previousAliasVersion ?? null },
        };
      },
    );

    let traffic: { stop(): Promise<number> } | undefined;
    await step(
      'serve',
      'Serve champion from TypeScript: features from Redis, the ONNX model in process',
      ['register'],
      async (line, signal) => {
        const predictor = await createPredictor(platform, {
          model: `models:/${options.name}@champion`,
          features: DEMO_FEATURES,
          entityKeys: ['driver_id'],
          refreshIntervalMs: 0,
          signal,
        });
        resources.push(() => predictor.close());
        const served = predictor.model;
        line(
          `resolved models:/${options.name}@champion -> version ${served.version} (${served.flavor}, inputs ${served.inputs.join(', ')})`,
        );
        const app = createServingApp(predictor);
        const listener = await listenWhenFree(app, options.metricsPort, signal, line);
        resources.push(() => listener.close());
        const ids = [...SEED_DRIVERS.slice(0, 5), ...PIPELINE_DRIVERS];
        const response = await fetch(`${listener.url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ rows: ids.map((driver_id) => ({ driver_id })) }),
          signal,
        });
        const answer = (await response.json()) as {
          predictions?: Array<Record<string, unknown>>;
          model?: { version: string };
          error?: { message: string };
        };
        if (!response.ok || !answer.predictions) {
          throw new StepFailed(
            `POST /predict answered ${response.status}: ${answer.error?.message ?? JSON.stringify(answer)}`,
          );
        }
        for (const [i, p] of answer.predictions.entries()) line(`driver ${ids[i]}: ${describePrediction(p)}`);
        // Traffic for Prometheus to see: one request every 100 ms until the next step has its numbers.
        traffic = startTraffic(`${listener.url}/predict`, options.requests);
        return {
          detail: `${answer.predictions.length} predictions from version ${answer.model?.version ?? served.version} at ${listener.url}`,
          data: { url: listener.url, version: served.version, predictions: answer.predictions },
        };
      },
    );

    await step(
      'prometheus',
      'Prometheus scrapes the serving app: request rate and latency',
      ['serve'],
      async (line, signal) => {
        const selector = `model_name="${options.name}",model_version="${state.model!.version}"`;
        const rateQuery = `sum(rate(mlops_inference_requests_total{${selector}}[30s]))`;
        const quantile = (q: number) =>
          `histogram_quantile(${q}, sum by (le) (rate(mlops_inference_request_duration_seconds_bucket{${selector}}[30s])))`;
        const prometheus = platform.prometheus;
        const scalar = async (query: string): Promise<number | undefined> => {
          const answer = await prometheus.query(query, { signal });
          if (answer.resultType !== 'vector') return undefined;
          const value = answer.result[0]?.value?.[1];
          return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
        };
        line(`waiting for two scrapes of :${options.metricsPort}/metrics (job "serving", every 5 s)`);
        let rate: number | undefined;
        let p50: number | undefined;
        let p99: number | undefined;
        while (rate === undefined || p50 === undefined || p99 === undefined) {
          signal.throwIfAborted();
          await new Promise((r) => setTimeout(r, 1000));
          [rate, p50, p99] = await Promise.all([
            scalar(rateQuery),
            scalar(quantile(0.5)),
            scalar(quantile(0.99)),
          ]);
        }
        const sent = await traffic!.stop();
        line(`${rateQuery} = ${round(rate, 2)} requests/s`);
        line(`p50 ${round(p50 * 1000, 2)} ms, p99 ${round(p99 * 1000, 2)} ms (histogram_quantile over 30 s)`);
        urls.prometheus = `${platform.config.metrics.prometheusUrl}/graph?g0.expr=${encodeURIComponent(rateQuery)}&g0.tab=0`;
        return {
          detail: `${round(rate, 2)} requests/s, p50 ${round(p50 * 1000, 2)} ms, p99 ${round(p99 * 1000, 2)} ms`,
          data: { rate, p50Seconds: p50, p99Seconds: p99, requestsSent: sent, query: rateQuery },
        };
      },
    );
    await traffic?.stop();
    for (const close of resources.splice(0).reverse()) await close().catch(() => {});

    await step(
      'logs',
      "Ship the demo's logs to Elasticsearch and count them back",
      [],
      async (line, signal) => {
        if (!logsReady) await shipper.ensureIndexTemplate();
        await logsReady;
        await shipper.flush();
        const shipped = shipper.stats().shipped;
        await fetch(`${elasticsearch}/${LOG_DATA_STREAM}/_refresh`, { method: 'POST', signal });
        const response = await fetch(
          `${elasticsearch}/${LOG_DATA_STREAM}/_count?q=${encodeURIComponent(`labels.demo_run:${demoRun}`)}`,
          { signal },
        );
        if (!response.ok)
          throw new StepFailed(`Elasticsearch _count answered ${response.status}: ${await response.text()}`);
        const { count } = (await response.json()) as { count: number };
        line(`${shipped} lines shipped, ${count} found with labels.demo_run:${demoRun}`);
        urls.logs = `${elasticsearch}/${LOG_DATA_STREAM}/_search?q=labels.demo_run:${demoRun}&sort=@timestamp`;
        if (count !== shipped)
          throw new StepFailed(`shipped ${shipped} log lines but Elasticsearch counts ${count}`);
        return {
          detail: `${count} ECS log lines in ${LOG_DATA_STREAM}`,
          data: { shipped, count, dataStream: LOG_DATA_STREAM },
        };
      },
    );
  } finally {
    for (const close of resources.splice(0).reverse()) await close().catch(() => {});
    // Closing the platform ships what is still queued (the lines printed since the count).
    await platform.close().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }

  const ok = steps.every((s) => s.status === 'ok');
  const seconds = round((performance.now() - started) / 1000);
  print('');
  print(`${ok ? 'Done' : 'FAILED'} in ${seconds} s: ${steps.map((s) => `${s.step} ${s.status}`).join(', ')}`);
  for (const s of steps.filter((x) => x.status === 'failed')) {
    print(`  ${s.step}: ${s.detail.split('\n')[0]}${s.fix ? ` — fix: ${s.fix}` : ''}`);
  }
  if (Object.keys(urls).length > 0) {
    print('Look at:');
    for (const [what, url] of Object.entries(urls)) print(`  ${what.padEnd(12)} ${url}`);
  }
  return { ok, name: options.name, demoRun, seconds, steps, urls };
}

async function experimentFor(platform: Platform, name: string, signal: AbortSignal): Promise<string> {
  const existing = await platform.mlflow.getExperimentByName(name, { signal });
  if (existing) return existing.experimentId;
  return platform.mlflow.createExperiment(name, { signal });
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function describePrediction(p: Record<string, unknown>): string {
  return Object.entries(p)
    .map(
      ([k, v]) =>
        `${k} ${Array.isArray(v) ? `[${v.map((x) => (typeof x === 'number' ? round(x, 3) : String(x))).join(', ')}]` : String(v)}`,
    )
    .join(', ');
}

/** Listens on `port`, waiting while another process holds it (a serving test, an earlier demo) until `signal`. */
async function listenWhenFree(
  app: ServingApp,
  port: number,
  signal: AbortSignal,
  line: (text: string) => void,
): Promise<ServingListener> {
  let told = false;
  for (;;) {
    try {
      return await app.listen(port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (signal.aborted) {
        throw new StepFailed(
          `port ${port} stayed in use`,
          `stop what listens on 127.0.0.1:${port} (Prometheus scrapes that port as job "serving") or pass --metrics-port`,
        );
      }
      if (!told) line(`port ${port} is in use (another serving app?): waiting for it`);
      told = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Sends one prediction request every 100 ms, cycling over the seed drivers, at most `max` in all, until stopped. */
function startTraffic(url: string, max: number): { stop(): Promise<number> } {
  let sent = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && sent < max) {
      const driver_id = SEED_DRIVERS[sent % SEED_DRIVERS.length];
      sent++;
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ driver_id }] }),
      })
        .then((r) => r.arrayBuffer())
        .catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return sent;
    },
  };
}
