import { ConfigError } from '@mlops/core';
import { type EnvSource, readEnv } from '@mlops/core/sdk';
import type { TrinoOfflineStoreConfig } from '../offline/trino/config';
import { isTrinoType } from '../offline/trino/store-type';

export type { TrinoOfflineStoreConfig } from '../offline/trino/config';

/**
 * A Feast repo's `feature_store.yaml`, read as Feast 0.67 reads it: environment variables expanded in the
 * raw text first (`$NAME` and `${NAME}`, unknown ones left as they are, like Python's os.path.expandvars),
 * then YAML, then validated. Keys are camelCase here; the YAML keeps Feast's snake_case.
 */
export interface RepoConfig {
  project: string;
  provider: string;
  /** The folder holding feature_store.yaml; relative registry paths resolve against it. */
  repoPath: string | undefined;
  registry: RegistryConfig;
  onlineStore: OnlineStoreConfig;
  offlineStore: OfflineStoreConfig | undefined;
  /** 3 by default; 2 for older repos. Decides the Redis key layout. */
  entityKeySerializationVersion: number;
  auth: { type: string } & Record<string, unknown>;
}

export interface RegistryConfig {
  /** 'file', 'sql' or 'remote' (the registry server's gRPC address). */
  registryType: string;
  /** A file path (absolute, or relative to the repo), a SQLAlchemy URL, or host:port. */
  path: string;
  cacheTtlSeconds: number;
  enableOnlineFeatureViewVersioning: boolean;
}

export type RedisType = 'redis' | 'redis_cluster' | 'redis_sentinel';

export interface RedisOnlineStoreConfig {
  type: 'redis';
  redisType: RedisType;
  /** Feast's `host:port[,host:port…][,key=value…]`. */
  connectionString: string;
  /** The nodes and the key=value parameters of the connection string (values JSON-decoded as Feast does). */
  nodes: Array<{ host: string; port: number }>;
  params: Record<string, unknown>;
  sentinelMaster: string;
  keyTtlSeconds: number | undefined;
  skipDedup: boolean;
}

export type OnlineStoreConfig = RedisOnlineStoreConfig | ({ type: string } & Record<string, unknown>);

export interface PostgresOfflineStoreConfig {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  dbSchema: string;
  user: string;
  password: string;
  sslmode: string | undefined;
}

export type OfflineStoreConfig =
  | PostgresOfflineStoreConfig
  | TrinoOfflineStoreConfig
  | ({ type: string } & Record<string, unknown>);

/** Python's os.path.expandvars: `$NAME` / `${NAME}` replaced when set, left untouched when not. */
export function expandVars(text: string, env: EnvSource = readEnvRaw): string {
  return text.replace(/\$([A-Za-z0-9_]+|\{[^}]*\})/g, (match, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const value = env(key);
    return value === undefined ? match : value;
  });
}

/** An environment variable as it is, empty values included (expandvars replaces set-but-empty ones). */
function readEnvRaw(name: string): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env ? g.process.env[name] : readEnv(name);
}

/** Feast's connection string: `host:port` tokens are nodes, `key=value` tokens parameters. */
export function parseRedisConnectionString(connectionString: string): {
  nodes: Array<{ host: string; port: number }>;
  params: Record<string, unknown>;
} {
  const nodes: Array<{ host: string; port: number }> = [];
  const params: Record<string, unknown> = {};
  for (const token of connectionString.split(',')) {
    const trimmed = token.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq >= 0) {
      const key = trimmed.slice(0, eq);
      const raw = trimmed.slice(eq + 1);
      try {
        params[key] = JSON.parse(raw);
      } catch {
        params[key] = raw;
      }
      continue;
    }
    const colon = trimmed.lastIndexOf(':');
    const host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    const port = colon >= 0 ? Number(trimmed.slice(colon + 1)) : 6379;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(
        `Feast online_store.connection_string has a bad node ${JSON.stringify(trimmed)}: expected host:port, as in "127.0.0.1:6379".`,
        { option: 'online_store.connection_string' },
      );
    }
    nodes.push({ host, port });
  }
  if (nodes.length === 0) {
    throw new ConfigError(
      `Feast online_store.connection_string ${JSON.stringify(connectionString)} names no host:port node.`,
      { option: 'online_store.connection_string' },
    );
  }
  return { nodes, params };
}

