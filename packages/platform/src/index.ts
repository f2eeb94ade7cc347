// Every component's own errors, so one import serves every isInstance check.
export { AirflowWaitTimeoutError, DagImportError, DagRunFailedError } from '@mlops/airflow';
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
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  UnprocessableEntityError,
} from '@mlops/core';
export {
  EncodeError,
  FeastObjectNotFoundError,
  InvalidFeatureRequestError,
  MaterializeError,
  OfflineStoreError,
  TrinoQueryError,
} from '@mlops/feast';
export {
  LogRejectedError,
  LogShipperError,
  MetricsInputError,
  PrometheusApiError,
  PrometheusArgumentError,
  PrometheusUnsupportedError,
} from '@mlops/metrics';
export {
  ArtifactPathError,
  MlflowBufferFullError,
  MlflowInputError,
  MlflowOutageError,
  MlflowPartialWriteError,
  ModelUriError,
  SignatureValidationError,
} from '@mlops/mlflow';
export {
  DOCTOR_COMPONENTS,
  type DoctorCheck,
  type DoctorComponent,
  type DoctorOptions,
  type DoctorReport,
} from './doctor';
export {
  createPlatform,
  type GlobalOptions,
  LOCAL_ELASTICSEARCH_URL,
  type LogsConfig,
  type LogsOptions,
  type Platform,
  type PlatformConfig,
  type PlatformOptions,
  type PushgatewayConfig,
} from './platform';
export * from './serving';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export * from './workflows';
