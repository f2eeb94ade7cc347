// Shared by bench/airflow-*.mjs: the platform's Airflow, its DAG folder, and benchmark DAGs written into it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const baseUrl = process.env.AIRFLOW_API_URL || 'http://127.0.0.1:8080';
export const python = join(root, 'platform/.state/venvs/airflow-client/bin/python');
const START = 'bash platform/bin/platform up airflow';

export async function requireAirflow() {
  try {
    const answer = await fetch(`${baseUrl}/api/v2/monitor/health`, { signal: AbortSignal.timeout(10_000) });
    if (!answer.ok) throw new Error(`status ${answer.status}`);
  } catch (error) {
    throw new Error(`Airflow is not answering at ${baseUrl} (${error}). Start it with: ${START}`);
  }
  if (!existsSync(python)) {
    throw new Error(
      `apache-airflow-client is not installed (${python}); '${START}' installs it (platform/lib/airflow.sh).`,
    );
  }
}

/** The folder the running Airflow reads DAGs from (`[core] dags_folder` of the platform's airflow.cfg). */
export function dagsFolder() {
  const cfg = readFileSync(join(root, 'platform/.state/data/airflow/airflow.cfg'), 'utf8');
  const folder = /^dags_folder\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
  if (!folder) throw new Error(`no dags_folder in the platform's airflow.cfg; start Airflow with: ${START}`);
  return folder;
}

export const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Writes a benchmark DAG where Airflow reads DAGs and waits until Airflow serves this very source. */
export async function deployBenchDag(client, dagId, source) {
  const fileName = `${dagId}.py`;
  const path = join(dagsFolder(), fileName);
  writeFileSync(path, source);
  await client.dags.waitForDagVersion(dagId, {
    sourceHash: sha256(source),
    filename: fileName,
    timeout: 300_000,
  });
  return { fileName, remove: () => rmSync(path, { force: true }) };
}

/** Runs the Python reference; its JSON answer. */
export function runPython(args) {
  const result = spawnSync(python, [join(root, 'bench/airflow_python.py'), ...args], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0)
    throw new Error(`airflow_python.py ${args[0]} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** A JWT for the Python reference, from the same endpoint our client uses. */
export async function login() {
  const answer = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: process.env.AIRFLOW_USERNAME || 'admin',
      password: process.env.AIRFLOW_PASSWORD || 'admin',
    }),
  });
  if (answer.status !== 201) throw new Error(`POST /auth/token answered ${answer.status}`);
  return (await answer.json()).access_token;
}
