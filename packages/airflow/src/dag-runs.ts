import { ConflictError, NotFoundError, type Paginator } from '@mlops/core';
import { paginateByToken } from '@mlops/core/sdk';
import type { Clock } from './auth';
import { AirflowWaitTimeoutError, DagRunFailedError, type FailedTask } from './errors';
import { isTransient, nextInterval, sleepFor } from './polling';
import { generateRunId, sameJson } from './run-id';
import type { TaskInstances } from './task-instances';
import type {
  AirflowHttp,
  DagRun,
  DagRunState,
  ListFilters,
  RequestOptions,
  Schemas,
  TaskInstance,
} from './types';
import type { XComs } from './xcoms';

/** A run, or what names one. */
export type DagRunRef = DagRun | { readonly dagId: string; readonly runId: string };

export interface TriggerOptions extends RequestOptions {
  /** The run's conf (`dag_run.conf`, the DAG's params). */
  conf?: Record<string, unknown>;
  /**
   * The run id. Default: one generated here (`mlops__<time>_<random>`), so that a retried trigger finds the
   * run it created instead of creating a second one.
   */
  runId?: string;
  /** The run's logical date (data interval). Default none (`null`): a run that is not tied to a date. */
  logicalDate?: Date;
  note?: string;
}

/** One task instance whose state changed since the last poll. */
export interface TaskStateChange {
  readonly taskId: string;
  readonly mapIndex: number;
  readonly from: TaskInstance['state'] | undefined;
  readonly to: TaskInstance['state'];
  readonly tryNumber: number;
}

export interface WaitProgress {
  readonly run: DagRun;
  readonly taskInstances: readonly TaskInstance[];
  readonly changes: readonly TaskStateChange[];
}

export interface WaitOptions extends RequestOptions {
  /** Give up after this many ms with AirflowWaitTimeoutError (the run goes on). Default 3 600 000. */
  timeout?: number;
  /**
   * Called after each poll in which a task instance changed state. Setting it costs one more request per
   * poll (the run's task instances).
   */
  onProgress?: (progress: WaitProgress) => void;
  /** First poll interval in ms; it grows by half per poll up to `maxIntervalMs`. Default 500. */
  initialIntervalMs?: number;
  /**
   * Longest poll interval in ms: the most the return can lag the run's end (half of it on average).
   * Default 1500: under 1 s of lag at the median for under one request per second.
   */
  maxIntervalMs?: number;
  /** Raise DagRunFailedError when the run fails (default true); false resolves with the failed run. */
  throwOnFailure?: boolean;
  /** Lines of each failed task's log in DagRunFailedError. Default 20. */
  logTailLines?: number;
}

/** What `triggerAndWait` gives back: the final run, its task instances, and the XComs its leaf tasks returned. */
export interface RunResult {
  readonly run: DagRun;
  readonly taskInstances: readonly TaskInstance[];
  /** `return_value` of each leaf task (no downstream task) that pushed one, by task id; a list for mapped tasks. */
  readonly xcoms: Readonly<Record<string, unknown>>;
}

const TERMINAL_RUN_STATES: ReadonlySet<DagRunState> = new Set<DagRunState>(['success', 'failed']);

/** DAG runs: trigger (idempotent), get, list, clear, set state, delete, wait. */
export class DagRuns {
  readonly #http: AirflowHttp;
  readonly #tasks: TaskInstances;
  readonly #xcoms: XComs;
  readonly #now: Clock;

  constructor(http: AirflowHttp, tasks: TaskInstances, xcoms: XComs, now: Clock) {
    this.#http = http;
    this.#tasks = tasks;
    this.#xcoms = xcoms;
    this.#now = now;
  }

