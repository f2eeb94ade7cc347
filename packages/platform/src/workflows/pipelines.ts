import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DagRun, DagVersion, TaskInstance, TaskStateChange } from '@mlops/airflow';
import { NotFoundError } from '@mlops/core';
import type { Platform } from '../platform';
import { throwIfAborted, WorkflowInputError, workflowSignal } from './errors';

export interface RunPipelineOptions {
  /** The run's conf (`dag_run.conf`, the DAG's params). */
  conf?: Record<string, unknown>;
  /** The run id (default: generated, so a retried trigger makes one run). */
  runId?: string;
  /** The run's logical date (default none). */
  logicalDate?: Date;
  /** Wait for the run to end (default true); false returns the run as triggered. */
  wait?: boolean;
  /** How long to wait, in ms (AirflowWaitTimeoutError after it; the run goes on). Default 3 600 000. */
  timeoutMs?: number;
  /** Lines of each failed task's log in the DagRunFailedError. Default 20. */
  logTailLines?: number;
  signal?: AbortSignal;
  onProgress?: (event: PipelineProgress) => void;
}

export type PipelineProgress =
  | { phase: 'triggered'; run: DagRun }
  | {
      phase: 'tasks';
      run: DagRun;
      taskInstances: readonly TaskInstance[];
      changes: readonly TaskStateChange[];
    }
  | { phase: 'done'; run: DagRun };

export interface PipelineResult {
  /** The run as it ended (or as triggered, with `wait: false`). */
  run: DagRun;
  /** Its task instances (empty with `wait: false`). */
  taskInstances: readonly TaskInstance[];
  /** `return_value` of each leaf task, by task id (empty with `wait: false`). */
  xcoms: Readonly<Record<string, unknown>>;
  /** False with `wait: false`: the run was only triggered. */
  finished: boolean;
}

/**
 * Triggers a DAG run and (by default) follows it to its end, reporting task state changes. A failed run
 * raises @mlops/airflow's DagRunFailedError naming each failed task, its try and the tail of its log.
 *
 * ```ts
 * const { run, xcoms } = await runPipeline(platform, 'feature_pipeline', {
 *   conf: { day: '2026-01-01' },
 *   onProgress: (e) => e.phase === 'tasks' && console.log(e.changes),
 * });
 * ```
 */
export async function runPipeline(
  platform: Platform,
  dagId: string,
  options: RunPipelineOptions = {},
): Promise<PipelineResult> {
  if (typeof dagId !== 'string' || dagId.trim() === '')
    throw new WorkflowInputError('runPipeline', 'dagId', 'dagId must be a non-empty string.');
  const signal = workflowSignal(options.signal, platform.signal);
  throwIfAborted('runPipeline', signal);
  const emit = options.onProgress ?? (() => {});
  const airflow = platform.airflow;
  const trigger = {
    ...(options.conf !== undefined ? { conf: options.conf } : {}),
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
    ...(options.logicalDate !== undefined ? { logicalDate: options.logicalDate } : {}),
    signal,
  };
  const triggered = await airflow.dagRuns.trigger(dagId, trigger);
  emit({ phase: 'triggered', run: triggered });
  if (options.wait === false) return { run: triggered, taskInstances: [], xcoms: {}, finished: false };
  // triggerAndWait with the run id just made: the trigger is idempotent, so this reads the same run back.
  const result = await airflow.dagRuns.triggerAndWait(dagId, {
    ...trigger,
    runId: triggered.dag_run_id,
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    ...(options.logTailLines !== undefined ? { logTailLines: options.logTailLines } : {}),
    onProgress: (p) =>
      emit({ phase: 'tasks', run: p.run, taskInstances: p.taskInstances, changes: p.changes }),
  });
  emit({ phase: 'done', run: result.run });
  return { ...result, finished: true };
}

export interface DeployDagOptions {
  /**
   * The DAG folder (or the local bundle's folder) the dag-processor reads. Default: `AIRFLOW__CORE__DAGS_FOLDER`,
   * else `dags_folder` of `$AIRFLOW_HOME/airflow.cfg`.
   */
  dagsFolder?: string;
  /** The DAG's id. Default: the one `dag_id="…"` of the file (a file with several needs this). */
  dagId?: string;
  /** The file's name in the folder. Default: the file's own name. */
  fileName?: string;
  /** How long to wait for Airflow to serve the new version, in ms. Default 120 000. */
  timeoutMs?: number;
  /**
   * When the new file does not import (or the wait times out): put the previous file back, or remove a new
   * one, so the DAG keeps running as it was. Default true.
   */
  rollback?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: DeployDagProgress) => void;
}

export type DeployDagProgress =
  | { phase: 'copied'; path: string; previousVersion: number | undefined }
  | { phase: 'reparse-requested'; dagId: string }
  | { phase: 'waiting'; dagId: string }
  | { phase: 'deployed'; version: DagVersion }
  | { phase: 'rolled-back'; path: string; restored: boolean };

export interface DeployedDag {
  dagId: string;
  /** Where the file was written. */
  path: string;
  fileName: string;
  /** sha256 (hex) of the file, as Airflow now serves it. */
  sourceHash: string;
  /** The DAG version Airflow parsed from it. */
  version: DagVersion;
  /** The version number before the deploy (undefined for a new DAG). */
  previousVersion: number | undefined;
}

