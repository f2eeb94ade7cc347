import { DecodeError, type Paginator } from '@mlops/core';
import { paginateByOffset } from '@mlops/core/sdk';
import { sleepFor } from './polling';
import type { AirflowHttp, RequestOptions, Schemas, TaskInstance, TaskInstanceState } from './types';

/** Filters of `list`: the batch endpoint's body without the DAG and run (given as arguments) and paging. */
export type TaskInstanceFilters = Omit<
  Schemas['TaskInstancesBatchBody'],
  'dag_ids' | 'dag_run_ids' | 'page_limit' | 'page_offset'
>;

/** Task states after which a task instance will not change unless cleared. */
export const TERMINAL_TASK_STATES: ReadonlySet<TaskInstanceState | null> = new Set<TaskInstanceState | null>([
  'success',
  'failed',
  'skipped',
  'upstream_failed',
  'removed',
]);

/** One line of a task's log: Airflow 3's structured message (`event`, `timestamp`, `level`, ...), or plain text as `event`. */
export interface LogLine {
  readonly event: string;
  readonly timestamp?: string | undefined;
  readonly level?: string | undefined;
  readonly [field: string]: unknown;
}

export interface TaskLogOptions extends RequestOptions {
  /** The try to read. Default: the task instance's current try. */
  tryNumber?: number;
  /** For a mapped task, which instance. Default -1 (not mapped). */
  mapIndex?: number;
  /** Keep reading while the task runs, until it ends (tail -f). Default false: what is there now. */
  follow?: boolean;
  /** How often to look for new lines when following, in ms. Default 1000. */
  pollIntervalMs?: number;
}

/** Task instances of DAG runs, and their logs. */
export class TaskInstances {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  /**
   * Every task instance of a run (`runId` `'~'` for every run of the DAG, `dagId` `'~'` for every DAG).
   * Read through Airflow's batch endpoint (`POST …/taskInstances/list`) in pages of 1000 by default: the
   * GET list is clamped to 100 per page, and each request costs the server far more than each item
   * (bench/airflow-list.mjs).
   */
  list(
    dagId: string,
    runId: string,
    filters: TaskInstanceFilters = {},
    options: RequestOptions & { pageSize?: number } = {},
  ): Paginator<TaskInstance> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.post('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/list', {
          params: { path: { dag_id: '~', dag_run_id: '~' } },
          body: {
            // A stable order, so that offsets do not skip or repeat while runs are added.
            order_by: 'id',
            ...filters,
            ...(dagId === '~' ? {} : { dag_ids: [dagId] }),
            ...(runId === '~' ? {} : { dag_run_ids: [runId] }),
            page_limit: limit,
            page_offset: offset,
          },
          // A read: safe to repeat.
          idempotent: true,
          signal: options.signal,
        });
        return { items: page.task_instances, totalEntries: page.total_entries };
      },
      { pageSize: options.pageSize ?? 1000, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }

  get(
    dagId: string,
    runId: string,
    taskId: string,
    options: RequestOptions & { mapIndex?: number } = {},
  ): Promise<TaskInstance> {
    if (options.mapIndex !== undefined && options.mapIndex >= 0) {
      return this.#http.get(
        '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}',
        {
          params: {
            path: { dag_id: dagId, dag_run_id: runId, task_id: taskId, map_index: options.mapIndex },
          },
          signal: options.signal,
        },
      );
    }
    return this.#http.get('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}', {
      params: { path: { dag_id: dagId, dag_run_id: runId, task_id: taskId } },
      signal: options.signal,
    });
  }

  /**
   * A task's log, line by line, following Airflow's continuation tokens:
   * `for await (const line of client.taskInstances.logs(dagId, runId, taskId, { follow: true }))`.
   * With `follow`, it keeps reading until the task instance reaches a terminal state and its log is read to the end.
   */
  async *logs(
    dagId: string,
    runId: string,
    taskId: string,
    options: TaskLogOptions = {},
  ): AsyncGenerator<LogLine> {
    const mapIndex = options.mapIndex ?? -1;
    const request = { signal: options.signal, mapIndex };
    let tryNumber = options.tryNumber;
    if (tryNumber === undefined)
      tryNumber = Math.max(1, (await this.get(dagId, runId, taskId, request)).try_number);
    let token: string | undefined;
    let ended = !options.follow;
    for (;;) {
      // Whether the task had ended before this read: then an empty read means the log is complete.
      if (!ended) ended = TERMINAL_TASK_STATES.has((await this.get(dagId, runId, taskId, request)).state);
      const page = await this.#http.get(
        '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}',
        {
          params: {
            path: { dag_id: dagId, dag_run_id: runId, task_id: taskId, try_number: tryNumber },
            query: { map_index: mapIndex, ...(token === undefined ? {} : { token }) },
            header: { accept: 'application/json' },
          },
          signal: options.signal,
        },
      );
      const { content, next } = logPage(page, `${dagId}/${runId}/${taskId} try ${tryNumber}`);
      for (const item of content) yield item;
      if (content.length === 0 || next === undefined) {
        if (ended) return;
        await sleepFor(options.pollIntervalMs ?? 1000, options.signal);
      }
      if (next !== undefined) token = next;
    }
  }

  /** The last `lines` lines of a try's log, formatted as text (what DagRunFailedError carries). */
  async logTail(
    dagId: string,
    runId: string,
    taskId: string,
    options: RequestOptions & { tryNumber: number; mapIndex?: number; lines?: number },
  ): Promise<string[]> {
    const keep = options.lines ?? 20;
    const tail: string[] = [];
    for await (const line of this.logs(dagId, runId, taskId, options)) {
      tail.push(formatLogLine(line));
      if (tail.length > keep) tail.shift();
    }
    return tail;
  }
}

