import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from './platform';

const run = promisify(execFile);

/** A suffix no other test run (or helper) shares. */
export function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export const mlflowPython = join(root, 'platform/.state/venvs/mlflow/bin/python');

/** Runs `code` in the platform's MLflow venv; its last stdout line is JSON. Fails loudly without the venv. */
export async function python<T>(code: string, env: Record<string, string> = {}): Promise<T> {
  if (!existsSync(mlflowPython))
    throw new Error(
      `MLflow's Python venv is missing at ${mlflowPython}: run \`bash platform/bin/platform up mlflow\``,
    );
  const { stdout } = await run(mlflowPython, ['-c', code], {
    env: { ...process.env, MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}

/** The folder the running Airflow's dag-processor reads (`[core] dags_folder` of its airflow.cfg). */
export function dagsFolder(): string {
  const cfg = readFileSync(join(root, 'platform/.state/data/airflow/airflow.cfg'), 'utf8');
  const folder = /^dags_folder\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
  if (!folder)
    throw new Error('no dags_folder in the platform airflow.cfg: bash platform/bin/platform up airflow');
  return folder;
}

/** A DAG with one task returning `{ value }` (its tags change with the value, so each is a new DAG version). */
export function dagSource(dagId: string, value: number): string {
  return `"""Temporary DAG of @mlops/platform's workflow tests (removed by them)."""
from datetime import datetime, timezone

from airflow.sdk import DAG, task

with DAG(dag_id="${dagId}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-test", "v${value}"]) as dag:

    @task
    def answer() -> dict:
        return {"value": ${value}}

    answer()
`;
}
