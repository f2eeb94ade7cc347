/**
 * What FeatureStore loads on first use of the online store and the registry (yaml for feature_store.yaml, the
 * protobuf runtime and Feast's generated registry schemas, ioredis): one dynamic import, so that importing
 * `@mlops/feast` loads none of it. See bench/feast-cold-start.mjs.
 */
export { loadRepoConfig } from '../config/load-repo-config';
export { Registry } from '../registry/registry';
export { registrySourceFor } from '../registry/sources';
export { readOnline } from './read';
export { RedisOnlineStore } from './redis-online-store';
export { OnlinePlanCache, planOnlineRequest } from './request-plan';
export { onlineWriteColumns, writeOnline } from './write';
