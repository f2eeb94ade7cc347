// What a user of the @mlops SDKs needs: the HTTP client, its options, the errors to catch. The plumbing
// SDK authors build packages with (config resolution, redaction, env, paginator factories) is in ./sdk.ts,
// published as `@mlops/core/sdk`.
export type { AuthOption, AuthRejection, TokenProvider, TokenRequest } from './auth';
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
} from './errors';
export {
  type CallOptions,
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type RequestInitOf,
  type ResponseData,
  type TypedMethod,
} from './http-client';
export { type Logger, type LogLevel, silentLogger } from './logger';
export { Paginator } from './pagination';
export type { RetryOptions } from './retry';
export type { ServiceId } from './service';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
