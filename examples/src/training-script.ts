// A training pipeline's script (interactions 17, 2, 3, 14): build a point-in-time training set from Feast into
// Arrow, logged to an MLflow run as a dataset input with its drift reference profile; train a scikit-learn model
// in the platform's Python (platform/training/train.py, exported to ONNX: the model a TypeScript service can run),
// which logs params, metrics and the model with its signature to the same run; then register it and move an alias
// only if it clears a holdout bar. Run: pnpm --filter @mlops/examples training-script (platform up, pnpm build).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildTrainingSet, createPlatform, registerModel } from '@mlops/platform';
import { tableToIPC } from 'apache-arrow';

const platformDir = fileURLToPath(new URL('../../platform', import.meta.url));

export interface TrainingScriptOptions {
  /** The registered model (and the experiment's name). */
  model: string;
  alias?: string;
  /** The least test accuracy that moves the alias. */
  minAccuracy?: number;
  log?: (line: string) => void;
}

export interface TrainingScriptResult {
  runId: string;
  version: string;
  aliasMoved: boolean;
  rows: number;
  metrics: Record<string, number>;
}

export async function main(options: TrainingScriptOptions): Promise<TrainingScriptResult> {
  const log = options.log ?? console.log;
  await using platform = createPlatform({ feast: { repoPath: join(platformDir, 'feast') } });
  const experimentId =
    (await platform.mlflow.getExperimentByName(options.model))?.experimentId ??
    (await platform.mlflow.createExperiment(options.model));
  const run = await platform.mlflow.createRun(experimentId, { runName: 'training-script' });
  const runId = run.info.runId;

  // Labelled moments: each seed driver every 4 hours over the seed's last five days (2026-01-01 is its anchor).
  const anchor = Date.parse('2026-01-01T00:00:00Z');
  const moments = Array.from({ length: 30 }, (_, k) => new Date(anchor - k * 4 * 3_600_000));
  const drivers = Array.from({ length: 10 }, (_, i) => 1001 + i);
  const { table, dataset } = await buildTrainingSet(platform, {
    features: [
      'driver_hourly_stats:conv_rate',
      'driver_hourly_stats:acc_rate',
      'driver_hourly_stats:avg_daily_trips',
    ],
    entityDf: {
      driver_id: drivers.flatMap((d) => moments.map(() => d)),
      event_timestamp: drivers.flatMap(() => moments),
    },
    run: runId,
    datasetName: `${options.model}-training-set`,
    onProgress: (event) => {
      if (event.phase === 'done') log(`training set: ${event.rows} rows`);
    },
  });
  log(`dataset ${dataset.name} (digest ${dataset.digest}) logged to run ${runId}`);

  // The training set goes to the platform's Python as an Arrow IPC file.
  const work = await mkdtemp(join(tmpdir(), 'training-script-'));
  try {
    const file = join(work, 'train.arrow');
    await writeFile(file, tableToIPC(table, 'file'));
    const { stdout } = await promisify(execFile)(
      join(platformDir, '.state/venvs/training/bin/python'),
      [join(platformDir, 'training/train.py'), '--input', file, '--run-id', runId, '--derive-label'],
      { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const trained = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      artifact_path: string;
      rows: number;
      metrics: Record<string, number>;
    };
    log(`trained on ${trained.rows} rows: ${JSON.stringify(trained.metrics)}`);

    const minAccuracy = options.minAccuracy ?? 0.7;
    const registered = await registerModel(platform, {
      runId,
      artifactPath: trained.artifact_path,
      name: options.model,
      alias: options.alias ?? 'champion',
      // Only a model that clears the holdout bar becomes the alias; a failed check throws ModelValidationError.
      validate: async () => ({
        ok: (trained.metrics.test_accuracy ?? 0) >= minAccuracy,
        details: { test_accuracy: trained.metrics.test_accuracy, minAccuracy },
      }),
    });
    log(
      `${options.model} version ${registered.version.version}; ${options.alias ?? 'champion'} moved: ${registered.aliasMoved}`,
    );
    return {
      runId,
      version: registered.version.version,
      aliasMoved: registered.aliasMoved,
      rows: trained.rows,
      metrics: trained.metrics,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main({ model: process.argv[2] ?? 'driver-conversion' });
}
