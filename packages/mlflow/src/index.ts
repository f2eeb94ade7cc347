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
// ---- Model registry, logged models, artifacts and model resolution (mlflow-models).
export type {
  CreateLoggedModelOptions,
  LoggedModel,
  LoggedModelMetric,
  LoggedModelStatus,
  SearchLoggedModelsOptions,
} from './logged-models';
export { ArtifactPathError, type InputIssue, ModelUriError, SignatureValidationError } from './model-errors';
export type {
  CreateModelVersionOptions,
  ModelStage,
  ModelVersion,
  SearchModelVersionsOptions,
  VersionRef,
} from './model-versions';
export type {
  CreateRegisteredModelOptions,
  RegisteredModel,
  SearchRegisteredModelsOptions,
} from './registered-models';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
