export * from './codec/index';
export { type FeastConfig, feastConfigSpec, resolveFeastConfig } from './config/options';
export {
  expandVars,
  loadRepoConfig,
  type OfflineStoreConfig,
  type OnlineStoreConfig,
  type PostgresOfflineStoreConfig,
  parseRedisConnectionString,
  parseRepoConfig,
  type RedisOnlineStoreConfig,
  type RedisType,
  type RegistryConfig,
  type RepoConfig,
} from './config/repo-config';
export {
  type FeastObjectKind,
  FeastObjectNotFoundError,
  InvalidFeatureRequestError,
  type MaterializeCheckpoint,
  MaterializeError,
  OfflineStoreError,
} from './errors';
export {
  type FeastOptions,
  FeatureStore,
  type FeatureStoreOptions,
  type HistoricalFeaturesRequest,
  type MaterializeOptions,
} from './feature-store';
export { nodeHttpFetch } from './http/node-http-fetch';
export type { EntityDf } from './offline/entity-df';
export type {
  HistoricalRetrievalJob,
  LookupOrder,
  RetrievalOptions,
  RetrievalProgress,
  RunOptions,
  StreamOptions,
} from './offline/historical';
export type { OfflineIndex } from './offline/indexes';
export type {
  MaterializeProgress,
  MaterializeViewResult,
} from './offline/materialize';
export type { HistoricalFeaturesSelection } from './offline/plan';
export type { OfflineConnectionOptions } from './offline/postgres';
export {
  type DataFrameColumns,
  FeatureServerClient,
  type FeatureServerOptions,
} from './online/feature-server';
export type { StatusMode } from './online/read';
export type { EntityValue, OnlineFeaturesRequest } from './online/request-plan';
export { type FeatureColumn, type FieldStatus, OnlineFeaturesResult } from './online/result';
export type { OnlineWriteResult, OnlineWriteRow } from './online/write';
export type {
  DataSource,
  Entity,
  Feature,
  FeatureService,
  FeatureView,
  FeatureViewKind,
  FeatureViewProjection,
} from './registry/model';
export { Registry, type RegistryOptions, RegistrySnapshot } from './registry/registry';
export {
  FileRegistrySource,
  type RegistrySource,
  RemoteRegistrySource,
  registrySourceFor,
  SqlRegistrySource,
} from './registry/sources';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
