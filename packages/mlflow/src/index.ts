export {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConflictError,
  ConnectionError,
  DecodeError,
  InternalServerError,
  MlopsError,
  NotFoundError,
  Paginator,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
} from '@mlops/core';
export { MlflowClient, type MlflowClientOptions } from './client';
export { type MlflowConfig, type MlflowOptions, mlflowConfigSpec, resolveMlflowConfig } from './config';
export { MlflowInputError, MlflowPartialWriteError } from './errors';
export type { CreateExperimentOptions, SearchExperimentsOptions } from './experiments';
export type { KeyValues, LogBatchInput, LogBatchOptions, MetricInput } from './log-batch';
export type { PageOptions } from './paging';
export type {
  Dataset,
  DatasetInput,
  Experiment,
  Metric,
  Run,
  RunData,
  RunInfo,
  RunInputs,
  RunStatus,
  ViewType,
} from './run-data';
export type { CreateRunOptions, DatasetInputInit, LogMetricOptions, SearchRunsOptions } from './runs';
export type { ParamValue } from './validation';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export type { ActiveRun, WithRunBody, WithRunOptions } from './with-run';
