import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AirflowClient, type AirflowClientOptions } from '../../src/index';

/** The repository root (a worktree links platform/.state to the running platform's state). */
export const root = resolve(import.meta.dirname, '../../../..');
export const baseUrl = process.env.AIRFLOW_API_URL || 'http://127.0.0.1:8080';
const START = 'bash platform/bin/platform up airflow';

/** A client of the platform's Airflow with its test user (admin/admin). */
export function platformClient(options: AirflowClientOptions = {}): AirflowClient {
  return new AirflowClient({ baseUrl, username: 'admin', password: 'admin', ...options });
}

/** Fails loudly, with the command that starts it, when the platform's Airflow is not answering. */
export async function requireAirflow(): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(`${baseUrl}/api/v2/monitor/health`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(`Airflow is not reachable at ${baseUrl} (${String(error)}). Start it with: ${START}`);
  }
  if (!answer.ok)
    throw new Error(
      `Airflow at ${baseUrl} answered ${answer.status} to /monitor/health. Start it with: ${START}`,
    );
}

/** A suffix no other test run (or helper) shares. */
export function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** The folder the running Airflow's dag-processor reads: `[core] dags_folder` of its generated airflow.cfg. */
export function dagsFolder(): string {
  const cfg = readFileSync(join(root, 'platform/.state/data/airflow/airflow.cfg'), 'utf8');
  const folder = /^dags_folder\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
  if (!folder) throw new Error(`no dags_folder in the platform's airflow.cfg. Start Airflow with: ${START}`);
  return folder;
}

/** Writes a uniquely named DAG file where the running Airflow reads DAGs; returns its file name and a remover. */
export function writeDagFile(
  fileName: string,
  source: string,
): { fileName: string; path: string; remove: () => void } {
  const path = join(dagsFolder(), fileName);
  writeFileSync(path, source);
  return { fileName, path, remove: () => rmSync(path, { force: true }) };
}
