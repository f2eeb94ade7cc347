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
import { ConfigError, MlopsError } from '@mlops/core';
import { createEcsLogger, LogShipper } from '@mlops/metrics';
import { tableToIPC } from 'apache-arrow';
import type { Command } from 'commander';
import { createPlatform, type Platform, type PlatformOptions } from '../platform';
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
    .option('--requests <n>', 'prediction requests sent to the serving app', '40')
    .option('--timeout <seconds>', 'deadline of each step', '600')
    .option('--json', 'progress on stderr, then the report as JSON on stdout')
    .addHelpText(
      'after',
      '\nNeeds the local platform with Elasticsearch: pnpm platform up --and elasticsearch\n\nExamples:\n  mlops demo\n  mlops demo --name my-demo --json',
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
  });
  const urls: Record<string, string> = {};
  const steps: DemoStepReport[] = [];
  const work = await mkdtemp(join(tmpdir(), 'mlops-demo-'));

  // Every line printed is also an ECS log line shipped to Elasticsearch, labelled with this run's id.
  const elasticsearchUrl = platform.config.metrics.elasticsearchUrl ?? 'http://127.0.0.1:9200';
  const shipper = new LogShipper({ elasticsearchUrl, dataStream: LOG_DATA_STREAM, flushTimeoutMs: 20_000 });
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
      const fix = error instanceof StepFailed ? error.fix : undefined;
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
        const result = await platform.airflow.dagRuns.triggerAndWait('feature_pipeline', {
          runId,
          conf: { triggered_by: 'mlops demo', demo_run: demoRun },
          timeout: options.timeoutMs,
          signal,
          onProgress: ({ changes }) => {
            for (const c of changes) {
            if (c.from !== c.to) line(`${c.taskId}: ${c.from ?? 'none'} -> ${c.to ?? 'none'}`);
          }
          },
        });
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
        const entityDf = {
          driver_id: [...SEED_DRIVERS.flatMap((d) => moments.map(() => d)), ...PIPELINE_DRIVERS],
          event_timestamp: [...SEED_DRIVERS.flatMap(() => moments), ...PIPELINE_DRIVERS.map(() => fresh)],
        };
        const job = await platform.feast.getHistoricalFeatures({ entityDf, features: DEMO_FEATURES });
        const table = await job.toArrow({ signal });
        const file = join(work, 'training-set.arrow');
        await writeFile(file, tableToIPC(table, 'file'));
        line(`${table.numRows} rows × ${table.numCols} columns → ${file}`);
        state.trainingSet = { file, rows: table.numRows, runId, experimentId };
        return {
          detail: `${table.numRows} rows (features as of each row's time) in MLflow run ${runId}`,
          data: { rows: table.numRows, runId, experimentId },
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
          { env: { ...env }, timeoutMs: options.timeoutMs, signal },
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
          detail: `logistic regression on ${result.rows} rows, test accuracy ${round(result.metrics.test_accuracy ?? Number.NaN, 3)}; ONNX model ${result.model_uri}`,
          data: { modelUri: result.model_uri, metrics: result.metrics },
        };
      },
    );

    await step(
      'register',
      `Register the model as '${options.name}' and point 'champion' at it`,
      ['train'],
      async (line, signal) => {
        const name = options.name;
        await platform.mlflow.createRegisteredModel(name, {}, { signal }).catch((error: unknown) => {
          if (!(MlopsError.isInstance(error) && 'status' in error && error.status === 400)) throw error;
        });
        const created = await platform.mlflow.createModelVersion(
          name,
          state.trained!.modelUri,
          { runId: state.trained!.runId },
          { signal },
        );
        let version = created;
        const deadline = Date.now() + options.timeoutMs;
        while (version.status !== 'READY') {
          if (version.status === 'FAILED_REGISTRATION' || Date.now() > deadline) {
            throw new StepFailed(
              `model version ${name}/${version.version} is ${version.status}: ${version.statusMessage ?? ''}`,
            );
          }
          await new Promise((r) => setTimeout(r, 250));
          version = await platform.mlflow.getModelVersion(name, version.version, { signal });
        }
        line(`version ${version.version} READY`);
        await platform.mlflow.setRegisteredModelAlias(name, 'champion', version.version, { signal });
        state.model = { name, version: version.version };
        urls.mlflowModel = `${platform.config.mlflow.trackingUri}/#/models/${encodeURIComponent(name)}/versions/${version.version}`;
        return {
          detail: `models:/${name}@champion → version ${version.version}`,
          data: { name, version: version.version },
        };
      },
    );

    await step(
      'serve',
      'Serve champion from TypeScript: features from Redis, ONNX in process',
      ['register'],
      async () => {
        throw new StepFailed('not yet wired');
      },
    );

    await step(
      'prometheus',
      'Prometheus scrapes the serving app: request rate and latency',
      ['serve'],
      async () => {
        throw new StepFailed('not yet wired');
      },
    );

    await step(
      'logs',
      "Ship the demo's logs to Elasticsearch and count them back",
      [],
      async (line, signal) => {
        if (!logsReady) await shipper.ensureIndexTemplate();
        await logsReady;
        const elasticsearch = elasticsearchUrl.replace(/\/$/, '');
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
        if (count < shipped)
          throw new StepFailed(`shipped ${shipped} log lines but Elasticsearch counts ${count}`);
        return {
          detail: `${count} ECS log lines in ${LOG_DATA_STREAM}`,
          data: { shipped, count, dataStream: LOG_DATA_STREAM },
        };
      },
    );
  } finally {
    await shipper.close({ timeoutMs: 5_000 }).catch(() => {});
    await platform.close();
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
