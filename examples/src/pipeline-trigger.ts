// Run the data pipeline (interaction 1) from TypeScript: trigger the platform's `feature_pipeline` DAG (it writes
// fresh driver features to the PostgreSQL offline store, then materializes them into Redis), follow its tasks live,
// and on failure print the failing task's log tail. Then read the fresh features back from the online store.
// Run: pnpm --filter @mlops/examples pipeline-trigger (platform up, pnpm build).
import { fileURLToPath } from 'node:url';
import { AirflowClient, DagRunFailedError } from '@mlops/airflow';
import { FeatureStore } from '@mlops/feast';

export interface PipelineTriggerResult {
  runId: string;
  state: string;
  /** Task id → final state. */
  tasks: Record<string, string>;
  /** What write_offline_features returned (rows written, their event time, the driver ids). */
  written: { rows: number; event_timestamp: string; driver_ids: number[] };
  /** The online store's answer for those drivers after the run: driver id → event time of conv_rate. */
  online: Record<number, Date | null>;
}

export async function main(
  options: { repoPath: string; runId?: string; log?: (line: string) => void } = {
    repoPath: fileURLToPath(new URL('../../platform/feast', import.meta.url)),
  },
): Promise<PipelineTriggerResult> {
  const log = options.log ?? console.log;
  const airflow = new AirflowClient(); // AIRFLOW_API_URL, AIRFLOW_USERNAME/AIRFLOW_PASSWORD; local: admin/admin
  let result: Awaited<ReturnType<AirflowClient['dagRuns']['triggerAndWait']>>;
  try {
    result = await airflow.dagRuns.triggerAndWait('feature_pipeline', {
      // A run id of our own makes a retried trigger (by CI, say) find this run instead of starting another.
      ...(options.runId ? { runId: options.runId } : {}),
      conf: { triggered_by: 'examples/pipeline-trigger' },
      timeout: 10 * 60_000,
      onProgress: ({ changes }) => {
        for (const c of changes) log(`  ${c.taskId}: ${c.from ?? 'none'} → ${c.to}`);
      },
    });
  } catch (error) {
    if (DagRunFailedError.isInstance(error)) {
      for (const task of error.failedTasks) {
        log(`${task.taskId} failed (try ${task.tryNumber}):\n${task.logTail.join('\n')}`);
      }
    }
    throw error;
  }
  const { run, taskInstances } = result;
  log(`feature_pipeline ${run.dag_run_id}: ${run.state}`);
  // `result.xcoms` holds the leaf tasks' return values; the leaf here is `materialize` (a BashOperator, none), so
  // what write_offline_features returned is read by task id.
  const { value: written } = await airflow.xcoms.get<PipelineTriggerResult['written']>(
    'feature_pipeline',
    run.dag_run_id,
    'write_offline_features',
  );

  const store = new FeatureStore({ repoPath: options.repoPath });
  try {
    const online = await store.getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
      entityRows: written.driver_ids.map((id) => ({ driver_id: id })),
    });
    const times = online.columns['conv_rate']!.eventTimestamps;
    const fresh: Record<number, Date | null> = {};
    written.driver_ids.forEach((id, i) => {
      fresh[id] = times[i] ?? null;
      log(
        `  driver ${id}: conv_rate ${online.columns['conv_rate']!.values[i]} as of ${times[i]?.toISOString()}`,
      );
    });
    return {
      runId: run.dag_run_id,
      state: String(run.state),
      tasks: Object.fromEntries(taskInstances.map((t) => [t.task_id, String(t.state)])),
      written,
      online: fresh,
    };
  } finally {
    await store.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
