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
  VersionRef,
} from './model-versions';
export type {
  CreateRegisteredModelOptions,
  RegisteredModel,
  SearchRegisteredModelsOptions,
} from './registered-models';
export { signatureSchema, validateInput } from './signature';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
