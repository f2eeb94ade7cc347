export { type AssetRef, Assets } from './assets';
export { AirflowClient, type AirflowClientOptions } from './client';
export {
  type AirflowConfig,
  type AirflowCredentials,
  type AirflowOptions,
  airflowConfigSpec,
  resolveAirflowConfig,
} from './config';
export { type ConnectionBody, Connections, redactConnection } from './connections';
export {
  type DagRunRef,
  DagRuns,
  type RunResult,
  type TaskStateChange,
  type TriggerOptions,
  type WaitOptions,
  type WaitProgress,
} from './dag-runs';
export { Dags, type DagVersionTarget } from './dags';
export {
  AirflowWaitTimeoutError,
  DagImportError,
  DagRunFailedError,
  type FailedTask,
  type ProblemDetails,
  problemDetails,
  type ValidationIssue,
} from './errors';
export { type LogLine, type TaskInstanceFilters, TaskInstances, type TaskLogOptions } from './task-instances';
export type {
  Asset,
  AssetEvent,
  Connection,
  Dag,
  DagDetails,
  DagRun,
  DagRunState,
  DagVersion,
  Health,
  ImportError,
  Pool,
  QueuedEvent,
  RequestOptions,
  TaskInstance,
  TaskInstanceState,
  Variable,
  Version,
} from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export { type XComEntry, XComs, type XComValue } from './xcoms';