/**
 * One page of a task's log as Airflow 3 answers it: `content` a list of lines (text, or structured objects with
 * their `event`) and an optional text `continuation_token`. Another shape is a DecodeError naming the log.
 */
function logPage(page: unknown, where: string): { content: LogLine[]; next: string | undefined } {
  const bad = (what: string): never => {
    throw new DecodeError(
      { what: 'task log page', source: `Airflow task log ${where}` },
      `Airflow answered a task log page (${where}) whose ${what}; is the base URL an Airflow 3 API server?`,
    );
  };
  if (typeof page !== 'object' || page === null || Array.isArray(page)) return bad('body is not an object');
  const { content, continuation_token: token } = page as { content?: unknown; continuation_token?: unknown };
  if (!Array.isArray(content)) return bad('content is not a list of lines');
  if (token !== undefined && token !== null && typeof token !== 'string')
    bad('continuation_token is not text');
  const lines = content.map((item: unknown): LogLine => {
    if (typeof item === 'string') return { event: item };
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return bad('content holds a line that is neither text nor an object');
    const line = item as Record<string, unknown>;
    const event = line.event;
    const timestamp = line.timestamp;
    return {
      ...line,
      event:
        typeof event === 'string'
          ? event
          : event === undefined || event === null
            ? ''
            : JSON.stringify(event),
      timestamp: typeof timestamp === 'string' ? timestamp : undefined,
      level: typeof line.level === 'string' ? line.level : undefined,
    };
  });
  return { content: lines, next: typeof token === 'string' ? token : undefined };
}

/** `2026-01-01T00:00:00Z [error] message (error_detail...)` for people to read. */
export function formatLogLine(line: LogLine): string {
  const parts = [line.timestamp, line.level ? `[${line.level}]` : undefined, line.event].filter(Boolean);
  const detail = line.error_detail;
  if (Array.isArray(detail)) {
    for (const d of detail) {
      if (typeof d === 'object' && d !== null && 'exc_type' in d && 'exc_value' in d) {
        parts.push(`${String(d.exc_type)}: ${String(d.exc_value)}`);
      }
    }
  }
  return parts.join(' ');
}
