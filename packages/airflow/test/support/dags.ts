import { createHash } from 'node:crypto';
import type { AirflowClient } from '../../src/index';
import { unique, writeDagFile } from './platform';

/** A DAG with one task that prints `tick <i>` once a second for `seconds` seconds, then returns `{ ticks }`. */
export function tickingDagSource(dagId: string, seconds: number): string {
  return `"""Temporary DAG of @mlops/airflow's tests (removed by them)."""
import time
from datetime import datetime, timezone

from airflow.sdk import DAG, task

with DAG(dag_id="${dagId}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-test"]) as dag:

    @task
    def tick() -> dict:
        for i in range(${seconds}):
            print(f"tick {i}", flush=True)
            time.sleep(1)
        return {"ticks": ${seconds}}

    tick()
`;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Writes a uniquely named temporary DAG into the running Airflow's DAG folder and waits until Airflow
 * serves it (by the hash of its source). `remove()` deletes the file.
 */
export async function deployTempDag(
  client: AirflowClient,
  prefix: string,
  source: (dagId: string) => string,
): Promise<{ dagId: string; fileName: string; remove: () => void }> {
  const dagId = unique(`mlops_test_${prefix}`);
  const text = source(dagId);
  const file = writeDagFile(`${dagId}.py`, text);
  try {
    await client.dags.waitForDagVersion(dagId, {
      sourceHash: sha256(text),
      filename: file.fileName,
      timeout: 120_000,
    });
  } catch (error) {
    file.remove();
    throw error;
  }
  return { dagId, fileName: file.fileName, remove: file.remove };
}
