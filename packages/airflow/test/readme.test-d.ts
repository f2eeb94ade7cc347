// The README's quick starts, as written there, type-checked (not run: they need a real Airflow and files).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expectTypeOf, it } from 'vitest';
import {
  AirflowClient,
  DagImportError,
  DagRunFailedError,
  type DagVersion,
  type RunResult,
} from '../src/index';

async function triggerAndWait(): Promise<RunResult> {
  const airflow = new AirflowClient();
  try {
    const result = await airflow.dagRuns.triggerAndWait('feature_pipeline', {
      conf: { date: '2026-01-01' },
      timeout: 30 * 60_000,
      onProgress: ({ changes }) => {
        for (const c of changes) console.log(`${c.taskId}: ${c.from ?? '-'} → ${c.to}`);
      },
    });
    const { run, taskInstances, xcoms } = result;
    console.log(run.state, run.end_date, taskInstances.length, xcoms);
    return result;
  } catch (error) {
    if (DagRunFailedError.isInstance(error)) {
      for (const task of error.failedTasks) {
        console.error(`${task.taskId} failed on try ${task.tryNumber}:\n${task.logTail.join('\n')}`);
      }
    }
    throw error;
  }
}

async function deploy(): Promise<DagVersion> {
  const airflow = new AirflowClient();
  const source = await readFile('dags/feature_pipeline.py', 'utf8');
  const dag = await airflow.dags.get('feature_pipeline');
  await airflow.dags.reparse(dag.file_token);
  try {
    return await airflow.dags.waitForDagVersion('feature_pipeline', {
      sourceHash: createHash('sha256').update(source).digest('hex'),
      filename: 'feature_pipeline.py',
      timeout: 5 * 60_000,
    });
  } catch (error) {
    if (DagImportError.isInstance(error)) console.error(error.stackTrace);
    throw error;
  }
}

describe('README quick starts', () => {
  it('type-check as written', () => {
    expectTypeOf(triggerAndWait).returns.resolves.toEqualTypeOf<RunResult>();
    expectTypeOf(deploy).returns.resolves.toEqualTypeOf<DagVersion>();
  });
});
