// `@mlops/feast/registry`: the building blocks under FeatureStore, for users who assemble their own: the
// registry and its sources, feature_store.yaml parsing, and the feature server's HTTP client.
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
} from '../config/repo-config';
export { nodeHttpFetch } from '../http/node-http-fetch';
export {
  type DataFrameColumns,
  FeatureServerClient,
  type FeatureServerOptions,
} from '../online/feature-server';
export { Registry, type RegistryOptions, RegistrySnapshot } from './registry';
export {
  FileRegistrySource,
  type RegistrySource,
  RemoteRegistrySource,
  registrySourceFor,
  SqlRegistrySource,
} from './sources';
