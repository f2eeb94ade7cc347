// `@mlops/core/sdk`: the building blocks the @mlops packages are made of, for SDK authors. Users of the
// SDKs import from `@mlops/core` (or the package they use) and never need these.
export {
  type ConfigCheck,
  type ConfigField,
  type ConfigOptions,
  type ConfigValues,
  configField,
  type ResolveConfigContext,
  resolveConfig,
} from './config';
export { type EnvSource, envFrom, readEnv } from './env';
export { type ApiErrorInit, type DecodeErrorInit, hasErrorMarker } from './errors';
export { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from './http-client';
export {
  type OffsetPage,
  type OffsetPaginateOptions,
  type PaginateOptions,
  paginateByOffset,
  paginateByToken,
  type TokenPage,
} from './pagination';
export { REDACTED, Redactor, redactUrl } from './redact';
export { DEFAULT_RETRY } from './retry';
export { serviceLabel } from './service';
export { userAgent } from './user-agent';
