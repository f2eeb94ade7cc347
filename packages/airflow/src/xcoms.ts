import type { Paginator } from '@mlops/core';
import { paginateByOffset } from '@mlops/core/sdk';
import { type AirflowHttp, type ListFilters, PAGE_SIZE, type RequestOptions, type Schemas } from './types';

/** An XCom without its value, as lists give them. */
export type XComEntry = Schemas['XComResponse'];

/** An XCom with its value deserialised (JSON as Airflow stores it: objects, arrays, numbers, strings). */
export interface XComValue<T = unknown> extends XComEntry {
  readonly value: T;
}

/** XComs: what tasks returned (`return_value`) or pushed under a key. */
export class XComs {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  /** The XComs of a task instance (`taskId` `'~'` for every task of the run), without values. */
  list(
    dagId: string,
    runId: string,
    taskId: string,
    filters: ListFilters<'get_xcom_entries'> = {},
    options: RequestOptions = {},
  ): Paginator<XComEntry> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get(
          '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries',
          {
            params: {
              path: { dag_id: dagId, dag_run_id: runId, task_id: taskId },
              query: { ...filters, limit, offset },
            },
            signal: options.signal,
          },
        );
        return { items: page.xcom_entries, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  /** One XCom with its value (`key` default `return_value`, what a @task returned). */
  async get<T = unknown>(
    dagId: string,
    runId: string,
    taskId: string,
    options: RequestOptions & { key?: string; mapIndex?: number } = {},
  ): Promise<XComValue<T>> {
    const entry = await this.#http.get(
      '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}',
      {
        params: {
          path: {
            dag_id: dagId,
            dag_run_id: runId,
            task_id: taskId,
            xcom_key: options.key ?? 'return_value',
          },
          query: { map_index: options.mapIndex ?? -1 },
        },
        signal: options.signal,
      },
    );
    // T is the caller's claim about what the task pushed; the server's JSON is passed through as it is.
    return entry as XComValue<T>;
  }
}
