// The public surface: the client, its options and result types, this package's errors. The resources
// (client.dags, client.dagRuns, ...) are reached through the client; their types are AirflowClient['dags'], ...
export type { AssetRef } from './assets';
export { AirflowClient, type AirflowClientOptions } from './client';
export {
  type AirflowConfig,
  type AirflowCredentials,
  type AirflowOptions,
  airflowConfigSpec,
  resolveAirflowConfig,
} from './config';
export { type ConnectionBody, redactConnection } from './connections';
export type {
  DagRunRef,
  RunResult,
  TaskStateChange,
  TriggerOptions,
  WaitOptions,
  WaitProgress,
} from './dag-runs';
export type { DagVersionTarget } from './dags';
export {
  AirflowWaitTimeoutError,
  DagImportError,
  DagRunFailedError,
  type FailedTask,
  type ProblemDetails,
  problemDetails,
  type ValidationIssue,
} from './errors';
export type { LogLine, TaskInstanceFilters, TaskLogOptions } from './task-instances';
export type {
  Asset,
  AssetEvent,
  Connection,
  Dag,
  DagRun,
  DagVersion,
  RequestOptions,
  TaskInstance,
  TaskInstanceState,
} from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export type { XComValue } from './xcoms';
