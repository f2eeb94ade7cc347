/**
 * The errors of @mlops/airflow. HTTP failures are @mlops/core's ApiError subclasses (their `body` keeps
 * Airflow's problem details; `problemDetails(error)` reads them); these are the outcomes of the
 * workflows on top: a run that failed, a wait that ran out of time, a DAG file that does not import.
 */
import { ApiError, MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';
import type { components } from './generated/api-v2';

type DagRun = components['schemas']['DAGRunResponse'];

/** One failed task of a failed run: which, which try, and the end of its log. */
export interface FailedTask {
  readonly taskId: string;
  readonly mapIndex: number;
  readonly tryNumber: number;
  readonly state: string;
  /** The last lines of the task's log for that try (empty when the log could not be read). */
  readonly logTail: readonly string[];
}

/** A DAG run ended in `failed`. Names the failed tasks, their tries and the tail of their logs. */
export class DagRunFailedError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/airflow.DagRunFailedError');
  static override isInstance(value: unknown): value is DagRunFailedError {
    return hasErrorMarker(value, DagRunFailedError.marker);
  }

  readonly dagId: string;
  readonly runId: string;
  readonly run: DagRun;
  readonly failedTasks: readonly FailedTask[];

  constructor(run: DagRun, failedTasks: readonly FailedTask[]) {
    const tasks = failedTasks
      .map((t) => {
        const last = t.logTail.findLast((line) => line.trim() !== '');
        return `${t.taskId}${t.mapIndex >= 0 ? `[${t.mapIndex}]` : ''} (try ${t.tryNumber}, ${t.state})${last ? `: ${last}` : ''}`;
      })
      .join('; ');
    super(
      `DAG run ${run.dag_id}/${run.dag_run_id} failed${tasks ? `: ${tasks}` : ' (no task failed: the run was marked failed)'}. See failedTasks[].logTail, or the logs with client.taskInstances.logs(...).`,
    );
    this.dagId = run.dag_id;
    this.runId = run.dag_run_id;
    this.run = run;
    this.failedTasks = failedTasks;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), dagId: this.dagId, runId: this.runId, failedTasks: this.failedTasks };
  }
}

/** `wait` or `waitForDagVersion` ran out of time; the run or the DAG is left as it is. */
export class AirflowWaitTimeoutError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/airflow.AirflowWaitTimeoutError');
  static override isInstance(value: unknown): value is AirflowWaitTimeoutError {
    return hasErrorMarker(value, AirflowWaitTimeoutError.marker);
  }

  /** What was waited for: 'dag-run' or 'dag-version'. */
  readonly waitingFor: 'dag-run' | 'dag-version';
  readonly timeoutMs: number;
  /** The last state seen: the run's state, or the DAG's latest version number. */
  readonly lastSeen: unknown;

  constructor(
    message: string,
    init: { waitingFor: 'dag-run' | 'dag-version'; timeoutMs: number; lastSeen: unknown; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? {} : { cause: init.cause });
    this.waitingFor = init.waitingFor;
    this.timeoutMs = init.timeoutMs;
    this.lastSeen = init.lastSeen;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      waitingFor: this.waitingFor,
      timeoutMs: this.timeoutMs,
      lastSeen: this.lastSeen,
    };
  }
}

/** A DAG file did not import: `stackTrace` is Airflow's import error text (the SyntaxError and where). */
export class DagImportError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/airflow.DagImportError');
  static override isInstance(value: unknown): value is DagImportError {
    return hasErrorMarker(value, DagImportError.marker);
  }

  readonly dagId: string;
  readonly filename: string;
  readonly stackTrace: string;
  readonly timestamp: string;

  constructor(init: { dagId: string; filename: string; stackTrace: string; timestamp: string }) {
    const lines = init.stackTrace.trim().split('\n');
    super(
      `DAG ${init.dagId}: Airflow could not import ${init.filename} (${init.timestamp}): ${lines.slice(-3).join(' ').trim()}. Fix the file and deploy it again.`,
    );
    this.dagId = init.dagId;
    this.filename = init.filename;
    this.stackTrace = init.stackTrace;
    this.timestamp = init.timestamp;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), dagId: this.dagId, filename: this.filename, stackTrace: this.stackTrace };
  }
}

/** One validation error of a 422: where (`loc`, e.g. ['body', 'logical_date']), what, and its type. */
export interface ValidationIssue {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
  readonly input?: unknown;
}

/** Airflow's problem details: the `detail` text, and for a 422 each invalid field with its `loc`. */
export interface ProblemDetails {
  readonly status: number;
  /** The detail as text (a 422's issues joined, `loc: msg`). */
  readonly detail: string;
  readonly validationErrors: readonly ValidationIssue[];
}

/**
 * Reads Airflow's error body off a core ApiError (`{"detail": "..."}`, or `{"detail": [{loc, msg, type}]}`
 * for a 422). Undefined for anything that is not an ApiError.
 */
export function problemDetails(error: unknown): ProblemDetails | undefined {
  if (!ApiError.isInstance(error)) return undefined;
  const body = error.body;
  const detail = typeof body === 'object' && body !== null && 'detail' in body ? body.detail : body;
  const validationErrors: ValidationIssue[] = [];
  if (Array.isArray(detail)) {
    for (const item of detail) {
      if (typeof item !== 'object' || item === null) continue;
      const { loc, msg, type, input } = item as Record<string, unknown>;
      validationErrors.push({
        loc: Array.isArray(loc) ? loc.filter((p) => typeof p === 'string' || typeof p === 'number') : [],
        msg: typeof msg === 'string' ? msg : JSON.stringify(msg),
        type: typeof type === 'string' ? type : 'unknown',
        ...(input === undefined ? {} : { input }),
      });
    }
  }
  const text =
    validationErrors.length > 0
      ? validationErrors.map((v) => `${v.loc.join('.')}: ${v.msg}`).join('; ')
      : typeof detail === 'string'
        ? detail
        : detail === undefined || detail === null
          ? ''
          : JSON.stringify(detail);
  return { status: error.status, detail: text, validationErrors };
}
