import type { HttpClient } from '@mlops/core';
import type { components, operations, paths } from './generated/api-v2';

/** The HTTP client every resource of the Airflow client shares: typed by the generated /api/v2 spec. */
export type AirflowHttp = HttpClient<paths, 'application/json'>;

/** The spec's schemas, by name. */
export type Schemas = components['schemas'];

/** The filters of a list operation: its query parameters without the paging ones, which the iterator sets. */
export type ListFilters<Op extends keyof operations> = Omit<
  NonNullable<operations[Op]['parameters']['query']>,
  'limit' | 'offset' | 'cursor'
>;

/** Options every call takes. */
export interface RequestOptions {
  /** Aborting it ends the call with an AbortError. */
  signal?: AbortSignal | undefined;
}

/** Airflow clamps `limit` to `[api] maximum_page_limit` (100 by default): pages of that size. */
export const PAGE_SIZE = 100;

export type Dag = Schemas['DAGResponse'];
export type DagDetails = Schemas['DAGDetailsResponse'];
export type DagVersion = Schemas['DagVersionResponse'];
export type ImportError = Schemas['ImportErrorResponse'];
export type DagRun = Schemas['DAGRunResponse'];
export type DagRunState = Schemas['DagRunState'];
export type TaskInstance = Schemas['TaskInstanceResponse'];
export type TaskInstanceState = Schemas['TaskInstanceState'];
export type XCom = Schemas['XComResponseNative'];
export type Asset = Schemas['AssetResponse'];
export type AssetEvent = Schemas['AssetEventResponse'];
export type QueuedEvent = Schemas['QueuedEventResponse'];
export type Variable = Schemas['VariableResponse'];
export type Connection = Schemas['ConnectionResponse'];
export type Pool = Schemas['PoolResponse'];
export type Health = Schemas['HealthInfoResponse'];
export type Version = Schemas['VersionInfo'];
