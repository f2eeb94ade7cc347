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
export { createPlatform, type Platform, type PlatformOptions } from './platform';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
