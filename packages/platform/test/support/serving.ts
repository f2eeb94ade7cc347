// What the serving tests share: the platform's `training` venv (train.py, and onnxruntime in Python as the
// reference), a real training set from Feast's offline store written to a file, drivers written to the online
// store under ids no one else uses, and a wait for the port the platform's Prometheus scrapes.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Table, tableToIPC } from 'apache-arrow';
import type { Platform } from '../../src/index';
import { root } from './platform';

export const trainingPython = resolve(root, 'platform/.state/venvs/training/bin/python');
export const trainScript = resolve(root, 'platform/training/train.py');

/** Fails loudly, with the command that builds it, when the training venv is missing. */
export function requireTrainingVenv(): void {
  if (!existsSync(trainingPython))
    throw new Error(
      `The platform's training venv is missing (${trainingPython}). Build it with: bash platform/bin/platform up mlflow`,
    );
}

/** A suffix unique to this test run (names of experiments, models, ids). */
export const runSuffix = `${Date.now().toString(36)}-${process.pid}`;

/** Runs the training venv's python; resolves to stdout, rejects with stderr's tail on a non-zero exit. */
export function runPython(args: string[], input?: string, timeoutMs = 240_000): Promise<string> {
  requireTrainingVenv();
  return new Promise((done, fail) => {
    const child = spawn(trainingPython, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done(out);
      else fail(new Error(`python ${args[0]} exited ${code ?? signal}: ${err.slice(-2000)}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** What train.py prints. */
export interface TrainOutput {
  run_id: string;
  experiment_id: string;
  model_id: string;
  model_uri: string;
  features: string[];
  rows: number;
  metrics: Record<string, number>;
  registered: { name: string; version: string; alias: string | null } | null;
}

export async function train(args: string[]): Promise<TrainOutput> {
  const out = await runPython([trainScript, ...args]);
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as TrainOutput;
}

export const DRIVER_FEATURES = [
  'driver_hourly_stats:conv_rate',
  'driver_hourly_stats:acc_rate',
  'driver_hourly_stats:avg_daily_trips',
] as const;

/**
 * A real training set: the seeded drivers 1001..1010 every 6 hours over the seed's last week (point-in-time
 * features from the PostgreSQL offline store), as an Arrow table.
 */
export async function driverTrainingSet(platform: Platform): Promise<Table> {
  const anchor = Date.parse('2026-01-01T00:00:00Z');
  const driverIds: bigint[] = [];
  const times: Date[] = [];
  for (let k = 0; k < 28; k++)
    for (let d = 1001; d <= 1010; d++) {
      driverIds.push(BigInt(d));
      times.push(new Date(anchor - k * 6 * 3600_000 + 60_000));
    }
  const job = await platform.feast.getHistoricalFeatures({
    entityDf: { driver_id: driverIds, event_timestamp: times },
    features: [...DRIVER_FEATURES],
  });
  return job.toArrow();
}

export async function writeArrow(table: Table, name = 'train.arrow'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-serving-test-'));
  const file = join(dir, name);
  await writeFile(file, tableToIPC(table, 'file'));
  return file;
}

/** Online driver rows under fresh ids (int64 beyond 2^53, so exactness shows), written now. */
export async function seedOnlineDrivers(
  platform: Platform,
  count: number,
): Promise<Array<{ driver_id: bigint; conv_rate: number; acc_rate: number; avg_daily_trips: bigint }>> {
  const base = 2n ** 60n + BigInt(Math.floor(Math.random() * 1e12)) * 1000n;
  const rows = Array.from({ length: count }, (_, i) => ({
    driver_id: base + BigInt(i),
    conv_rate: Math.fround(((i * 37) % 100) / 100),
    acc_rate: Math.fround(((i * 53 + 11) % 100) / 100),
    avg_daily_trips: BigInt((i * 97) % 1000),
  }));
  const now = new Date();
  await platform.feast.writeToOnlineStore(
    'driver_hourly_stats',
    rows.map((r) => ({ ...r, event_timestamp: now })),
  );
  return rows;
}

/** Runs the model file in Python's onnxruntime on the given float rows; one {label, probabilities} per row. */
export async function pythonOnnxPredict(
  modelFile: string,
  rows: number[][],
): Promise<Array<{ label: number; probabilities: number[] }>> {
  const script = `
import json, sys
import numpy as np
import onnxruntime as ort
rows = json.load(sys.stdin)
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
label, proba = s.run(["label", "probabilities"], {s.get_inputs()[0].name: np.array(rows, dtype=np.float32)})
print(json.dumps([{"label": int(l), "probabilities": [float(p) for p in pr]} for l, pr in zip(label, proba)]))
`;
  const out = await runPython(['-c', script, modelFile], JSON.stringify(rows));
  return JSON.parse(out) as Array<{ label: number; probabilities: number[] }>;
}

/** Waits until nothing listens on `port` (another helper's example may hold the scraped port for a while). */
export async function waitForFreePort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const free = await new Promise<boolean>((done) => {
      const probe = createServer();
      probe.once('error', () => done(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
    });
    if (free) return;
    if (Date.now() > until)
      throw new Error(
        `Port ${port} (SERVING_METRICS_PORT, scraped by the platform's Prometheus) stayed busy for ${timeoutMs} ms: stop the process holding it (ss -ltnp 'sport = :${port}').`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