/** The DAG ids a file declares as `dag_id="…"` (DAG(...) and @dag(dag_id=...)). */
export function dagIdsOf(source: string): string[] {
  return [...source.matchAll(/\bdag_id\s*=\s*(["'])([A-Za-z0-9_.-]+)\1/g)].map((m) => m[2] as string);
}

/** `[core] dags_folder` as Airflow resolves it: its env var, else airflow.cfg under AIRFLOW_HOME. */
function defaultDagsFolder(): string | undefined {
  const fromEnv = process.env.AIRFLOW__CORE__DAGS_FOLDER;
  if (fromEnv) return fromEnv;
  const home = process.env.AIRFLOW_HOME;
  if (!home || !existsSync(join(home, 'airflow.cfg'))) return undefined;
  const cfg = readFileSync(join(home, 'airflow.cfg'), 'utf8');
  return /^dags_folder\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
}

/**
 * For CI: copies a DAG file into the DAG folder (atomically), asks the dag-processor to reparse it, and
 * waits until Airflow serves exactly this file's source as the DAG's latest version. A file that does not
 * import raises @mlops/airflow's DagImportError with Airflow's import error text (the SyntaxError and
 * where), and the previous file is put back (`rollback`).
 *
 * ```ts
 * const { dagId, version } = await deployDag(platform, 'dags/feature_pipeline.py', { dagsFolder: '/opt/airflow/dags' });
 * ```
 */
export async function deployDag(
  platform: Platform,
  file: string,
  options: DeployDagOptions = {},
): Promise<DeployedDag> {
  if (!existsSync(file))
    throw new WorkflowInputError(
      'deployDag',
      'file',
      `no file at ${file}: give the path of a DAG file (.py).`,
    );
  const source = readFileSync(file, 'utf8');
  const fileName = options.fileName ?? basename(file);
  if (!fileName.endsWith('.py') || fileName.includes('/'))
    throw new WorkflowInputError(
      'deployDag',
      'fileName',
      `${fileName} is not a DAG file name: Airflow parses *.py files (give fileName, e.g. my_dag.py).`,
    );
  let dagId = options.dagId;
  if (dagId === undefined) {
    const ids = [...new Set(dagIdsOf(source))];
    if (ids.length !== 1)
      throw new WorkflowInputError(
        'deployDag',
        'dagId',
        ids.length === 0
          ? `found no dag_id="…" in ${file}: pass dagId (--dag-id) to say which DAG to wait for.`
          : `${file} declares ${ids.length} DAGs (${ids.join(', ')}): pass dagId (--dag-id) to say which to wait for.`,
      );
    dagId = ids[0] as string;
  }
  const dagsFolder = options.dagsFolder ?? defaultDagsFolder();
  if (dagsFolder === undefined || !existsSync(dagsFolder))
    throw new WorkflowInputError(
      'deployDag',
      'dagsFolder',
      dagsFolder === undefined
        ? "no DAG folder: pass dagsFolder (--dags-folder), or set AIRFLOW__CORE__DAGS_FOLDER or AIRFLOW_HOME (with its airflow.cfg) as Airflow's own processes have them."
        : `the DAG folder ${dagsFolder} does not exist.`,
    );
  const signal = workflowSignal(options.signal, platform.signal);
  throwIfAborted('deployDag', signal);
  const emit = options.onProgress ?? (() => {});
  const airflow = platform.airflow;

  let existing: Awaited<ReturnType<typeof airflow.dags.get>> | undefined;
  try {
    existing = await airflow.dags.get(dagId, { signal });
  } catch (error) {
    if (!NotFoundError.isInstance(error)) throw error;
  }
  const previousVersion = existing
    ? (await airflow.dags.latestVersion(dagId, { signal }))?.version_number
    : undefined;

  const path = join(dagsFolder, fileName);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  // Written next to it under a name the dag-processor skips, then renamed: it never parses half a file.
  const temporary = join(dagsFolder, `.${fileName}.${process.pid}.tmp`);
  writeFileSync(temporary, source);
  renameSync(temporary, path);
  emit({ phase: 'copied', path, previousVersion });
  const sourceHash = createHash('sha256').update(source).digest('hex');
  const since = new Date(Date.now() - 1000);

  try {
    if (existing && !existing.is_stale) {
      await airflow.dags.reparse(existing.file_token, { signal });
      emit({ phase: 'reparse-requested', dagId });
    }
    emit({ phase: 'waiting', dagId });
    const version = await airflow.dags.waitForDagVersion(dagId, {
      sourceHash,
      filename: fileName,
      since,
      timeout: options.timeoutMs ?? 120_000,
      signal,
    });
    emit({ phase: 'deployed', version });
    return { dagId, path, fileName, sourceHash, version, previousVersion };
  } catch (error) {
    if (options.rollback ?? true) {
      if (before === undefined) rmSync(path, { force: true });
      else writeFileSync(path, before);
      emit({ phase: 'rolled-back', path, restored: before !== undefined });
    }
    throw error;
  }
}