  /**
   * Triggers a run. Safe to retry: the run id is chosen before the first attempt, so a trigger whose answer
   * was lost and is sent again gets 409 for that id and reads the run back — one run, never two. A 409 for
   * a run with another conf (someone else's run under that id) stays a ConflictError.
   */
  async trigger(dagId: string, options: TriggerOptions = {}): Promise<DagRun> {
    const runId = options.runId ?? generateRunId(this.#now());
    const body: Schemas['TriggerDAGRunPostBody'] = {
      dag_run_id: runId,
      logical_date: options.logicalDate === undefined ? null : options.logicalDate.toISOString(),
      ...(options.conf === undefined ? {} : { conf: options.conf }),
      ...(options.note === undefined ? {} : { note: options.note }),
    };
    try {
      return await this.#http.post('/api/v2/dags/{dag_id}/dagRuns', {
        params: { path: { dag_id: dagId } },
        body,
        idempotent: true,
        signal: options.signal,
      });
    } catch (error) {
      if (!ConflictError.isInstance(error)) throw error;
      const existing = await this.get({ dagId, runId }, options).catch(() => undefined);
      if (existing !== undefined && sameJson(existing.conf ?? {}, options.conf ?? {})) return existing;
      throw error;
    }
  }

  get(run: DagRunRef, options: RequestOptions = {}): Promise<DagRun> {
    const { dagId, runId } = refOf(run);
    return this.#http.get('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}', {
      params: { path: { dag_id: dagId, dag_run_id: runId } },
      signal: options.signal,
    });
  }

  /** Runs of a DAG (`'~'` for every DAG) matching the filters, through Airflow's cursor pagination. */
  list(
    dagId: string,
    filters: ListFilters<'get_dag_runs'> = {},
    options: RequestOptions = {},
  ): Paginator<DagRun> {
    return paginateByToken(
      async (cursor) => {
        const page = await this.#http.get('/api/v2/dags/{dag_id}/dagRuns', {
          params: { path: { dag_id: dagId }, query: { ...filters, limit: 100, cursor: cursor ?? '' } },
          signal: options.signal,
        });
        return { items: page.dag_runs, nextPageToken: page.next_cursor };
      },
      options.signal ? { signal: options.signal } : {},
    );
  }

  /** Clears the run's task instances so they run again (for real: `dry_run` false), and returns the run. */
  async clear(run: DagRunRef, options: RequestOptions & { onlyFailed?: boolean } = {}): Promise<DagRun> {
    const { dagId, runId } = refOf(run);
    await this.#http.post('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/clear', {
      params: { path: { dag_id: dagId, dag_run_id: runId } },
      body: { dry_run: false, only_failed: options.onlyFailed ?? false },
      signal: options.signal,
    });
    return this.get(run, options);
  }

  /** Marks the run queued, success or failed (and, for success or failed, its unfinished tasks with it). */
  setState(
    run: DagRunRef,
    state: Schemas['DagRunMutableStates'],
    options: RequestOptions = {},
  ): Promise<DagRun> {
    const { dagId, runId } = refOf(run);
    return this.#http.patch('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}', {
      params: { path: { dag_id: dagId, dag_run_id: runId }, query: { update_mask: ['state'] } },
      body: { state },
      idempotent: true,
      signal: options.signal,
    });
  }

  /** Deletes the run; a run that is already gone is not an error. */
  async delete(run: DagRunRef, options: RequestOptions = {}): Promise<void> {
    const { dagId, runId } = refOf(run);
    try {
      await this.#http.delete('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}', {
        params: { path: { dag_id: dagId, dag_run_id: runId } },
        signal: options.signal,
      });
    } catch (error) {
      if (!NotFoundError.isInstance(error)) throw error;
    }
  }

  /**
   * Polls the run until it ends (every 500 ms at first, growing by half per poll to 1.5 s by default) and
   * returns it. A failed run raises DagRunFailedError naming each failed task, its try and its log's tail.
   */
  async wait(run: DagRunRef, options: WaitOptions = {}): Promise<DagRun> {
    const ref = refOf(run);
    const timeout = options.timeout ?? 3_600_000;
    const maxInterval = options.maxIntervalMs ?? 1500;
    let interval = Math.min(options.initialIntervalMs ?? 500, maxInterval);
    const started = this.#now();
    const seen = new Map<string, TaskInstance>();
    // A run just triggered (a DagRun in hand, not finished) is not asked about again at once.
    if ('dag_run_id' in run && !TERMINAL_RUN_STATES.has(run.state) && !options.onProgress) {
      await sleepFor(Math.min(interval, timeout), options.signal);
      interval = nextInterval(interval, maxInterval);
    }
    // The last state seen (for the timeout's message when Airflow stops answering).
    let lastSeen: string | undefined;
    for (;;) {
      let current: DagRun;
      try {
        current = await this.get(ref, options);
        if (options.onProgress) {
          const taskInstances = await this.#tasks.list(ref.dagId, ref.runId, {}, options).toArray();
          const changes: TaskStateChange[] = [];
          for (const ti of taskInstances) {
            const key = `${ti.task_id}\u0000${ti.map_index}`;
            const before = seen.get(key);
            if (before === undefined || before.state !== ti.state || before.try_number !== ti.try_number) {
              changes.push({
                taskId: ti.task_id,
                mapIndex: ti.map_index,
                from: before?.state,
                to: ti.state,
                tryNumber: ti.try_number,
              });
            }
            seen.set(key, ti);
          }
          if (changes.length > 0) options.onProgress({ run: current, taskInstances, changes });
        }
      } catch (error) {
        if (!isTransient(error)) throw error;
        // Airflow is unreachable or failing for now; the run goes on without us. Poll again until the deadline.
        const elapsed = this.#now() - started;
        if (elapsed >= timeout)
          throw new AirflowWaitTimeoutError(
            `DAG run ${ref.dagId}/${ref.runId} could not be read for the last polls (${error instanceof Error ? error.message : String(error)}) and the wait's ${timeout} ms are over. It goes on in Airflow; wait again once Airflow answers.`,
            { waitingFor: 'dag-run', timeoutMs: timeout, lastSeen, cause: error },
          );
        await sleepFor(Math.min(interval, timeout - elapsed), options.signal);
        interval = nextInterval(interval, maxInterval);
        continue;
      }
      lastSeen = current.state;
      if (TERMINAL_RUN_STATES.has(current.state)) {
        if (current.state === 'failed' && (options.throwOnFailure ?? true))
          throw await this.failure(current, options);
        return current;
      }
      const elapsed = this.#now() - started;
      if (elapsed >= timeout) {
        throw new AirflowWaitTimeoutError(
          `DAG run ${ref.dagId}/${ref.runId} was still ${current.state} after ${timeout} ms. It goes on in Airflow; wait again, or raise the timeout option.`,
          { waitingFor: 'dag-run', timeoutMs: timeout, lastSeen: current.state },
        );
      }
      await sleepFor(Math.min(interval, timeout - elapsed), options.signal);
      interval = nextInterval(interval, maxInterval);
    }
  }

  /** Triggers a run, waits for it, and returns it with its task instances and its leaf tasks' XComs. */
  async triggerAndWait(dagId: string, options: TriggerOptions & WaitOptions = {}): Promise<RunResult> {
    const triggered = await this.trigger(dagId, options);
    const run = await this.wait(triggered, options);
    const taskInstances = await this.#tasks.list(dagId, run.dag_run_id, {}, options).toArray();
    const tasks = await this.#http.get('/api/v2/dags/{dag_id}/tasks', {
      params: { path: { dag_id: dagId } },
      signal: options.signal,
    });
    const leaves = new Set(
      tasks.tasks.filter((t) => (t.downstream_task_ids ?? []).length === 0).map((t) => t.task_id ?? ''),
    );
    const xcoms: Record<string, unknown> = {};
    const mapped: Record<string, Array<[number, unknown]>> = {};
    for (const ti of taskInstances) {
      if (!leaves.has(ti.task_id) || ti.state !== 'success') continue;
      let value: unknown;
      try {
        value = (
          await this.#xcoms.get(dagId, run.dag_run_id, ti.task_id, { mapIndex: ti.map_index, ...options })
        ).value;
      } catch (error) {
        if (NotFoundError.isInstance(error)) continue; // the task returned nothing
        throw error;
      }
      if (ti.map_index < 0) xcoms[ti.task_id] = value;
      else {
        const values = mapped[ti.task_id] ?? [];
        values.push([ti.map_index, value]);
        mapped[ti.task_id] = values;
      }
    }
    for (const [taskId, values] of Object.entries(mapped))
      xcoms[taskId] = values.sort((a, b) => a[0] - b[0]).map((v) => v[1]);
    return { run, taskInstances, xcoms };
  }

  /** The DagRunFailedError of a failed run: its failed tasks with their tries and log tails. */
  async failure(
    run: DagRun,
    options: RequestOptions & { logTailLines?: number } = {},
  ): Promise<DagRunFailedError> {
    const failed = await this.#tasks
      .list(run.dag_id, run.dag_run_id, { state: ['failed'] }, options)
      .toArray();
    const failedTasks: FailedTask[] = [];
    for (const ti of failed) {
      let logTail: string[] = [];
      try {
        logTail = await this.#tasks.logTail(run.dag_id, run.dag_run_id, ti.task_id, {
          tryNumber: Math.max(1, ti.try_number),
          mapIndex: ti.map_index,
          lines: options.logTailLines ?? 20,
          signal: options.signal,
        });
      } catch {
        // The failure is the news; a log that cannot be read leaves logTail empty rather than hiding it.
      }
      failedTasks.push({
        taskId: ti.task_id,
        mapIndex: ti.map_index,
        tryNumber: ti.try_number,
        state: ti.state ?? 'none',
        logTail,
      });
    }
    return new DagRunFailedError(run, failedTasks);
  }
}

function refOf(run: DagRunRef): { dagId: string; runId: string } {
  return 'dag_run_id' in run
    ? { dagId: run.dag_id, runId: run.dag_run_id }
    : { dagId: run.dagId, runId: run.runId };
}
