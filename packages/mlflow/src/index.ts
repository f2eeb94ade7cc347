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
// ---- Model registry, logged models, artifacts and model resolution (mlflow-models).
export type {
  ArtifactInfo,
  ArtifactSource,
  ArtifactTarget,
  DownloadArtifactsOptions,
  LogArtifactOptions,
  TransferOptions,
  TransferProgress,
} from './artifacts';
export { MlflowClient, type MlflowClientOptions } from './client';
export { type MlflowConfig, type MlflowOptions, mlflowConfigSpec, resolveMlflowConfig } from './config';
export {
  MlflowBufferFullError,
  MlflowInputError,
  MlflowOutageError,
  MlflowPartialWriteError,
} from './errors';
export type { CreateExperimentOptions, SearchExperimentsOptions } from './experiments';
export type { KeyValues, LogBatchInput, LogBatchOptions, MetricInput } from './log-batch';
export type {
  CreateLoggedModelOptions,
  LoggedModel,
  LoggedModelMetric,
  LoggedModelStatus,
  SearchLoggedModelsOptions,
} from './logged-models';
export type {
  ColSpec,
  MLmodel,
  MlflowDataType,
  MlflowType,
  ModelSignature,
  ParamSpec,
  TensorSpec,
} from './mlmodel';
export { parseMLmodel } from './mlmodel';
export { ArtifactPathError, type InputIssue, ModelUriError, SignatureValidationError } from './model-errors';
export { type ParsedModelUri, parseModelUri, type ResolvedModel, type ResolvedRun } from './model-uri';
export type {
  CreateModelVersionOptions,
  ModelStage,
  ModelVersion,
  SearchModelVersionsOptions,
  SearchPage,
  VersionRef,
} from './model-versions';
export type { PageOptions } from './paging';
export type {
  CreateRegisteredModelOptions,
  RegisteredModel,
  SearchRegisteredModelsOptions,
} from './registered-models';
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
export { signatureSchema, validateInput } from './signature';
export type { ParamValue } from './validation';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export type { ActiveRun, WithRunBody, WithRunOptions } from './with-run';