/** The snake_case keys of a feature_store.yaml once validated, defaults applied (what both validators give). */
export interface ValidatedRepo {
  project: string;
  provider: string;
  registry:
    | string
    | {
        registry_type: string;
        path: string;
        cache_ttl_seconds: number;
        enable_online_feature_view_versioning: boolean;
      };
  online_store: Record<string, unknown>;
  offline_store: Record<string, unknown> | undefined;
  entity_key_serialization_version: number;
  auth: Record<string, unknown>;
}

export interface ValidatedRedis {
  redis_type: RedisType;
  connection_string: string;
  sentinel_master: string;
  key_ttl_seconds?: number | null | undefined;
  skip_dedup: boolean;
}

export interface ValidatedPostgres {
  host: string;
  port: number;
  database: string;
  db_schema: string;
  user: string;
  password: string;
  sslmode: string | null;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const HIDDEN = '[REDACTED]';

/**
 * Gives a store's config a printed form without its secrets: JSON.stringify and util.inspect show `redacted()`;
 * the fields themselves stay readable (the stores connect with them). Non-enumerable, so copies and equality
 * checks see the plain fields only.
 */
function printedWithout<T extends object>(value: T, redacted: () => Record<string, unknown>): T {
  Object.defineProperty(value, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(value, INSPECT, {
    value: (_depth: number, options: object, inspect: (v: unknown, o: object) => string) =>
      inspect(redacted(), options),
    enumerable: false,
  });
  return value;
}

/** Feast's Redis connection string with the value of its `password=` parameter hidden. */
function redactRedisConnectionString(connectionString: string): string {
  return connectionString.replace(/(^|,)(\s*password\s*=)[^,]*/gi, `$1$2${HIDDEN}`);
}

/** A RepoConfig from validated keys (and the validated Redis, PostgreSQL and Trino stores, when they are those). */
export function buildRepoConfig(
  c: ValidatedRepo,
  redis: ValidatedRedis | undefined,
  pg: ValidatedPostgres | undefined,
  repoPath: string | undefined,
  trino?: TrinoOfflineStoreConfig,
): RepoConfig {
  const registry: RegistryConfig =
    typeof c.registry === 'string'
      ? {
          registryType: 'file',
          path: c.registry,
          cacheTtlSeconds: 600,
          enableOnlineFeatureViewVersioning: false,
        }
      : {
          registryType: c.registry.registry_type,
          path: c.registry.path,
          cacheTtlSeconds: c.registry.cache_ttl_seconds,
          enableOnlineFeatureViewVersioning: c.registry.enable_online_feature_view_versioning,
        };
  let onlineStore: OnlineStoreConfig;
  if (redis) {
    const { nodes, params } = parseRedisConnectionString(redis.connection_string);
    const redisStore: RedisOnlineStoreConfig = {
      type: 'redis',
      redisType: redis.redis_type,
      connectionString: redis.connection_string,
      nodes,
      params,
      sentinelMaster: redis.sentinel_master,
      keyTtlSeconds: redis.key_ttl_seconds ?? undefined,
      skipDedup: redis.skip_dedup,
    };
    onlineStore = printedWithout(redisStore, () => ({
      ...redisStore,
      connectionString: redactRedisConnectionString(redisStore.connectionString),
      params:
        'password' in redisStore.params ? { ...redisStore.params, password: HIDDEN } : redisStore.params,
    }));
  } else {
    onlineStore = c.online_store as OnlineStoreConfig;
  }
  let offlineStore: OfflineStoreConfig | undefined;
  if (pg) {
    const pgStore: PostgresOfflineStoreConfig = {
      type: 'postgres',
      host: pg.host,
      port: pg.port,
      database: pg.database,
      dbSchema: pg.db_schema,
      user: pg.user,
      password: pg.password,
      sslmode: pg.sslmode ?? undefined,
    };
    offlineStore = printedWithout(pgStore, () => ({
      ...pgStore,
      password: pgStore.password === '' ? '' : HIDDEN,
    }));
  } else offlineStore = trino ?? (c.offline_store as OfflineStoreConfig | undefined);
  return {
    project: c.project,
    provider: c.provider,
    repoPath,
    registry,
    onlineStore,
    offlineStore,
    entityKeySerializationVersion: c.entity_key_serialization_version,
    auth: c.auth as RepoConfig['auth'],
  };
}

// The quick validator: the usual feature_store.yaml (every key of the right type) without loading zod. It
// accepts only what the zod schemas (repo-config-schema.ts) accept, and gives exactly what they give; for
// anything else it answers undefined and the schemas decide (and word the error). A test holds them together.
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const optional = <T>(v: unknown, is: (v: unknown) => v is T): v is T | undefined => v === undefined || is(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const REDIS_TYPES: readonly unknown[] = ['redis', 'redis_cluster', 'redis_sentinel'];

export function quickRepoConfig(raw: unknown, repoPath: string | undefined): RepoConfig | undefined {
  if (!isObject(raw)) return undefined;
  const { project, provider, registry, online_store, offline_store, auth } = raw;
  const version = raw.entity_key_serialization_version;
  if (!isString(project) || !/^[A-Za-z0-9_]+$/.test(project)) return undefined;
  if (!optional(provider, isString)) return undefined;
  let validRegistry: ValidatedRepo['registry'];
  if (registry === undefined) validRegistry = 'data/registry.db';
  else if (isString(registry) && registry.length > 0) validRegistry = registry;
  else if (isObject(registry)) {
    const { registry_type, path, cache_ttl_seconds, enable_online_feature_view_versioning } = registry;
    if (
      !optional(registry_type, isString) ||
      !optional(path, isString) ||
      !optional(cache_ttl_seconds, isInt) ||
      !optional(enable_online_feature_view_versioning, isBoolean)
    )
      return undefined;
    validRegistry = {
      ...registry,
      registry_type: registry_type ?? 'file',
      path: path ?? '',
      cache_ttl_seconds: cache_ttl_seconds ?? 600,
      enable_online_feature_view_versioning: enable_online_feature_view_versioning ?? false,
    };
  } else return undefined;
  let online: Record<string, unknown>;
  let redis: ValidatedRedis | undefined;
  if (online_store === undefined) online = { type: 'sqlite' };
  else if (isObject(online_store) && isString(online_store.type)) {
    online = { ...online_store };
    if (online_store.type === 'redis') {
      const { redis_type, connection_string, sentinel_master, key_ttl_seconds, skip_dedup } = online_store;
      if (
        !(redis_type === undefined || REDIS_TYPES.includes(redis_type)) ||
        !optional(connection_string, isString) ||
        !optional(sentinel_master, isString) ||
        !(
          key_ttl_seconds === undefined ||
          key_ttl_seconds === null ||
          (isInt(key_ttl_seconds) && key_ttl_seconds > 0)
        ) ||
        !optional(skip_dedup, isBoolean)
      )
        return undefined;
      redis = {
        redis_type: (redis_type as RedisType | undefined) ?? 'redis',
        connection_string: connection_string ?? 'localhost:6379',
        sentinel_master: sentinel_master ?? 'mymaster',
        key_ttl_seconds,
        skip_dedup: skip_dedup ?? false,
      };
    }
  } else return undefined;
  let offline: Record<string, unknown> | undefined;
  let pg: ValidatedPostgres | undefined;
  if (offline_store === undefined) offline = undefined;
  else if (isObject(offline_store) && isString(offline_store.type)) {
    offline = { ...offline_store };
    // Trino's keys are checked by its zod schema (repo-config-schema.ts), like every unusual config.
    if (isTrinoType(offline_store.type)) return undefined;
    if (offline_store.type === 'postgres') {
      const { host, port, database, db_schema, user, password, sslmode } = offline_store;
      if (
        !isString(host) ||
        !optional(port, isInt) ||
        !isString(database) ||
        !optional(db_schema, isString) ||
        !isString(user) ||
        !isString(password) ||
        !(sslmode === undefined || sslmode === null || isString(sslmode))
      )
        return undefined;
      pg = {
        host,
        port: port ?? 5432,
        database,
        db_schema: db_schema ?? 'public',
        user,
        password,
        sslmode: sslmode === undefined ? 'require' : sslmode,
      };
    }
  } else return undefined;
  if (!(version === undefined || (isInt(version) && version >= 1 && version <= 3))) return undefined;
  let validAuth: Record<string, unknown>;
  if (auth === undefined) validAuth = { type: 'no_auth' };
  else if (isObject(auth) && isString(auth.type)) validAuth = { ...auth };
  else return undefined;
  return buildRepoConfig(
    {
      project,
      provider: provider ?? 'local',
      registry: validRegistry,
      online_store: online,
      offline_store: offline,
      entity_key_serialization_version: version ?? 3,
      auth: validAuth,
    },
    redis,
    pg,
    repoPath,
  );
}
