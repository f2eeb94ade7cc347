// `@mlops/feast/registry`: the building blocks under FeatureStore, for users who assemble their own: the
// registry, its sources and its whole model, feature_store.yaml parsing, the options' config spec (what
// @mlops/platform resolves), the offline store's connection options and the feature server's HTTP client.

export { loadRepoConfig } from '../config/load-repo-config';
export { type FeastConfig, feastConfigSpec, resolveFeastConfig } from '../config/options';
export {
  expandVars,
  type OfflineStoreConfig,
  type OnlineStoreConfig,
  type PostgresOfflineStoreConfig,
  parseRedisConnectionString,
  type RedisOnlineStoreConfig,
  type RedisType,
  type RegistryConfig,
  type RepoConfig,
} from '../config/repo-config';
export { parseRepoConfig } from '../config/repo-config-schema';
export { nodeHttpFetch } from '../http/node-http-fetch';
export type { OfflineConnectionOptions } from '../offline/postgres';
export {
  type DataFrameColumns,
  FeatureServerClient,
  type FeatureServerOptions,
} from '../online/feature-server';
export type {
  DataSource,
  Entity,
  Feature,
  FeatureService,
  FeatureView,
  FeatureViewKind,
  FeatureViewProjection,
} from './model';
export { Registry, type RegistryOptions, RegistrySnapshot } from './registry';
export {
  FileRegistrySource,
  type RegistrySource,
  RemoteRegistrySource,
  registrySourceFor,
  SqlRegistrySource,
} from './sources';
