// What a user of Feast from TypeScript needs: FeatureStore, the requests and options they write, the
// results, jobs and registry objects they read, and the errors they catch (core's included, so catching
// them needs no second package). Byte codecs are in `@mlops/feast/codec`; the registry, repo config and
// feature-server building blocks, with the config spec the umbrella resolves, in `@mlops/feast/registry`.
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
  type ServiceId,
  TimeoutError,
  UnprocessableEntityError,
} from '@mlops/core';
export { EncodeError } from './codec/errors';
export type { TemporalInstantLike, TimeInput } from './codec/instant';
export type { RepoConfig } from './config/repo-config';
export {
  FeastObjectNotFoundError,
  InvalidFeatureRequestError,
  type MaterializeCheckpoint,
  MaterializeError,
  OfflineStoreError,
} from './errors';
export {
  FeatureStore,
  type FeatureStoreOptions,
  type HistoricalColumnsOf,
  type HistoricalFeaturesRequest,
  type MaterializeOptions,
  type OnlineReadOptions,
  type TypedHistoricalRequest,
} from './feature-store';
export type { EntityDf } from './offline/entity-df';
export type {
  HistoricalRetrievalJob,
  RetrievalOptions,
  RetrievalProgress,
  RunOptions,
  StreamOptions,
} from './offline/historical';
export type { OfflineIndex } from './offline/indexes';
export type { MaterializeProgress, MaterializeViewResult } from './offline/materialize';
export type { StatusMode } from './online/read';
export type { EntityValue, OnlineFeaturesRequest } from './online/request-plan';
export {
  type CheckedFeatureRefs,
  type FeastCodegenOptions,
  type FeastFeatureTypes,
  type FeatureColumn,
  type FeatureValueOf,
  type FieldStatus,
  type KnownFeatureRef,
  type OnlineColumnsOf,
  OnlineFeaturesResult,
  type OnlineResultColumns,
  type OutputName,
} from './online/result';
export type { OnlineWriteResult, OnlineWriteRow } from './online/write';
export type { Entity, Feature, FeatureService, FeatureView } from './registry/model';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
