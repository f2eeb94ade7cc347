export type { AuthOption, TokenProvider, TokenRequest } from './auth';
export {
  type ConfigField,
  type ConfigOptions,
  type ConfigValues,
  configField,
  type ResolveConfigContext,
  resolveConfig,
} from './config';
export { type EnvSource, envFrom, readEnv } from './env';
export {
  AbortError,
  ApiError,
  type ApiErrorInit,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConflictError,
  ConnectionError,
  DecodeError,
  type DecodeErrorInit,
  hasErrorMarker,
  InternalServerError,
  MlopsError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  UnprocessableEntityError,
} from './errors';
export {
  type CallOptions,
  createHttpClient,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  type HttpClient,
  type HttpClientOptions,
  type RequestInitOf,
  type ResponseData,
  type TypedMethod,
} from './http-client';
export { type Logger, type LogLevel, silentLogger } from './logger';
export {
  type OffsetPage,
  type OffsetPaginateOptions,
  type PaginateOptions,
  Paginator,
  paginateByOffset,
  paginateByToken,
  type TokenPage,
} from './pagination';
export { REDACTED, Redactor, redactUrl } from './redact';
export { DEFAULT_RETRY, type RetryOptions } from './retry';
export { type ServiceId, serviceLabel } from './service';
export { userAgent } from './user-agent';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
