// `mlops demo` for real, on the local platform (pnpm platform up --and elasticsearch): the feature pipeline in
// Airflow, a training set, training in the platform's Python, the registry, serving, Prometheus, Elasticsearch.
// Long: about 2–2.5 minutes on our loaded 2-core machines (the pipeline ~50 s, train.py ~60 s, Prometheus ~10 s).
import { randomUUID } from 'node:crypto';
import { MlflowClient } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import type { DemoReport } from '../src/cli/demo-command';
import { EXIT, runCli } from '../src/cli/program';
import { deadUrl, feastRepo, root } from './support/platform';

async function demo(args: string[], platformOptions = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['demo', '--json', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: root,
    env: {},
    platformOptions: { feast: { repoPath: feastRepo }, ...platformOptions },
  });
  return { code, stdout, stderr, report: JSON.parse(stdout) as DemoReport };
}

describe('mlops demo', () => {
  it('runs the platform end to end and every step holds', { timeout: 900_000 }, async () => {
    const name = `demo-test-${randomUUID().slice(0, 8)}`;
    const { code, stderr, report } = await demo(['--name', name]);
    if (!report.ok) console.error(stderr);
    expect(report.steps.map((s) => [s.step, s.status])).toEqual([
      ['pipeline', 'ok'],
      ['training-set', 'ok'],
      ['train', 'ok'],
      ['register', 'ok'],
      ['serve', 'ok'],
      ['prometheus', 'ok'],
      ['logs', 'ok'],
    ]);
    expect(code).toBe(EXIT.ok);
    expect(report.ok).toBe(true);
    // Progress went to stderr as it happened (stdout is the report alone under --json).
    expect(stderr).toMatch(/^\[1\/7\] Airflow runs the feature pipeline/m);
    expect(stderr).toMatch(/^ {6}materialize: running -> success$/m);
    expect(stderr).toMatch(
      /^Done in [\d.]+ s: pipeline ok, training-set ok, train ok, register ok, serve ok, prometheus ok, logs ok$/m,
    );

    const data = Object.fromEntries(report.steps.map((s) => [s.step, s.data ?? {}]));
    expect(data.pipeline!.rows).toBe(3);
    // 10 seed drivers × 72 moments, and the pipeline's 3 drivers just after its write.
    expect(data['training-set']!.rows).toBe(723);
    expect((data.train!.metrics as Record<string, number>).test_accuracy).toBeGreaterThanOrEqual(0.7);
    expect(data.register).toEqual({ name, version: '1', previous: null });

    // What the demo said it did, read back from MLflow by another client.
    const mlflow = new MlflowClient();
    const champion = await mlflow.getModelVersionByAlias(name, 'champion');
    expect(champion.version).toBe('1');
    const run = await mlflow.getRun(data['training-set']!.runId as string);
    expect(run.inputs?.datasetInputs?.map((d) => d.dataset.name)).toEqual([`${name}-drivers`]);
    expect(Object.keys(run.data.metrics).sort()).toEqual([
      'test_accuracy',
      'test_log_loss',
      'test_roc_auc',
      'train_accuracy',
    ]);
    expect(run.data.params.features).toBe('conv_rate,acc_rate,avg_daily_trips');

    // Eight predictions, each a class and two probabilities adding up to 1.
    const predictions = data.serve!.predictions as Array<{ label: number; probabilities: number[] }>;
    expect(predictions).toHaveLength(8);
    for (const p of predictions) {
      expect([0, 1]).toContain(Number(p.label));
      expect(p.probabilities[0]! + p.probabilities[1]!).toBeCloseTo(1, 5);
    }

    expect(data.prometheus!.rate).toBeGreaterThan(0);
    expect(data.prometheus!.p99Seconds).toBeGreaterThanOrEqual(data.prometheus!.p50Seconds as number);
    expect(data.logs!.count).toBe(data.logs!.shipped);
    expect(data.logs!.count).toBeGreaterThanOrEqual(30);

    expect(Object.keys(report.urls).sort()).toEqual([
      'airflow',
      'logs',
      'mlflowModel',
      'mlflowRun',
      'prometheus',
    ]);
  });

  it('exits 1 when a step fails, says what to start, and skips the steps that needed it', {
    timeout: 120_000,
  }, async () => {
    const name = `demo-fail-${randomUUID().slice(0, 8)}`;
    const { code, report } = await demo(['--name', name], {
      airflow: { baseUrl: deadUrl, maxRetries: 0 },
    });
    expect(code).toBe(EXIT.failed);
    expect(report.ok).toBe(false);
    expect(report.steps.map((s) => [s.step, s.status])).toEqual([
      ['pipeline', 'failed'],
      ['training-set', 'skipped'],
      ['train', 'skipped'],
      ['register', 'skipped'],
      ['serve', 'skipped'],
      ['prometheus', 'skipped'],
      ['logs', 'ok'],
    ]);
    expect(report.steps[0]!.fix).toBe('is the platform up? pnpm platform up airflow');
    expect(report.steps[1]!.detail).toBe('skipped: needs pipeline');
  });

  it('without Elasticsearch the logs step fails, naming the component to start', {
    timeout: 120_000,
  }, async () => {
    const { code, report } = await demo(['--name', `demo-nologs-${randomUUID().slice(0, 8)}`], {
      airflow: { baseUrl: deadUrl, maxRetries: 0 },
      logs: { elasticsearchUrl: deadUrl, maxRetries: 0, flushTimeoutMs: 1_000 },
    });
    expect(code).toBe(EXIT.failed);
    const logs = report.steps.find((s) => s.step === 'logs')!;
    expect(logs.status).toBe('failed');
    expect(logs.fix).toBe('is the platform up? pnpm platform up elasticsearch');
  });

  it('refuses a bad --name with exit 2 before doing anything', async () => {
    let stderr = '';
    const code = await runCli(['demo', '--name', 'Bad Name'], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      cwd: root,
      env: {},
    });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toBe(
      "mlops: --name takes lowercase letters, digits, '-' and '_' (at most 41, starting with a letter); got 'Bad Name'\n",
    );
  });
});
