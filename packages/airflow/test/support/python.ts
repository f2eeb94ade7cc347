import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { baseUrl, root } from './platform';

const python = join(root, 'platform/.state/venvs/airflow-client/bin/python');
const script = join(import.meta.dirname, 'airflow_client_reference.py');

/** Asks the Python reference (apache-airflow-client) on the same server; its answer as parsed JSON. */
export function pythonReference<T>(op: string, args: Record<string, unknown> = {}): T {
  if (!existsSync(python)) {
    throw new Error(
      `The Python reference client is not installed (${python}). Install it with: bash -c 'source platform/lib/common.sh && source platform/lib/airflow.sh && airflow_client_install' (run by 'bash platform/bin/platform up airflow').`,
    );
  }
  const result = spawnSync(python, [script, JSON.stringify({ op, baseUrl, ...args })], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0)
    throw new Error(`apache-airflow-client ${op} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
